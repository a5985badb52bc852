"""A bad cable between two interfaces: copies Ethernet frames both ways with random loss,
delay and jitter. What ``tc netem`` does, in user space, for kernels built without
sch_netem (this project's CI VMs); run by tests/media/netns.py inside a bridge namespace:

    python tests/media/wire.py PORT_A PORT_B --loss 5 --delay-ms 50 --jitter-ms 50

Prints READY, runs until its stdin closes. A frame's delay is uniform in
[delay - jitter, delay + jitter], as netem's default, and jitter reorders frames as
netem's does unless --keep-order. IPv4 UDP checksums are cleared (0 = none), since a veth hands frames
over with the checksum left for hardware to fill in.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import heapq
import os
import random
import socket
import struct
import sys

ETH_P_ALL = 0x0003
SO_RCVBUFFORCE = 33
ETH_IPV4 = b"\x08\x00"
UDP = 17


def _without_udp_checksum(frame: bytes) -> bytes:
    if frame[12:14] != ETH_IPV4 or len(frame) < 34 or frame[23] != UDP:
        return frame
    checksum = 14 + (frame[14] & 0x0F) * 4 + 6
    return frame[:checksum] + b"\x00\x00" + frame[checksum + 2 :]


class Direction:
    def __init__(self, source: socket.socket, target: socket.socket, args) -> None:
        self.source, self.target, self.args = source, target, args
        self.loop = asyncio.get_running_loop()
        self.last_departure = 0.0
        self.queue: list[tuple[float, int, bytes]] = []
        self.count = 0
        self.timer: asyncio.TimerHandle | None = None

    def readable(self) -> None:
        while True:
            try:
                frame, address = self.source.recvfrom(65535)
            except BlockingIOError:
                return
            if address[2] == socket.PACKET_OUTGOING:
                continue  # what we wrote ourselves
            if random.random() * 100 < self.args.loss:
                continue
            delay = self.args.delay_ms + random.uniform(-1, 1) * self.args.jitter_ms
            departure = self.loop.time() + max(0.0, delay) / 1000
            if self.args.keep_order:
                departure = self.last_departure = max(departure, self.last_departure)
            self.count += 1
            heapq.heappush(self.queue, (departure, self.count, _without_udp_checksum(frame)))
            if self.queue[0][1] == self.count:  # the first due now: (re)arm the timer
                if self.timer is not None:
                    self.timer.cancel()
                self.timer = self.loop.call_at(departure, self._send_due)

    def _send_due(self) -> None:
        # one heap with an arrival count: the loop's timers do not keep the order of equal times
        now = self.loop.time()
        while self.queue and self.queue[0][0] <= now:
            # the other side is down: the frame is lost, as on a cable
            with contextlib.suppress(OSError):
                self.target.send(heapq.heappop(self.queue)[2])
        self.timer = self.loop.call_at(self.queue[0][0], self._send_due) if self.queue else None


def _port(name: str) -> socket.socket:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((name, 0))
    sock.setblocking(False)
    # a busy machine may leave us unscheduled for a while: queue, do not drop
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
    # PACKET_ADD_MEMBERSHIP, PACKET_MR_PROMISC: frames for every address, not only ours
    mreq = struct.pack("iHH8s", socket.if_nametoindex(name), 1, 0, b"")
    sock.setsockopt(263, 1, mreq)
    return sock


async def main(args) -> None:
    # the wire stands for the network, which does not wait for a CPU: ahead of the peers
    with contextlib.suppress(OSError):
        os.nice(-10)
    a, b = _port(args.port_a), _port(args.port_b)
    loop = asyncio.get_running_loop()
    loop.add_reader(a.fileno(), Direction(a, b, args).readable)
    loop.add_reader(b.fileno(), Direction(b, a, args).readable)
    print("READY", flush=True)
    await loop.run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("port_a")
    parser.add_argument("port_b")
    parser.add_argument("--loss", type=float, default=0.0, help="percent, each way")
    parser.add_argument("--delay-ms", type=float, default=0.0)
    parser.add_argument("--jitter-ms", type=float, default=0.0)
    parser.add_argument("--keep-order", action="store_true", help="no reordering by jitter")
    asyncio.run(main(parser.parse_args()))
