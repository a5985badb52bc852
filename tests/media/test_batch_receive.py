"""Media sockets read in batches (recvmmsg) deliver what asyncio's one-at-a-time reads do."""

from __future__ import annotations

import asyncio
import socket

import pytest

from media.aiortc_private import batch_receive, packet_io


class Recorder(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.received: list[tuple[bytes, tuple]] = []

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.received.append((data, addr))


async def deliver(batched: bool, family: int, host: str) -> tuple[list, bool]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        Recorder, local_addr=(host, 0), family=family
    )
    try:
        installed = batch_receive.batch_reads(protocol) if batched else False
        sender = socket.socket(family, socket.SOCK_DGRAM)
        sender.bind((host, 0))
        target = transport.get_extra_info("sockname")
        # a burst, as a video frame's packets arrive, then stragglers
        datagrams = [bytes([0x80, i]) + b"v" * (i * 37 % 1400) for i in range(40)] + [b"\x00"]
        for data in datagrams[:35]:
            sender.sendto(data, target)
        for data in datagrams[35:]:
            await asyncio.sleep(0.01)
            sender.sendto(data, target)
        for _ in range(200):
            if len(protocol.received) == len(datagrams):
                break
            await asyncio.sleep(0.01)
        sender_addr = sender.getsockname()
        sender.close()
        assert [d for d, _ in protocol.received] == datagrams
        assert {a[:2] for _, a in protocol.received} == {sender_addr[:2]}
        return protocol.received, installed
    finally:
        transport.close()


@pytest.mark.skipif(packet_io.compiled is None, reason="_packet_io is not built")
@pytest.mark.parametrize(
    ("family", "host"), [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")], ids=["v4", "v6"]
)
async def test_batched_reads_deliver_every_datagram_in_order_with_the_same_addresses(family, host):
    batched, installed = await deliver(True, family, host)
    plain, _ = await deliver(False, family, host)
    selector_loop = isinstance(
        asyncio.get_running_loop(), asyncio.selector_events.BaseSelectorEventLoop
    )
    assert installed == selector_loop  # uvloop keeps its own reads
    assert [len(a) for _, a in batched] == [len(a) for _, a in plain]


async def test_batching_is_off_on_the_python_path(monkeypatch):
    monkeypatch.setenv("MEDIA_PACKET_IO", "python")
    _, installed = await deliver(True, socket.AF_INET, "127.0.0.1")
    assert not installed
