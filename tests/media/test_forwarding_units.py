"""Pure pieces of the forwarding path: serialization, keyframe detection, speaker choice."""

import fractions

import av
import numpy as np
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from media.forwarding import is_keyframe_start, rtp_bytes
from media.speaker import SpeakerDetector


def test_serialized_packets_parse_back_in_aiortc():
    extensions = HeaderExtensionsMap()
    extensions.configure(
        RTCRtpParameters(
            headerExtensions=[
                RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
                RTCRtpHeaderExtensionParameters(
                    id=2, uri="urn:ietf:params:rtp-hdrext:ssrc-audio-level"
                ),
                RTCRtpHeaderExtensionParameters(
                    id=3, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
                ),
            ]
        )
    )
    elements = b"\x1112" + b"\x32\x01\x02\x03" + bytes([2 << 4, 0x80 | 42])
    data = rtp_bytes(111, 1, 65535, 4294967295, 0xDEADBEEF, elements, b"payload")
    packet = RtpPacket.parse(data, extensions)
    assert (packet.payload_type, packet.marker) == (111, 1)
    assert (packet.sequence_number, packet.timestamp, packet.ssrc) == (
        65535,
        4294967295,
        0xDEADBEEF,
    )
    assert packet.extensions.mid == "12"
    assert packet.extensions.abs_send_time == 0x010203
    assert packet.extensions.audio_level == (True, 42)
    assert packet.payload == b"payload"
    plain = RtpPacket.parse(rtp_bytes(96, 0, 1, 2, 3, b"", b"x"), extensions)
    assert (plain.payload, plain.marker, plain.extensions.mid) == (b"x", 0, None)


def _vp8_payloads(force_keyframe):
    encoder = Vp8Encoder()
    payloads = []
    for i in range(3):
        image = np.full((120 * 3 // 2, 160), (i * 40) % 256, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(image, format="yuv420p")
        frame.pts, frame.time_base = i * 3000, fractions.Fraction(1, 90000)
        packets, _ = encoder.encode(frame, force_keyframe=force_keyframe and i == 2)
        payloads.append(packets)
    return payloads


def test_vp8_keyframes_are_recognised_from_their_first_packet():
    first, delta, forced = _vp8_payloads(force_keyframe=True)
    assert is_keyframe_start("VP8", first[0])
    assert not is_keyframe_start("VP8", delta[0])
    assert is_keyframe_start("VP8", forced[0])
    assert not any(is_keyframe_start("VP8", p) for p in first[1:])
    assert not is_keyframe_start("VP8", b"")


def test_h264_keyframes_are_recognised():
    idr, sps, non_idr = bytes([0x65, 0x88]), bytes([0x67, 0x42]), bytes([0x41, 0x9A])
    assert is_keyframe_start("H264", idr) and is_keyframe_start("H264", sps)
    assert not is_keyframe_start("H264", non_idr)
    stap_a = bytes([24]) + len(sps).to_bytes(2, "big") + sps
    assert is_keyframe_start("H264", stap_a)
    assert is_keyframe_start("H264", bytes([28, 0x85]))  # FU-A start of an IDR
    assert not is_keyframe_start("H264", bytes([28, 0x05]))  # FU-A continuation


def test_the_loudest_sustained_speaker_becomes_active():
    detector = SpeakerDetector()
    changes = []
    for step in range(40):  # 2 s of 50 packets/s
        now = step * 0.05
        changes.append(detector.add("quiet", 127, now))  # silence
        changes.append(detector.add("loud", 20 if step > 10 else 127, now))
    assert [c for c in changes if c] == ["loud"]
    assert detector.recency == ["loud"]
    # a single loud blip from someone else does not steal the floor
    assert detector.add("quiet", 5, 2.05) is None
    assert detector.current == "loud"
