"""Read every datagram queued on a media socket per wake-up, with one ``recvmmsg``.

asyncio's datagram transport reads one datagram per readiness callback, so a video
frame's packets arriving together cost one event-loop iteration (epoll, callback,
``recvfrom``) each. With the compiled ``_packet_io`` the relay instead drains the socket
in one system call and hands each datagram to the same protocol in arrival order; without
it (or with ``MEDIA_PACKET_IO=python``, or ``MEDIA_BATCH_RECEIVE=0``), or on a loop that
is not asyncio's selector loop (uvloop already reads all it can), asyncio reads as before.
"""

from __future__ import annotations

import asyncio
import asyncio.selector_events
import logging
import os
from collections.abc import Callable
from typing import Any

from . import packet_io
from .names import PrivateName

logger = logging.getLogger(__name__)

PRIVATE = (
    PrivateName(asyncio.selector_events._SelectorTransport, "_sock", "attribute"),
    PrivateName(asyncio.selector_events._SelectorTransport, "_loop", "attribute"),
    PrivateName(asyncio.selector_events._SelectorTransport, "_conn_lost", "attribute"),
    PrivateName(asyncio.selector_events.BaseSelectorEventLoop, "_add_reader", "method"),
    PrivateName(asyncio.selector_events.BaseSelectorEventLoop, "_remove_reader", "method"),
)

BATCH = 32  # datagrams per system call, at most (a few video frames)


def enabled() -> bool:
    return packet_io.use_compiled() and os.environ.get("MEDIA_BATCH_RECEIVE") != "0"


# () -> (take, finish) | None: the connection's compiled media receiver as it is now
# (take(data) returns None for a datagram it forwarded) and what to do with a datagram it
# gave back or raised on, finish(data, result); None: nothing to hand media to yet
MediaTaker = Callable[[], tuple[Callable[[bytes], Any], Callable[[bytes, Any], None]] | None]


def batch_reads(
    protocol: Any, rtp: Callable[[bytes], None] | None = None, media: MediaTaker | None = None
) -> bool:
    """Make ``protocol``'s datagram transport read in batches; False where it cannot.

    ``rtp``, if given, takes RTP/RTCP datagrams (first byte 128-191) instead of
    ``protocol.datagram_received``: one Python call less per media packet. ``media``, if
    given, the compiled read hands media datagrams straight to (``receive_batch``): no
    Python at all for one it forwards."""
    transport = getattr(protocol, "transport", None)
    compiled = packet_io.compiled
    if compiled is None or not enabled() or transport is None or transport.is_closing():
        return False
    if not hasattr(compiled, "receive_batch"):  # built where there is no recvmmsg
        return False
    loop, sock = getattr(transport, "_loop", None), getattr(transport, "_sock", None)
    if not isinstance(loop, asyncio.selector_events.BaseSelectorEventLoop) or sock is None:
        return False
    fd = sock.fileno()
    receive_batch = compiled.receive_batch

    def hand_over(taker: Any, items: list[tuple[bytes, Any, Any]] | BaseException) -> None:
        """What a batch read left for Python: each datagram to where it goes."""
        if isinstance(items, OSError):
            protocol.error_received(items)
            return
        if isinstance(items, Exception):
            logger.error("a batch read failed", exc_info=items)
            return
        if isinstance(items, BaseException):
            raise items  # KeyboardInterrupt, SystemExit: the loop's to stop on
        finish = taker[1] if taker is not None else None
        for data, addr, result in items:
            try:
                if result is not None and finish is not None:
                    finish(data, result)  # media the compiled receiver gave back
                elif rtp is not None and 127 < data[0] < 192:
                    rtp(data)
                else:
                    protocol.datagram_received(data, addr)
            except Exception:
                # asyncio would log it from the callback; the rest of the batch still counts
                logger.exception("a datagram's handler failed")

    def read_ready() -> None:
        # asyncio's _SelectorDatagramTransport._read_ready, for a whole batch
        if transport._conn_lost:
            return
        taker = media() if media is not None else None
        try:
            _count, left = receive_batch(fd, BATCH, taker[0] if taker is not None else None)
        except OSError as exc:
            protocol.error_received(exc)
            return
        hand_over(taker, left)

    # the transport's close() removes whatever reader the descriptor has, this one too
    loop._remove_reader(fd)
    loop._add_reader(fd, read_ready)
    # a media_selector.MediaSelector reads the socket inside its wait
    add_media = getattr(getattr(loop, "_selector", None), "add_media", None)
    if add_media is not None:
        add_media(fd, media if media is not None else _no_taker, hand_over)
    return True


def _no_taker() -> None:
    return None


def read_counts() -> tuple[int, int]:
    """(batched reads, datagrams they returned) in this process; the benchmark reports the
    ratio."""
    compiled = packet_io.compiled
    if compiled is None or not hasattr(compiled, "batch_counts"):
        return (0, 0)
    reads, datagrams = compiled.batch_counts()
    return (reads, datagrams)
