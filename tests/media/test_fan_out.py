"""The compiled fan-out (``_fan_out.c``) sends subscribers the bytes the Python loop sends
and leaves the relay's state (numbering, retransmission history, sender-report counters)
as the Python loop leaves it, through keyframe waits, restarts, pauses, a subscriber not
ready yet, a closing connection, audio levels and sequence-number wrap-around."""

from __future__ import annotations

import itertools
import socket
from typing import Any

import pylibsrtp
import pytest
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import HeaderExtensions, RtpPacket

from bench.packet_path import TransportStub, session, stub_egress
from media import forwarding
from media.aiortc_private import packet_io
from media.forwarding import Downtrack, Publication

pytestmark = pytest.mark.skipif(
    packet_io.compiled is None,
    reason="media/aiortc_private/_packet_io is not built (pip install -e . builds it)",
)

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
OPUS = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, payloadType=111)
HISTORY_SLOTS = 128


class UvloopLikeTransport(TransportStub):
    """A transport with only is_closing() (uvloop's keeps its state in C)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.closing = False

    def is_closing(self) -> bool:
        return self.closing


class Room:
    """One publication and its subscribers, on the compiled or the Python path."""

    def __init__(self, kind: str, compiled: bool, downtracks: list[dict[str, Any]]) -> None:
        codec = VP8 if kind == "video" else OPUS
        self.publication = Publication(
            "pub", kind, codec, 1.0, lambda _: None, lambda *_: None, compiled_path=compiled
        )
        self.keyframe_requests = 0
        self.publication.request_keyframe = self._count_keyframe_request
        self.sinks: list[socket.socket] = []
        self.transports: list[Any] = []
        self.downtracks: list[Downtrack] = []
        for n, spec in enumerate(downtracks):
            sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sink.bind(("127.0.0.1", 0))
            sink.setblocking(False)
            out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            out.bind(("127.0.0.1", 0))
            out.setblocking(False)
            transport = (UvloopLikeTransport if spec.get("uvloop") else TransportStub)(out)
            tx = session(pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
            send = packet_io.rtp_sender(tx, transport, sink.getsockname(), compiled)
            egress = stub_egress(0x5000 + n, kind == "video", send, transport, tx)
            downtrack = Downtrack(f"sub{n}", egress, codec.clockRate, kind == "video")
            downtrack.ready = spec.get("ready", True)
            downtrack.paused = spec.get("paused", False)
            downtrack.payload_type = spec.get("payload_type", codec.payloadType)
            downtrack.mid_element = bytes([0x10]) + str(n).encode()
            downtrack.abs_send_time_id = spec.get("abs_send_time_id", 0)
            downtrack.audio_level_id = spec.get("audio_level_id", 0)
            downtrack.video_extensions = downtrack.mid_element
            if downtrack.abs_send_time_id:
                downtrack.video_extensions += bytes([downtrack.abs_send_time_id << 4 | 2])
            self.publication.add_downtrack(downtrack)
            self.sinks.append(sink)
            self.transports.append(transport)
            self.downtracks.append(downtrack)

    def _count_keyframe_request(self) -> None:
        self.keyframe_requests += 1

    def received(self) -> list[list[bytes]]:
        got = []
        for sink in self.sinks:
            datagrams = []
            while True:
                try:
                    datagrams.append(sink.recv(4096))
                except BlockingIOError:
                    break
            got.append(datagrams)
        return got

    def state(self) -> dict[str, Any]:
        """Everything the forwarding left behind that anything else reads."""
        state: dict[str, Any] = {
            "keyframe_requests": self.keyframe_requests,
            "subscribers": sorted(self.publication.downtracks),
        }
        for downtrack in self.downtracks:
            egress = downtrack.egress
            state[downtrack.subscriber] = (
                {
                    k: getattr(downtrack, k)
                    for k in ("packets_sent", "waiting_keyframe", "rebase", "seq_offset")
                },
                {
                    k: getattr(egress, k)
                    for k in (
                        "last_seq",
                        "last_ts",
                        "last_sent",
                        "history",
                        "_sent_packets",
                        "_sent_octets",
                        "send_times",
                    )
                },
                dict(vars(egress.sender)),
            )
        return state

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()
        for transport in self.transports:
            transport._sock.close()


def vp8_packet(seq: int, ts: int, keyframe: bool, marker: int) -> RtpPacket:
    descriptor = bytes([0x90, 0x80, 0x12, seq & 0x7F])
    first = bytes([0x10 if keyframe else 0x11])
    return RtpPacket(
        payload_type=96,
        marker=marker,
        sequence_number=seq & 0xFFFF,
        timestamp=ts & 0xFFFFFFFF,
        ssrc=0x1234,
        payload=descriptor + first + bytes([seq % 251]) * (300 + seq % 900),
    )


def opus_packet(seq: int, level: tuple[bool, int] | None) -> RtpPacket:
    packet = RtpPacket(
        payload_type=111,
        marker=int(seq % 50 == 0),
        sequence_number=seq & 0xFFFF,
        timestamp=(seq * 960) & 0xFFFFFFFF,
        ssrc=0x4321,
        payload=bytes([seq % 256]) * 80,
    )
    packet.extensions = HeaderExtensions(audio_level=level)
    return packet


@pytest.fixture
def steady_clock(monkeypatch):
    """Both paths see the same time: now, abs-send-time and NTP come from a counter that
    each run starts again (call the fixture's value)."""
    ticks = [itertools.count()]
    monkeypatch.setattr(forwarding.time, "monotonic", lambda: next(ticks[0]) * 0.011)
    monkeypatch.setattr(
        forwarding, "abs_send_time_bytes", lambda: (next(ticks[0]) & 0xFFFFFF).to_bytes(3, "big")
    )
    monkeypatch.setattr(forwarding, "ntp_now", lambda: next(ticks[0]) << 20)

    def restart() -> None:
        ticks[0] = itertools.count()

    return restart


def run_both(kind: str, downtracks: list[dict[str, Any]], script, clock, monkeypatch) -> None:
    results = {}
    in_python = {}
    python_forward = Downtrack.forward

    def counted_forward(self: Downtrack, *args: Any) -> None:
        in_python[compiled] += 1
        python_forward(self, *args)

    monkeypatch.setattr(Downtrack, "forward", counted_forward)
    for compiled in (False, True):
        clock()
        in_python[compiled] = 0
        room = Room(kind, compiled, downtracks)
        try:
            script(room)
            results[compiled] = (room.received(), room.state())
        finally:
            room.close()
    # the compiled run forwarded nearly everything without Downtrack.forward
    assert in_python[True] * 10 < in_python[False]
    (python_wire, python_state), (compiled_wire, compiled_state) = results[False], results[True]
    assert [len(d) for d in compiled_wire] == [len(d) for d in python_wire]
    assert compiled_wire == python_wire
    assert compiled_state == python_state
    assert sum(len(d) for d in python_wire) > 0


def test_video_subscribers_get_the_same_bytes_through_keyframes_restarts_and_wrap(
    steady_clock, monkeypatch
):
    downtracks = [
        {"abs_send_time_id": 3},
        {"abs_send_time_id": 0},
        {"abs_send_time_id": 5, "paused": True},
        {"abs_send_time_id": 3, "ready": False},  # prepare() fails: never confirmed
        {"abs_send_time_id": 2, "payload_type": 100},
        {"abs_send_time_id": 3, "uvloop": True},
    ]

    def script(room: Room) -> None:
        on_packet = room.publication.on_packet
        seq = 65400  # wraps around 65535 on the way
        for frame in range(80):
            if frame == 30:
                room.downtracks[1].restart()  # e.g. the video was paused and resumed
            if frame == 40:
                room.downtracks[2].paused = False
            if frame == 50:
                # an old packet arriving late, from before the anchor of a restart
                on_packet(vp8_packet(seq - 200, frame * 3000 - 90000, False, 1), VP8)
            if frame == 60:
                room.transports[4]._closing = True  # that subscriber's connection goes
            if frame == 65:
                room.transports[5].closing = True
            for part in range(3):
                keyframe = part == 0 and frame % 20 == 0
                on_packet(vp8_packet(seq, frame * 3000, keyframe, int(part == 2)), VP8)
                seq += 1
        # history slots were overwritten many times over: compare them all
        assert len(room.downtracks[0].egress.history) == HISTORY_SLOTS

    run_both("video", downtracks, script, steady_clock, monkeypatch)


def test_audio_subscribers_get_the_same_levels_and_numbering(steady_clock, monkeypatch):
    downtracks = [{"audio_level_id": 1}, {"audio_level_id": 0}, {"audio_level_id": 14}]

    def script(room: Room) -> None:
        for seq in range(300):
            level = None if seq % 7 == 0 else (seq % 3 == 0, seq % 128)
            room.publication.on_packet(opus_packet(seq, level), OPUS)
            if seq == 150:
                room.downtracks[2].restart()

    run_both("audio", downtracks, script, steady_clock, monkeypatch)
