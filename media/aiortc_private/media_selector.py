"""An epoll selector whose wait forwards media itself: no Python for a forwarded packet.

On a VM the relay's CPU at two participants is mostly its ~190 wake-ups a second, and an
asyncio wake-up runs Python before the compiled receiver sees a datagram: the selector's
``select``, the loop's event processing, a handle, the reader's callback. Here the wait
(``_packet_io.wait_media``) reads a media socket that becomes readable with one
``recvmmsg``, hands its datagrams to the compiled receiver, and waits again, all in C.
``select`` returns to the loop only with the other descriptors' events, the datagrams the
receiver gave back (handed to Python here, as the socket's callback would), when a timer is
due, or when the receiver scheduled a callback. Linux with the compiled ``_packet_io``
only; ``MEDIA_COMPILED_WAIT=0`` turns it off. With an interval it paces
its waits as ``runtime.PacedSelector`` does (``MEDIA_WAKE_INTERVAL_MS``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import selectors
from collections.abc import Callable
from typing import Any

from . import batch_receive, packet_io
from .names import PrivateName

logger = logging.getLogger(__name__)

PRIVATE = (
    PrivateName(selectors.EpollSelector, "_selector", "attribute"),
    PrivateName(selectors.EpollSelector, "_fd_to_key", "attribute"),
    PrivateName(asyncio.BaseEventLoop, "_ready", "attribute"),
    PrivateName(asyncio.BaseEventLoop, "_scheduled", "attribute"),
)

BATCH = 32  # datagrams per recvmmsg, as batch_receive reads
EPOLLIN, EPOLLOUT = 0x001, 0x004  # Linux's: select has them only where epoll exists

# () -> (take, finish) | None: the socket's compiled receiver as it is now
Provider = Callable[[], Any]
# (what the provider returned, [(data, address, result)] | the exception the read raised)
HandOver = Callable[[Any, Any], None]


def buildable() -> bool:
    """The compiled wait exists here (Linux, ``_packet_io`` built and in use)."""
    compiled = packet_io.compiled
    return (
        compiled is not None
        and hasattr(compiled, "wait_media")
        and hasattr(selectors, "EpollSelector")
        and batch_receive.enabled()
    )


def available() -> bool:
    """The media worker should wait in a ``MediaSelector``: where it can, unless
    ``MEDIA_COMPILED_WAIT=0``."""
    return buildable() and os.environ.get("MEDIA_COMPILED_WAIT", "1") != "0"


class MediaSelector(selectors.EpollSelector):
    """``selectors.EpollSelector`` that forwards its media sockets' datagrams while it
    waits. ``watch`` must name the loop's ready queue and timer heap before it waits
    with media sockets registered."""

    def __init__(self, interval: float = 0.0) -> None:
        super().__init__()
        self.interval = interval  # > 0: paced as runtime.PacedSelector paces
        self.woke = float("-inf")
        self._media: dict[int, Provider] = {}
        self._hand_over: dict[int, HandOver] = {}
        self._ready: Any = ()
        self._scheduled: Any = ()
        self._wait = packet_io.compiled.wait_media  # type: ignore[union-attr]

    def watch(self, ready: Any, scheduled: Any) -> None:
        """The loop's ready callbacks and timer heap: the wait returns when either changes."""
        self._ready, self._scheduled = ready, scheduled

    def add_media(self, fd: int, provider: Provider, hand_over: HandOver) -> None:
        """Read ``fd`` inside the wait; it must be registered for reading already."""
        self._media[fd] = provider
        self._hand_over[fd] = hand_over

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        key = super().unregister(fileobj)
        self._media.pop(key.fd, None)
        self._hand_over.pop(key.fd, None)
        return key

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        key = super().modify(fileobj, events, data)
        if not key.events & selectors.EVENT_READ:
            self._media.pop(key.fd, None)
            self._hand_over.pop(key.fd, None)
        return key

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is not None:
            timeout = max(float(timeout), 0.0)
        events, leftovers, self.woke = self._wait(
            self._selector.fileno(),
            timeout,
            self._media,
            self._ready,
            self._scheduled,
            BATCH,
            self.interval,
            self.woke,
        )
        for fd, taker, items in leftovers:
            hand_over = self._hand_over.get(fd)
            if hand_over is None:
                continue
            try:
                hand_over(taker, items)
            except Exception:
                logger.exception("a media socket's datagrams failed")
        ready = []
        fd_to_key = self._fd_to_key
        for fd, event in events:
            key = fd_to_key.get(fd)
            if key is not None:
                mask = 0
                if event & ~EPOLLIN:
                    mask |= selectors.EVENT_WRITE
                if event & ~EPOLLOUT:
                    mask |= selectors.EVENT_READ
                ready.append((key, mask & key.events))
        return ready


def media_event_loop(interval: float = 0.0) -> asyncio.AbstractEventLoop:
    """A selector event loop on a ``MediaSelector`` (``asyncio.Runner``'s loop_factory)."""
    selector = MediaSelector(interval)
    loop = asyncio.SelectorEventLoop(selector)
    selector.watch(loop._ready, loop._scheduled)
    return loop
