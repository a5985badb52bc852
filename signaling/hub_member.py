"""A socket's side of the hub (signaling/hub.py), mixed into the meeting consumer.

What the hub brings is handled one thing at a time with the client's own frames (the
consumer's dispatch takes the same turn), and room events wait in a queue for the hub's
next pass, which sends them in one frame to a client that reads batches.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from channels.consumer import get_handler_name

from signaling import frames, hub

log = logging.getLogger(__name__)


class HubMember:
    """Ahead of channels' AsyncWebsocketConsumer in a consumer's bases (hub.Member)."""

    closing: bool
    batching: bool  # the client reads frames holding several messages
    if TYPE_CHECKING:
        send: Callable[..., Awaitable[None]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One thing at a time per socket, as channels' own dispatch does: a client frame,
        # or what the hub brought (a directive may read the database before it is done).
        self._turn = asyncio.Lock()
        self._inbox: deque[dict] = deque()  # what the hub brought while it was busy
        self._draining: asyncio.Task[None] | None = None
        self.queued: list[str] = []  # room event frames waiting for the hub's next pass
        self.hub: hub.Hub | None = None
        self.socket: Any = None  # daphne's socket, for frames prepared once (signaling/frames.py)

    def from_hub(self, message: dict) -> None:
        """A message to one of this socket's groups, in the order the hub received them."""
        if self.closing:
            return
        if message["type"] == "room.event" and not self._inbox and not self._turn.locked():
            self._queue_frame(message["frame"])
            return
        self._inbox.append(message)
        if not self._turn.locked():
            self._drain_soon()

    def _drain_soon(self) -> None:
        if self._draining is None or self._draining.done():
            self._draining = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        async with self._turn:
            while self._inbox and not self.closing:
                message = self._inbox.popleft()
                if message["type"] == "room.event":
                    self._queue_frame(message["frame"])
                    continue
                try:
                    await getattr(self, get_handler_name(message))(message)
                except Exception:
                    log.exception("handling failed", extra={"message_type": message["type"]})

    def _queue_frame(self, frame: str) -> None:
        self.queued.append(frame)
        if len(self.queued) == 1 and self.hub is not None:
            self.hub.due(self)

    def pending_frames(self) -> bool:
        return bool(self.queued) and not self.closing

    async def flush_frames(self, shared: frames.Shared | None = None) -> None:
        """Sends the queued room events: one frame holding them all if the client reads
        batches (`shared`: what the hub's pass already built for others due the same)."""
        queued, self.queued = self.queued, []
        if not queued or self.closing:
            return
        shared = shared or frames.Shared()
        for payload in [shared.payload(queued)] if self.batching else queued:
            if self.socket is None or not shared.write(self.socket, payload):
                await self.send(text_data=payload)
