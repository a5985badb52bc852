"""Read batching for the benchmark's synthetic clients.

Each wake-up from epoll costs this VM ~150 us of CPU, more than handling a packet;
the clients receive N(N-1) streams, so without this they, not the relay, run out of
CPU first. Uses asyncio's selector-loop ``_add_reader``/``_remove_reader`` (the
public ones refuse a transport's socket) and the transport's ``_sock``.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from typing import Any

SO_TIMESTAMPNS = 35  # Linux; also the control message type
TIMESPEC = struct.Struct("qq")


class Arrival:
    """Kernel receive time (time.time() clock) of the datagram being handled."""

    time = 0.0


arrival = Arrival()


class ReceiveBatcher:
    """Wakes the event loop at most once per ``interval`` for media sockets under load.

    After a socket becomes readable the batcher stops watching the sockets, sleeps
    ``interval``, then drains every socket; it watches them again once they are quiet.
    A packet waits at most ``interval`` longer, but ``arrival`` still says when the
    kernel received it (SO_TIMESTAMPNS), so latency figures do not include the wait.
    """

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.loop = asyncio.get_running_loop()
        self.sockets: dict[int, tuple[Any, Any, Any]] = {}  # id(transport) -> sock, proto, tr
        self.watching = True
        self.timer: asyncio.TimerHandle | None = None

    def add(self, protocol: Any) -> None:
        transport = protocol.transport
        if id(transport) in self.sockets or transport is None or transport.is_closing():
            return
        sock = transport._sock
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.loop._remove_reader(sock.fileno())
        self.sockets[id(transport)] = (sock, protocol, transport)
        if self.watching:
            self.loop._add_reader(sock.fileno(), self._readable)

    def close(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self._watch(False)
        self.sockets.clear()

    def _readable(self) -> None:
        self._drain()
        self._watch(False)
        self.timer = self.loop.call_later(self.interval, self._tick)

    def _tick(self) -> None:
        self.timer = None
        if self._drain():
            self.timer = self.loop.call_later(self.interval, self._tick)
        else:
            self._watch(True)

    def _drain(self) -> bool:
        received = False
        for key, (sock, protocol, transport) in list(self.sockets.items()):
            if transport.is_closing():
                del self.sockets[key]
                continue
            for _ in range(512):
                try:
                    data, ancillary, _, addr = sock.recvmsg(65536, 64)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    del self.sockets[key]
                    break
                received = True
                arrival.time = time.time()
                for level, kind, value in ancillary:
                    if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                        seconds, nanoseconds = TIMESPEC.unpack_from(value)
                        arrival.time = seconds + nanoseconds / 1e9
                protocol.datagram_received(data, addr)
        return received

    def _watch(self, watching: bool) -> None:
        self.watching = watching
        for key, (sock, _, transport) in list(self.sockets.items()):
            if transport.is_closing():
                del self.sockets[key]
            elif watching:
                self.loop._add_reader(sock.fileno(), self._readable)
            else:
                self.loop._remove_reader(sock.fileno())
