"""The compiled receive step (``_receive.c``) hands a publication the packets the Python
path hands it, and leaves what receiver reports and NACKs are made of (highest sequence
number, cycles, packets received and lost, jitter, missing packets) as the Python path
leaves it, through loss, reordering, duplicates, sequence wrap-around, RTX, an unknown
SSRC, a disabled receiver and a failing handler."""

from __future__ import annotations

import dataclasses
import logging
import random
from typing import Any
from unittest import mock

import pylibsrtp
import pytest
from aiortc.rtcdtlstransport import RtpRouter
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from bench.packet_path import KEY, ReceiverStub
from media.aiortc_private import packet_io
from media.aiortc_private.receiver import Ingress
from media.aiortc_private.transport import media_handler
from media.forwarding import Publication, rtp_bytes
from tests.media import test_fan_out as fan_out_test

pytestmark = pytest.mark.skipif(
    packet_io.compiled is None,
    reason="media/aiortc_private/_packet_io is not built (pip install -e . builds it)",
)

VIDEO, RTX_SSRC, STRANGER = 0x1234, 0x4321, 0x7777
RTX = RTCRtpCodecParameters(
    mimeType="video/rtx", clockRate=90000, payloadType=97, parameters={"apt": 96}
)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, payloadType=111)


def srtp(direction: int) -> pylibsrtp.Session:
    policy = pylibsrtp.Policy(
        key=KEY, ssrc_type=direction, srtp_profile=pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM
    )
    policy.allow_repeat_tx = True  # duplicates and retransmissions are part of the story
    return pylibsrtp.Session(policy)


def arrivals(seed: int) -> list[tuple[str, bytes]]:
    """(what happens first, SRTP datagram): video across the 16-bit wrap with losses,
    duplicates, late packets, RTX repairs and a stranger's packets."""
    rng = random.Random(seed)
    protect = srtp(pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
    mid = bytes([0x10]) + b"0"
    out: list[tuple[str, bytes]] = []
    seq, rtx_seq = 65300 + seed, 100
    for i in range(1500):
        seq = (seq + 1) & 0xFFFF
        roll = rng.random()
        number = seq
        if i in (400, 420, 700):
            roll = 0.5  # the events below happen to a packet that arrives
        if roll < 0.03:
            continue  # lost
        if roll < 0.05:
            number = (seq - 1) & 0xFFFF  # duplicate
        elif roll < 0.07:
            number = (seq - rng.randint(2, 40)) & 0xFFFF  # late
        event = "toggle" if i in (400, 420) else "raise" if i == 700 else ""
        payload = bytes([0x10, i & 0xFF]) + bytes(rng.randrange(256) for _ in range(30))
        ts = (i // 3) * 3000 + seed
        out.append(
            (event, protect.protect(rtp_bytes(96, i % 3 == 2, number, ts, VIDEO, mid, payload)))
        )
        if roll > 0.98:  # the publisher repairs an earlier packet over RTX
            rtx_seq += 1
            repaired = ((seq - 3) & 0xFFFF).to_bytes(2, "big") + payload
            out.append(
                ("", protect.protect(rtp_bytes(97, 0, rtx_seq, ts, RTX_SSRC, mid, repaired)))
            )
        if roll > 0.99:
            out.append(("", protect.protect(rtp_bytes(96, 0, i, ts, STRANGER, b"", payload))))
    return out


class Run:
    """One receiver's chain, as the relay's transport builds it, compiled or in Python."""

    def __init__(self, compiled: bool) -> None:
        self.router = RtpRouter()
        self.receiver = ReceiverStub()
        self.receiver._RTCRtpReceiver__codecs[97] = RTX
        self.receiver._RTCRtpReceiver__rtx_ssrc[RTX_SSRC] = VIDEO
        self.delivered: list[tuple[Any, ...]] = []
        self.nacks: list[tuple[int, list[int]]] = []
        self.fail_next = False
        self.ingress = Ingress(self.receiver, self.on_packet)  # type: ignore[arg-type]
        self.receiver._send_rtcp_nack = lambda ssrc, missing: (ssrc, missing)
        self.ingress._spawn = self.nacks.append
        self.router.register_receiver(self.receiver, [VIDEO], [96, 97])  # type: ignore[arg-type]
        extensions = HeaderExtensionsMap()
        extensions.configure(
            type(
                "Parameters",
                (),
                {
                    "headerExtensions": [
                        RTCRtpHeaderExtensionParameters(
                            id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"
                        )
                    ]
                },
            )()
        )
        rx = srtp(pylibsrtp.Policy.SSRC_ANY_INBOUND)
        self.handle = media_handler(rx, extensions, self.router, compiled)

    def on_packet(self, packet: RtpPacket, codec: RTCRtpCodecParameters) -> None:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("a subscriber's connection broke")
        self.delivered.append(
            (
                codec.payloadType,
                vars(packet) | {"extensions": dataclasses.asdict(packet.extensions)},
            )
        )

    def feed(self, datagrams: list[tuple[str, bytes]], clock: list[float]) -> list[bool]:
        handled = []
        for event, data in datagrams:
            clock[0] += 0.001 + (len(data) % 7) * 0.002
            if event == "toggle":
                self.receiver._enabled = not self.receiver._enabled
            elif event == "raise":
                self.fail_next = True
            handled.append(self.handle(data))
        return handled

    def state(self) -> dict[str, Any]:
        streams = self.receiver._RTCRtpReceiver__remote_streams
        nack = self.ingress.nack_generator
        return {
            "streams": {
                ssrc: (
                    s.base_seq,
                    s.max_seq,
                    s.cycles,
                    s.packets_received,
                    s.jitter,
                    s.packets_lost,
                    s.fraction_lost,
                )
                for ssrc, s in streams.items()
            },
            "nack": (nack.max_seq, sorted(nack.missing)),
            "nacks": self.nacks,
            "nacks_sent": self.ingress.nacks_sent,
            "media_ssrc": self.ingress.media_ssrc,
        }


def run(compiled: bool, seed: int) -> tuple[list[bool], list[Any], dict[str, Any]]:
    clock = [1_800_000_000.0]
    fake_time = lambda: clock[0]  # noqa: E731
    assert packet_io.compiled is not None
    packet_io.compiled.configure_receive(fake_time)
    try:
        with mock.patch("time.time", fake_time):
            chain = Run(compiled)
            handled = chain.feed(arrivals(seed), clock)
    finally:
        packet_io.compiled.configure_receive(None)
    return handled, chain.delivered, chain.state()


@pytest.mark.parametrize("seed", range(4))
def test_compiled_receive_matches_python(seed: int, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        python = run(False, seed)
        python_errors = len(caplog.records)
        compiled = run(True, seed)
    handled, delivered, state = compiled
    assert handled == python[0]
    assert len(delivered) == len(python[1])
    assert delivered == python[1]
    assert state == python[2]
    # what the test is about happened: losses NACKed, RTX repaired, the stranger counted
    assert state["nacks_sent"] > 0 and RTX_SSRC in state["streams"]
    assert STRANGER in state["streams"] and state["streams"][VIDEO][5] > 0
    # the failing handler was logged once on each path, and nothing else
    assert python_errors == 1 and len(caplog.records) == 2


def test_usual_packets_take_the_compiled_step() -> None:
    """The point of it: in-order packets never reach Ingress.handle."""
    calls = []
    original = Ingress.handle

    def counted(self: Ingress, packet: RtpPacket) -> None:
        calls.append(packet.sequence_number)
        original(self, packet)

    protect = srtp(pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
    datagrams = [
        ("", protect.protect(rtp_bytes(96, 0, n, n * 10, VIDEO, b"", b"\x10\x00abc")))
        for n in range(200)
    ]
    with mock.patch.object(Ingress, "handle", counted):
        chain = Run(True)
        assert chain.feed(datagrams, [0.0]) == [True] * 200
    assert calls == [0]  # the first packet starts the statistics; the rest are compiled
    assert [packet["sequence_number"] for _, packet in chain.delivered] == list(range(200))
    stats = chain.receiver._RTCRtpReceiver__remote_streams[VIDEO]
    assert (stats.packets_received, stats.max_seq, stats.packets_lost) == (200, 199, 0)


def publication_run(
    kind: str, compiled: bool, downtracks: list[dict[str, Any]], datagrams: list[bytes]
) -> tuple[list[list[bytes]], dict[str, Any], int]:
    """A publication's subscribers behind the whole receive chain: what reached their
    sockets, the forwarding state, and how many packets Publication.on_packet (Python) took."""
    codec = fan_out_test.VP8 if kind == "video" else fan_out_test.OPUS
    calls = [0]
    python_on_packet = Publication.on_packet

    def counted(self: Publication, packet: RtpPacket, codec: RTCRtpCodecParameters) -> None:
        calls[0] += 1
        python_on_packet(self, packet, codec)

    clock = [1_800_000_000.0]
    fake_time = lambda: clock[0]  # noqa: E731
    assert packet_io.compiled is not None
    packet_io.compiled.configure_receive(fake_time)
    with (
        mock.patch.object(Publication, "on_packet", counted),
        mock.patch("time.time", fake_time),
        mock.patch("time.monotonic", fake_time),
    ):
        room = fan_out_test.Room(kind, compiled, downtracks)
        try:
            chain = Run(compiled)
            wire: list[list[bytes]] = [[] for _ in downtracks]
            codecs = chain.receiver._RTCRtpReceiver__codecs
            codecs.clear()
            codecs[codec.payloadType] = codec
            if kind == "audio":
                chain.ingress.nack_generator = None
                chain.receiver._RTCRtpReceiver__nack_generator = None
            chain.ingress.on_packet = room.publication.on_packet
            chain.router.register_receiver(chain.receiver, [VIDEO], [codec.payloadType])
            for n, data in enumerate(datagrams):
                clock[0] += 0.0037
                if n == 90:
                    room.downtracks[1].restart()
                if n == 120:
                    room.downtracks[2].paused = False
                if n == 200:
                    room.transports[3]._closing = True
                assert chain.handle(data)
                if n % 40 == 39:  # before the sinks' socket buffers fill
                    for got, more in zip(wire, room.received(), strict=True):
                        got.extend(more)
            for got, more in zip(wire, room.received(), strict=True):
                got.extend(more)
            return wire, room.state(), calls[0]
        finally:
            packet_io.compiled.configure_receive(None)
            room.close()


def encrypted(packets: list[RtpPacket], extensions: bytes) -> list[bytes]:
    protect = srtp(pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
    return [
        protect.protect(
            rtp_bytes(
                p.payload_type,
                p.marker,
                p.sequence_number,
                p.timestamp,
                VIDEO,
                extensions,
                p.payload,
            )
        )
        for p in packets
    ]


@pytest.mark.parametrize("kind", ["video", "audio"])
def test_publication_behind_the_compiled_step_sends_what_python_sends(kind: str) -> None:
    if kind == "video":
        downtracks = [
            {"abs_send_time_id": 3},
            {"abs_send_time_id": 0},
            {"abs_send_time_id": 5, "paused": True},
            {"abs_send_time_id": 3},
            {"abs_send_time_id": 2, "ready": False},
        ]
        packets = [
            fan_out_test.vp8_packet(65400 + n, (n // 3) * 3000, n % 60 == 0, int(n % 3 == 2))
            for n in range(300)
            if n % 97 != 50  # a loss now and then: the Python path and back
        ]
        extensions = bytes([0x10]) + b"0"
    else:
        downtracks = [
            {"audio_level_id": 1},
            {"audio_level_id": 0},
            {"audio_level_id": 14, "paused": True},
            {"audio_level_id": 1},
        ]
        packets = [fan_out_test.opus_packet(n, None) for n in range(300) if n % 97 != 50]
        # the level as the publisher sends it (RFC 6464, id 2): voice and -(n % 128) dBov
        extensions = bytes([0x10]) + b"0"
    datagrams = encrypted(packets, extensions)
    python_wire, python_state, python_calls = publication_run(kind, False, downtracks, datagrams)
    wire, state, calls = publication_run(kind, True, downtracks, datagrams)
    assert [len(d) for d in wire] == [len(d) for d in python_wire]
    assert wire == python_wire
    assert state == python_state
    assert sum(len(d) for d in wire) > 500
    assert python_calls == len(packets) and calls < 10  # the compiled run bypassed it
