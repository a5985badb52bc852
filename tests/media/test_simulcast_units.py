"""Simulcast without a network: what one subscriber's stream looks like across layer
switches (sequence numbers, timestamps, VP8 picture ids), NACK mapping, layer choice, SDP."""

from __future__ import annotations

import itertools
import struct

from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from media import vp8
from media.aiortc_private.packet_io import rtp_bytes
from media.forwarding import Downtrack
from media.simulcast import Choice, Layer, SimulcastPublication, choose_layer
from media.simulcast_sdp import accept_layers, offered_layers

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
SIZES = {"q": (320, 180), "h": (640, 360), "f": (1280, 720)}


def vp8_payload(picture_id: int, tl0: int, start: bool, keyframe: bool, size=(0, 0)) -> bytes:
    descriptor = bytes([0x80 | (0x10 if start else 0), 0xC0])
    descriptor += struct.pack("!H", 0x8000 | picture_id) + bytes([tl0])
    if not start:
        return descriptor + b"\x00" * 20
    header = b"\x00\x00\x00\x9d\x01*" + struct.pack("<HH", *size) if keyframe else b"\x01\x00\x00"
    return descriptor + header + b"\x00" * 20


class Layered:
    """One publisher's three layers, each with its own SSRC, sequence, timestamp and
    picture-id numbering, as libwebrtc's three encoders have."""

    def __init__(self) -> None:
        self.state = {
            "q": [111, 65530, 4_000_000_000, 32760, 250],  # ssrc, seq, ts, picture id, tl0
            "h": [222, 100, 5_000, 1000, 7],
            "f": [333, 40000, 2_000_000, 20000, 100],
        }

    def frame(self, rid: str, keyframe: bool = False, packets: int = 2) -> list[RtpPacket]:
        ssrc, seq, ts, pid, tl0 = self.state[rid]
        out = []
        for i in range(packets):
            packet = RtpPacket(payload_type=96, sequence_number=seq, timestamp=ts, ssrc=ssrc)
            packet.marker = int(i == packets - 1)
            packet.payload = vp8_payload(pid, tl0, i == 0, keyframe, SIZES[rid])
            out.append(packet)
            seq = (seq + 1) & 0xFFFF
        self.state[rid] = [ssrc, seq, (ts + 3000) & 0xFFFFFFFF, (pid + 1) & 0x7FFF, tl0 + 1 & 0xFF]
        return out


class RecordingEgress:
    def __init__(self) -> None:
        self.last_seq = None
        self.last_ts = 0
        self.last_sent = 0.0
        self.sent: list[RtpPacket] = []

    def send(
        self, payload_type, marker, sequence_number, timestamp, extensions, payload, ntp, now=None
    ):
        data = rtp_bytes(payload_type, marker, sequence_number, timestamp, 0xABCD, b"", payload)
        self.sent.append(RtpPacket.parse(data))


def publication_with_subscriber() -> tuple[SimulcastPublication, RecordingEgress]:
    publication = SimulcastPublication("pub", ["q", "h", "f"], VP8, 0.0, lambda p: None)
    for rid, ssrc in (("q", 111), ("h", 222), ("f", 333)):
        publication.on_layer(ssrc, rid)
    egress = RecordingEgress()
    downtrack = Downtrack("sub", egress, 90000, True)  # type: ignore[arg-type]
    downtrack.ready, downtrack.payload_type, downtrack.ssrc = True, 100, 0xABCD
    publication.add_downtrack(downtrack)
    return publication, egress


def send_round(publication, layers, keyframes=()):
    """One frame of every layer, as the publisher sends them."""
    for rid in ("q", "h", "f"):
        for packet in layers.frame(rid, keyframe=rid in keyframes):
            publication.on_packet(packet, VP8)


async def test_one_continuous_stream_across_switches_up_and_down():
    publication, egress = publication_with_subscriber()
    layers = Layered()
    send_round(publication, layers, keyframes=("q", "h", "f"))  # sizes learnt
    publication.prefer("sub", (320, 180))
    for _ in range(3):
        send_round(publication, layers)
    send_round(publication, layers, keyframes=("q",))
    assert publication.layer_of("sub") == "q"
    on_low = len(egress.sent)

    publication.prefer("sub", (1280, 720))
    send_round(publication, layers)  # no keyframe of the top layer yet: stays on q
    assert publication.layer_of("sub") == "q"
    send_round(publication, layers, keyframes=("f",))
    assert publication.layer_of("sub") == "f"
    send_round(publication, layers)
    publication.prefer("sub", (640, 360))
    send_round(publication, layers, keyframes=("h",))
    send_round(publication, layers)
    assert publication.layer_of("sub") == "h"
    assert publication.switches == 2
    assert len(egress.sent) > on_low

    sent = egress.sent
    assert {p.ssrc for p in sent} == {0xABCD}
    assert {p.payload_type for p in sent} == {100}
    seqs = [p.sequence_number for p in sent]
    assert all((b - a) & 0xFFFF == 1 for a, b in itertools.pairwise(seqs))
    stamps = [p.timestamp for p in sent]
    assert all(0 <= (b - a) & 0xFFFFFFFF < 90000 for a, b in itertools.pairwise(stamps))
    frames = [vp8.read_ids(p.payload) for p in sent if p.payload[0] & 0x10]
    pids = [pid for pid, _ in frames]
    tl0s = [tl0 for _, tl0 in frames]
    assert all((b - a) & 0x7FFF == 1 for a, b in itertools.pairwise(pids))
    assert all((b - a) & 0xFF == 1 for a, b in itertools.pairwise(tl0s))


async def test_a_subscriber_nack_maps_back_to_the_layer_it_came_from():
    publication, egress = publication_with_subscriber()
    layers = Layered()
    publication.prefer("sub", (320, 180))
    send_round(publication, layers, keyframes=("q", "h", "f"))
    first_on_q = egress.sent[0].sequence_number
    q_seq_of_first = 65530  # the first q packet the relay forwarded
    publication.prefer("sub", (1280, 720))
    send_round(publication, layers, keyframes=("f",))
    first_on_f = egress.sent[-2].sequence_number
    choice = publication.choices["sub"]
    assert choice.original_of(first_on_q) == (111, q_seq_of_first)
    assert choice.original_of((first_on_q + 1) & 0xFFFF) == (111, 65531)
    assert choice.original_of(first_on_f) == (333, layers.state["f"][1] - 2)
    assert choice.original_of((first_on_f + 1) & 0xFFFF) == (333, layers.state["f"][1] - 1)


def test_layer_choice_follows_tile_size_budget_and_what_flows():
    now = 100.0
    layers = [Layer("q", 0, 1, 320, 180, now, 0, 150_000)]
    layers += [Layer("h", 1, 2, 640, 360, now, 0, 500_000)]
    layers += [Layer("f", 2, 3, 1280, 720, now, 0, 1_500_000)]

    def chosen(**kwargs):
        layer = choose_layer(layers, Choice(**kwargs), now)
        return layer.rid if layer else None

    assert chosen() == "f"  # nothing said yet: full quality
    assert chosen(tile=(200, 112)) == "q"
    assert chosen(tile=(480, 270)) == "h"
    assert chosen(tile=(700, 394)) == "h"  # a little upscaling is fine
    assert chosen(tile=(1000, 562)) == "f"
    assert chosen(tile=(1000, 562), budget=600_000) == "h"
    assert chosen(tile=(1000, 562), budget=50_000) == "q"  # nothing fits: the lowest
    layers[2].last_packet = now - 5  # the publisher stopped its top layer
    assert chosen(tile=(1000, 562)) == "h"
    assert choose_layer([Layer("q", 0)], Choice(), now) is None  # no SSRC learnt yet


def test_vp8_ids_rewrite_wraps_in_their_own_width():
    long_id = bytes([0x90, 0xC0, 0xFF, 0xFF, 255]) + b"\x00"
    payload, pid, tl0 = vp8.rewrite_ids(long_id, 1, 1)
    assert (pid, tl0) == (0, 0)
    assert vp8.read_ids(payload) == (0, 0)
    assert payload[2] & 0x80  # still the 15-bit form
    short_id = bytes([0x90, 0x80, 0x7F]) + b"\x00"
    payload, pid, _ = vp8.rewrite_ids(short_id, 3, 0)
    assert (pid, vp8.read_ids(payload)[0]) == (2, 2)
    plain = bytes([0x10]) + b"\x00" * 4
    assert vp8.rewrite_ids(plain, 5, 5) == (plain, -1, -1)
    assert vp8.keyframe_size(vp8_payload(1, 1, True, True, (640, 360))) == (640, 360)
    assert vp8.keyframe_size(vp8_payload(1, 1, True, False)) is None


CHROMIUM_VIDEO = (
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
    "a=mid:1\r\n"
    "a=sendonly\r\n"
    "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
    "a=rtpmap:96 VP8/90000\r\n"
    "a=rid:q send\r\n"
    "a=rid:h send\r\n"
    "a=rid:f send\r\n"
    "a=simulcast:send q;h;~f\r\n"
)
AUDIO = "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=rtpmap:111 opus/48000/2\r\n"


def test_the_answer_receives_the_layers_the_offer_sends():
    offer = "v=0\r\n" + AUDIO + CHROMIUM_VIDEO
    layers = offered_layers(offer)
    assert layers == {"1": ["q", "h", "f"]}
    answer = "v=0\r\n" + AUDIO + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=recvonly\r\n"
    accepted = accept_layers(answer, layers)
    video = accepted[accepted.index("m=video") :]
    assert "a=rid:q recv\r\na=rid:h recv\r\na=rid:f recv\r\na=simulcast:recv q;h;f\r\n" in video
    assert "a=simulcast" not in accepted[: accepted.index("m=video")]
    assert offered_layers("v=0\r\n" + AUDIO) == {}
    assert accept_layers(answer, {}) == answer


def test_a_paused_subscriber_asks_the_publisher_for_no_keyframes_until_it_resumes():
    publication, egress = publication_with_subscriber()
    layers = Layered()
    send_round(publication, layers, keyframes=("q", "h", "f"))
    requested: list[str] = []
    publication._request_layer = lambda layer: requested.append(layer.rid)  # type: ignore[method-assign]
    publication.downtracks["sub"].paused = True
    sent = len(egress.sent)
    publication.prefer("sub", (160, 90))  # its page shrank the tile meanwhile
    publication.tick()
    send_round(publication, layers, keyframes=("q",))
    assert requested == [] and len(egress.sent) == sent

    publication.downtracks["sub"].paused = False
    publication.resume("sub")
    assert requested == ["q"]
    send_round(publication, layers)  # no keyframe yet: still nothing forwarded
    assert len(egress.sent) == sent
    send_round(publication, layers, keyframes=("q",))
    assert len(egress.sent) == sent + 2  # from the keyframe on
