"""The relay's compiled send/receive path puts the same bytes on the wire as the Python one,
and builds the same packets from what it receives."""

from __future__ import annotations

import random
import socket
import struct

import pylibsrtp
import pytest
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from media import vp8
from media.aiortc_private import packet_io
from media.aiortc_private.packet_io import (
    fast_srtp,
    rtp_bytes,
    rtp_receiver,
    rtp_sender,
    srtp_unprotector,
)

KEY = bytes(range(1, 31))
GCM = pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM
GCM_KEY = bytes(range(1, 45))

pytestmark = pytest.mark.skipif(
    packet_io.compiled is None,
    reason="media/aiortc_private/_packet_io is not built (pip install -e . builds it)",
)


def outbound(gcm: bool = False) -> pylibsrtp.Session:
    direction = pylibsrtp.Policy.SSRC_ANY_OUTBOUND
    if gcm:
        return pylibsrtp.Session(
            pylibsrtp.Policy(key=GCM_KEY, ssrc_type=direction, srtp_profile=GCM)
        )
    return pylibsrtp.Session(pylibsrtp.Policy(key=KEY, ssrc_type=direction))


def inbound() -> pylibsrtp.Session:
    return pylibsrtp.Session(pylibsrtp.Policy(key=KEY, ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND))


class Transport:
    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def is_closing(self) -> bool:
        return False


@pytest.fixture
def link():
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.settimeout(2)
    source = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    source.bind(("127.0.0.1", 0))
    source.setblocking(False)
    yield source, sink
    source.close()
    sink.close()


PACKETS = [
    # (marker, payload type, sequence number, timestamp, ssrc, extensions, payload)
    (0, 96, 0, 0, 1, b"", b""),
    (1, 111, 65535, 0xFFFFFFFF, 0xDEADBEEF, b"", b"opus" * 20),
    *[
        (i % 2, 96, 1000 + i, 90000 * i, 0x1234, bytes([0x10]) + b"0" * i, b"v" * 1100)
        for i in range(1, 9)
    ],
    (
        1,
        100,
        7,
        3000,
        42,
        bytes([0x10]) + b"1" + bytes([0x32]) + b"\x01\x02\x03",
        bytes(range(256)),
    ),
]


@pytest.mark.parametrize("gcm", [False, True], ids=["AES_CM_SHA1_80", "AEAD_AES_256_GCM"])
def test_both_paths_send_the_bytes_the_old_path_sent(link, gcm):
    source, sink = link
    wire = {}
    for path in ("python", "compiled"):
        send = rtp_sender(outbound(gcm), Transport(source), sink.getsockname(), path == "compiled")
        for marker, pt, seq, ts, ssrc, extensions, payload in PACKETS:
            length = send(marker << 7 | pt, seq, ts, ssrc, extensions, payload)
            assert length == len(rtp_bytes(pt, marker, seq, ts, ssrc, extensions, payload))
        wire[path] = [sink.recv(4096) for _ in PACKETS]
    protect = fast_srtp(outbound(gcm))
    before = [
        protect(rtp_bytes(pt, m, seq, ts, ssrc, ext, p)) for m, pt, seq, ts, ssrc, ext, p in PACKETS
    ]
    assert wire["compiled"] == wire["python"] == before


@pytest.mark.parametrize("extensions", [b"", bytes([0x10]) + b"1"], ids=["bare", "mid"])
def test_both_paths_send_a_padding_only_packet_that_parses_as_padding_alone(link, extensions):
    source, sink = link
    padding = bytes(99) + bytes([100])
    for path in ("python", "compiled"):
        send = rtp_sender(outbound(), Transport(source), sink.getsockname(), path == "compiled")
        length = send(packet_io.PADDED | 97, 7, 3000, 42, extensions, padding)
        plain = srtp_unprotector(inbound())(sink.recv(4096))
        assert length == len(plain)
        packet = RtpPacket.parse(plain)
        assert (packet.payload_type, packet.marker, packet.ssrc) == (97, 0, 42)
        assert packet.payload == b"" and packet.padding_size == 100, path


def test_both_paths_decrypt_to_the_same_packet_and_refuse_a_forged_one():
    protect = fast_srtp(outbound())
    plain = [rtp_bytes(pt, m, seq, ts, ssrc, ext, p) for m, pt, seq, ts, ssrc, ext, p in PACKETS]
    datagrams = [protect(data) for data in plain]
    for path in ("python", "compiled"):
        unprotect = srtp_unprotector(inbound(), path == "compiled")
        assert [unprotect(d) for d in datagrams] == plain
        forged = bytearray(datagrams[-1])
        forged[-1] ^= 1
        with pytest.raises((ValueError, pylibsrtp.Error)):
            srtp_unprotector(inbound(), path == "compiled")(bytes(forged))


def test_a_full_socket_buffer_drops_packets_and_keeps_the_rest_in_order():
    # a datagram socket pair whose receiver does not read fills up quickly
    sender, receiver = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    sender.setblocking(False)
    sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    protect_fn = packet_io._address(pylibsrtp.ffi.addressof(pylibsrtp.lib, "srtp_protect"))
    session = outbound()

    def send(seq: int) -> int:
        # an empty address: the socket is connected
        return packet_io.compiled.send_rtp(
            protect_fn,
            packet_io._address(session._srtp[0]),
            sender.fileno(),
            b"",
            96,
            seq,
            0,
            7,
            b"",
            b"x" * 1000,
        )

    results = [send(seq) for seq in range(200)]
    accepted = [seq for seq, length in zip(range(200), results, strict=True) if length > 0]
    assert -1 in results and accepted, results  # some went, the rest were dropped
    unprotect = srtp_unprotector(inbound())
    receiver.setblocking(False)
    got = []
    while True:
        try:
            got.append(int.from_bytes(unprotect(receiver.recv(4096))[2:4], "big"))
        except BlockingIOError:
            break
    assert got == accepted  # in the order sent, none duplicated
    assert send(500) > 0  # sending works again once the receiver has read
    sender.close()
    receiver.close()


def test_the_python_path_drops_on_a_full_buffer_too(link):
    source, sink = link

    class Full:
        def sendto(self, data: bytes, addr: object) -> None:
            raise BlockingIOError

    transport = Transport(source)
    transport._sock = Full()  # type: ignore[assignment]
    send = rtp_sender(outbound(), transport, sink.getsockname(), False)
    assert send(96, 1, 0, 7, b"", b"x") == -1


def extension_map(**ids: int) -> HeaderExtensionsMap:
    uris = {
        "mid": "urn:ietf:params:rtp-hdrext:sdes:mid",
        "rid": "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
        "repaired": "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
        "abs": "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        "toffset": "urn:ietf:params:rtp-hdrext:toffset",
        "level": "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
        "twcc": "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    }
    parameters = RTCRtpParameters(
        headerExtensions=[
            RTCRtpHeaderExtensionParameters(id=i, uri=uris[name]) for name, i in ids.items()
        ]
    )
    extensions = HeaderExtensionsMap()
    extensions.configure(parameters)
    return extensions


CHROMIUM_IDS = extension_map(mid=4, rid=10, repaired=11, abs=2, toffset=14, level=1, twcc=3)


RECEIVED = [
    rtp_bytes(96, 0, 1, 2, 3, b"", b"x" * 1000),
    rtp_bytes(111, 1, 65535, 0xFFFFFFFF, 0xFFFFFFFF, bytes([0x10, 0x9F]), b"opus"),  # level
    rtp_bytes(
        96,
        1,
        7,
        3000,
        42,
        # mid "0", rid "h", abs-send-time, toffset -2, twcc 513, audio level vad 0
        bytes([0x40])
        + b"0"
        + bytes([0xA0])
        + b"h"
        + bytes([0x22, 1, 2, 3])
        + bytes([0xE2, 0xFF, 0xFF, 0xFE])
        + bytes([0x31, 2, 1])
        + bytes([0x10, 0x05]),
        bytes(range(200)),
    ),
    rtp_bytes(97, 0, 9, 9, 9, bytes([0xB0]) + b"l" + bytes([0x70]) + b"z", b"rtx"),  # repaired
    # two-byte header profile (0x1000): mid "sc", an unknown id 200, padding between
    bytes([0x90, 96, 0, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0x10, 0x00, 0, 3])
    + bytes([4, 2])
    + b"sc"
    + bytes([0, 200, 3, 1, 2, 3])
    + bytes([0, 0])
    + b"payload",
    # an unknown extension profile, two CSRCs, 3 bytes of padding
    bytes([0xB2, 96, 0, 6, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF])
    + bytes([0xAB, 0xCD, 0, 1, 1, 2, 3, 4])
    + b"pay"
    + bytes([0, 0, 3]),
]


def packet_state(packet: RtpPacket) -> str:
    # repr keeps True apart from 1 (audio level's voice activity flag)
    return repr(sorted(vars(packet).items()))


@pytest.mark.parametrize("data", RECEIVED, ids=range(len(RECEIVED)))
@pytest.mark.parametrize("ids", ["chromium", "none"])
def test_both_receive_paths_build_the_packet_aiortc_builds(data, ids):
    extensions = CHROMIUM_IDS if ids == "chromium" else HeaderExtensionsMap()
    datagram = fast_srtp(outbound())(data)
    expected = RtpPacket.parse(data, extensions)
    for path in ("python", "compiled"):
        receive = rtp_receiver(inbound(), extensions, path == "compiled")
        assert packet_state(receive(datagram)) == packet_state(expected), path
    if ids == "chromium" and data == RECEIVED[2]:
        assert expected.extensions.mid == "0" and expected.extensions.rtp_stream_id == "h"
        assert expected.extensions.transmission_offset == -2


def test_receive_paths_agree_on_every_mangled_packet_and_refuse_a_forged_one():
    # each well-formed packet cut short or with a byte changed: both paths build the same
    # packet or both refuse it (the relay then drops the datagram)
    rng = random.Random(14)
    samples = []
    for data in RECEIVED:
        samples += [data[:n] for n in range(len(data))]
        for _ in range(300):
            mangled = bytearray(data)
            mangled[rng.randrange(min(len(data), 40))] = rng.randrange(256)
            samples.append(bytes(mangled))
    ids = CHROMIUM_IDS._HeaderExtensionsMap__ids
    outcomes = {"built": 0, "refused": 0}
    for data in samples:
        try:
            expected: str | None = packet_state(RtpPacket.parse(data, CHROMIUM_IDS))
        except (ValueError, struct.error):
            expected = None
        try:
            got: str | None = packet_state(packet_io.compiled.parse_rtp(data, ids))
        except ValueError:
            got = None
        assert got == expected, data
        outcomes["built" if got else "refused"] += 1
    assert outcomes["built"] > 100 and outcomes["refused"] > 100, outcomes
    datagram = bytearray(fast_srtp(outbound())(RECEIVED[0]))
    datagram[-1] ^= 1
    for path in ("python", "compiled"):
        with pytest.raises((ValueError, pylibsrtp.Error)):
            rtp_receiver(inbound(), CHROMIUM_IDS, path == "compiled")(bytes(datagram))


def test_renegotiated_header_extension_ids_apply_to_the_next_packet():
    extensions = extension_map(mid=1)
    receive = rtp_receiver(inbound(), extensions, True)
    protect = fast_srtp(outbound())
    data = rtp_bytes(96, 0, 1, 0, 5, bytes([0x10]) + b"a" + bytes([0x30]) + b"b", b"x")
    assert receive(protect(data)).extensions.mid == "a"
    extensions.configure(
        RTCRtpParameters(
            headerExtensions=[
                RTCRtpHeaderExtensionParameters(id=3, uri="urn:ietf:params:rtp-hdrext:sdes:mid")
            ]
        )
    )
    data = rtp_bytes(96, 0, 2, 0, 5, bytes([0x10]) + b"a" + bytes([0x30]) + b"b", b"x")
    assert receive(protect(data)).extensions.mid == "b"


def test_both_vp8_renumberings_write_the_same_descriptor():
    rng = random.Random(7)
    compiled_rewrite, python_rewrite = vp8.id_rewriter(True), vp8.id_rewriter(False)
    assert compiled_rewrite is not python_rewrite
    descriptors = [b"", b"\x10", b"\x90", b"\x90\x80", b"\x90\x80\x81", b"\x90\xc0\x05"]
    for _ in range(3000):
        descriptors.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 7))))
    changed = 0
    for descriptor in descriptors:
        payload = descriptor + b"\x9d\x01\x2a"
        for _ in range(3):
            offsets = rng.randrange(-40000, 40000), rng.randrange(-300, 300)
            expected = python_rewrite(payload, *offsets)
            assert compiled_rewrite(payload, *offsets) == expected, (payload, offsets)
            changed += expected[0] != payload
    assert changed > 1000
