"""The embedded default's channel layer: channels' in-memory layer, made to scale with a room.

channels' `InMemoryChannelLayer` sweeps every channel and group for expired messages on each
`receive` and `group_send`, and starts one task per member for a `group_send`: with 150
people in a meeting each message costs O(N²) (a profile of bench/signaling_load.py showed
the sweep alone at 17 % of the server's time). Here expired messages are swept at most once
a second (they expire after 60 s), and a `group_send` puts one copy of the message straight
onto each member's queue (channels deep-copies it per member).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time

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
        expires, message = time.time() + self.expiry, copy.deepcopy(message)
        for channel in list(self.groups.get(group, ())):
            queue = self.channels.setdefault(
                channel, asyncio.Queue(maxsize=self.get_capacity(channel))
            )
            # one copy for every member: consumers only read what they receive
            with contextlib.suppress(asyncio.QueueFull):  # as channels: a full one misses it
                queue.put_nowait((expires, message))
