"""The embedded default's channel layer: channels' in-memory layer, made to scale with a room.

channels' `InMemoryChannelLayer` sweeps every channel and group for expired messages on each
`receive` and `group_send`, and starts one task per member for a `group_send`: with 150
people in a meeting each message costs O(N²) (a profile of bench/signaling_load.py showed
the sweep alone at 17 % of the server's time). Here expired messages are swept at most once
a second (they expire after 60 s), and a `group_send` puts straight onto each member's queue.
"""

from __future__ import annotations

import contextlib
import time

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer as ChannelsInMemoryLayer

_SWEEP_EVERY_SECONDS = 1.0


class InMemoryChannelLayer(ChannelsInMemoryLayer):
    _swept_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at >= _SWEEP_EVERY_SECONDS:
            self._swept_at = now
            super()._clean_expired()

    async def group_send(self, group: str, message: dict) -> None:
        assert isinstance(message, dict), "message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        for channel in list(self.groups.get(group, ())):
            with contextlib.suppress(ChannelFull):  # as channels does: a full one misses it
                await self.send(channel, message)
