"""The relay's compiled send/receive path puts the same bytes on the wire as the Python one."""

from __future__ import annotations

import socket

import pylibsrtp
import pytest

from media.aiortc_private import packet_io
from media.aiortc_private.packet_io import fast_srtp, rtp_bytes, rtp_sender, srtp_unprotector

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
