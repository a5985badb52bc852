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

# [batched reads, datagrams they returned] in this process (the benchmark reports the ratio)
reads = [0, 0]


def enabled() -> bool:
    return packet_io.use_compiled() and os.environ.get("MEDIA_BATCH_RECEIVE") != "0"


def batch_reads(protocol: Any, rtp: Callable[[bytes], None] | None = None) -> bool:
    """Make ``protocol``'s datagram transport read in batches; False where it cannot.

    ``rtp``, if given, takes RTP/RTCP datagrams (first byte 128-191) instead of
    ``protocol.datagram_received``: one Python call less per media packet."""
    transport = getattr(protocol, "transport", None)
    compiled = packet_io.compiled
    if compiled is None or not enabled() or transport is None or transport.is_closing():
        return False
    if not hasattr(compiled, "receive_datagrams"):  # built where there is no recvmmsg
        return False
    loop, sock = getattr(transport, "_loop", None), getattr(transport, "_sock", None)
    if not isinstance(loop, asyncio.selector_events.BaseSelectorEventLoop) or sock is None:
        return False
    fd = sock.fileno()
    receive = compiled.receive_datagrams

    def read_ready() -> None:
        # asyncio's _SelectorDatagramTransport._read_ready, for a whole batch
        if transport._conn_lost:
            return
        try:
            datagrams = receive(fd, BATCH)
        except OSError as exc:
            protocol.error_received(exc)
            return
        reads[0] += 1
        reads[1] += len(datagrams)
        for data, addr in datagrams:
            try:
                if rtp is not None and 127 < data[0] < 192:
                    rtp(data)
                else:
                    protocol.datagram_received(data, addr)
            except Exception:
                # asyncio would log it from the callback; the rest of the batch still counts
                logger.exception("a datagram's handler failed")

    # the transport's close() removes whatever reader the descriptor has, this one too
    loop._remove_reader(fd)
    loop._add_reader(fd, read_ready)
    return True
