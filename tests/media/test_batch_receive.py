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


@pytest.mark.skipif(packet_io.compiled is None, reason="_packet_io is not built")
async def test_media_goes_straight_to_the_receiver_and_everything_else_keeps_its_path():
    await media_and_the_rest()


async def media_and_the_rest() -> None:
    """What the compiled receiver forwards never reaches Python; what it gives back or
    raises on, RTCP, STUN and DTLS arrive as before, in order."""
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(Recorder, local_addr=("127.0.0.1", 0))
    if not isinstance(loop, asyncio.selector_events.BaseSelectorEventLoop):
        # uvloop keeps its own reads: nothing is installed, media takes the usual path
        assert not batch_receive.batch_reads(protocol, None, lambda: None)
        transport.close()
        return
    taken: list[bytes] = []
    finished: list[tuple[bytes, object]] = []
    rtp: list[bytes] = []

    def take(data: bytes):
        if data[2] == 1:  # what the compiled path gives back: a packet for Python
            return ("packet", data)
        if data[2] == 2:
            raise ValueError("undecryptable")
        taken.append(data)
        return None

    def finish(data: bytes, result: object) -> None:
        finished.append((data, result))

    try:
        assert batch_receive.batch_reads(protocol, rtp.append, lambda: (take, finish))
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sender.bind(("127.0.0.1", 0))
        media = [bytes([0x80, 0x60, 0, i]) for i in range(20)]
        back, bad = bytes([0x80, 0x60, 1, 0]), bytes([0x80, 0x60, 2, 0])
        rtcp, stun, dtls = bytes([0x80, 200, 0, 0]), b"\x00\x01stun", b"\x16\xfe\xfddtls"
        sent = [*media[:10], back, rtcp, stun, bad, dtls, *media[10:]]
        for data in sent:
            sender.sendto(data, transport.get_extra_info("sockname"))
        for _ in range(200):
            if len(taken) + len(finished) + len(rtp) + len(protocol.received) == len(sent):
                break
            await asyncio.sleep(0.01)
        sender.close()
        assert taken == media
        assert [d for d, _ in finished] == [back, bad]
        assert finished[0][1] == ("packet", back)
        assert isinstance(finished[1][1], ValueError)
        assert rtp == [rtcp]
        assert [d for d, _ in protocol.received] == [stun, dtls]
    finally:
        transport.close()
