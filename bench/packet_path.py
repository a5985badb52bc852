"""The relay's per-packet CPU without event loop or network noise: one publisher's SRTP
video fanned out to S subscribers through the relay's own code, compiled vs Python path.

    python bench/packet_path.py --subscribers 5 --packets 20000 --json
    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p \\
        python bench/packet_path.py --subscribers 5 --packets 3000 --path compiled

Each packet runs what the relay runs in its socket callback: SRTP unprotect and RtpPacket
parse (``packet_io.rtp_receiver``; with ``--chain`` the transport's whole handler,
``transport.media_handler``: also routing, receive statistics, NACK state and ``Ingress``,
compiled in one call by ``_receive.c``), ``Publication.on_packet`` (header rewrite per
subscriber; with ``--simulcast`` a ``SimulcastPublication`` of one layer, which also
renumbers the VP8 picture id per subscriber) and ``Egress.send`` (serialize, SRTP
protect, sendto a socket on 127.0.0.1). CPU is process time (user +
system, so the kernel's share of sendto counts); under callgrind, ``instructions`` is
user-space only. Prints both paths, alternating, unless ``--path`` picks one.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pylibsrtp
from aiortc.rtcdtlstransport import RtpRouter
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters
from aiortc.rtcrtpreceiver import NackGenerator
from aiortc.rtp import HeaderExtensionsMap

from media.aiortc_private import packet_io
from media.aiortc_private.packet_io import SendRtp
from media.aiortc_private.receiver import Ingress
from media.aiortc_private.sender import SEND_TIMES, Egress
from media.aiortc_private.transport import media_handler
from media.forwarding import Downtrack, Publication, rtp_bytes
from media.simulcast import SimulcastPublication

KEY = bytes(range(44))  # AEAD_AES_256_GCM, what aiortc negotiates first: 32-byte key, 12 salt
VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)


class SenderStub:
    """The RTCRtpSender fields Egress.send writes (sender-report counters) and its SSRC."""

    def __init__(self, ssrc: int) -> None:
        self._ssrc = ssrc


class TransportStub:
    """asyncio's datagram transport as the relay's send path sees it."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._closing = False

    def is_closing(self) -> bool:
        return self._closing


def stub_egress(ssrc: int, keep_history: bool, send: SendRtp, transport: Any, tx: Any) -> Egress:
    """An Egress without aiortc's sender and transceiver: the fields its send path (and
    ``fan_out``) reads and writes, sending through ``send``."""
    egress = Egress.__new__(Egress)
    egress.sender = SenderStub(ssrc)
    egress.last_seq, egress.last_ts, egress.last_sent = None, 0, 0.0
    egress.history, egress.keep_history = {}, keep_history
    egress._sent_packets = egress._sent_octets = 0
    egress.send_times = [(-1, (0.0, 0))] * SEND_TIMES
    egress.use_route(send, transport, tx)
    return egress


def session(direction: int) -> pylibsrtp.Session:
    policy = pylibsrtp.Policy(
        key=KEY, ssrc_type=direction, srtp_profile=pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_256_GCM
    )
    return pylibsrtp.Session(policy)


def incoming(count: int) -> list[bytes]:
    """A publisher's video: ~1100-byte packets, three per frame, a keyframe first.

    Cached in /tmp so that a callgrind run counts only the relay's work."""
    cache = Path(f"/tmp/peer-meetings-bench-packets-gcm-{count}.pickle")
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    protect = session(pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
    packets = []
    for i in range(count):
        first = i % 3 == 0
        descriptor = bytes([0x90 if first else 0x80, 0x80, 0x12, 0x34])
        vp8 = bytes([0x10 if i == 0 else 0x11]) if first else b"\x00"
        payload = descriptor + vp8 + bytes(range(256)) * 4 + b"x" * 70
        extensions = bytes([0x10]) + b"0" + bytes([0x32]) + b"\x01\x02\x03"
        data = rtp_bytes(
            96, int(i % 3 == 2), i & 0xFFFF, (i // 3) * 3000, 0x1234, extensions, payload
        )
        packets.append(protect.protect(data))
    cache.write_bytes(pickle.dumps(packets))
    return packets


def fan_out(
    subscribers: int, sinks: list[socket.socket], compiled: bool, simulcast: bool
) -> Publication:
    publication: Publication
    if simulcast:
        publication = SimulcastPublication("pub", ["h"], VP8, 1.0, lambda _: None)
        publication.on_layer(0x1234, "h")
    else:
        publication = Publication(
            "pub", "video", VP8, 1.0, lambda _: None, lambda *_: None, compiled_path=compiled
        )
    for n in range(subscribers):
        out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        out.bind(("127.0.0.1", 0))
        out.setblocking(False)
        tx = session(pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
        transport = TransportStub(out)
        send = packet_io.rtp_sender(tx, transport, sinks[n].getsockname(), compiled)
        egress = stub_egress(0x5000 + n, True, send, transport, tx)
        downtrack = Downtrack(f"sub{n}", egress, 90000, True)
        downtrack.ready, downtrack.payload_type, downtrack.ssrc = True, 96, 0x5000 + n
        downtrack.mid_element = bytes([0x10]) + b"1"
        downtrack.abs_send_time_id = 3
        downtrack.video_extensions = downtrack.mid_element + bytes([0x32])
        publication.add_downtrack(downtrack)
    return publication


class ReceiverStub:
    """The RTCRtpReceiver fields an ``Ingress`` reads: a video receiver for VP8."""

    def __init__(self) -> None:
        self._enabled = True
        self._RTCRtpReceiver__codecs = {96: VP8}
        self._RTCRtpReceiver__remote_streams: dict[int, Any] = {}
        self._RTCRtpReceiver__rtx_ssrc: dict[int, int] = {}
        self._RTCRtpReceiver__nack_generator = NackGenerator()
        self._RTCRtpReceiver__decoder_queue = None
        self._RTCRtpReceiver__decoder_thread = None

    async def receive(self, parameters: Any) -> None:
        pass


def receive_chain(
    rx: pylibsrtp.Session,
    extensions: HeaderExtensionsMap,
    on_packet: Callable[..., None],
    compiled: bool,
) -> Callable[[bytes], bool]:
    """What the relay's transport does with a received datagram (``install_fast_receive``):
    decrypt and parse, route by SSRC, receive statistics and NACK state, then the fan-out."""
    router = RtpRouter()
    receiver = ReceiverStub()
    Ingress(receiver, on_packet)  # type: ignore[arg-type]
    router.register_receiver(receiver, [0x1234], [96])  # type: ignore[arg-type]
    return media_handler(rx, extensions, router, compiled)


def run(
    path: str, subscribers: int, packets: list[bytes], simulcast: bool, chain: bool = False
) -> dict[str, Any]:
    compiled = path == "compiled"
    sinks = []
    for _ in range(subscribers):
        sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sink.bind(("127.0.0.1", 0))
        sinks.append(sink)
    publication = fan_out(subscribers, sinks, compiled, simulcast)
    extensions = HeaderExtensionsMap()
    extensions.configure(
        type(
            "Parameters",
            (),
            {
                "headerExtensions": [
                    RTCRtpHeaderExtensionParameters(
                        id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"
                    ),
                    RTCRtpHeaderExtensionParameters(
                        id=3, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
                    ),
                ]
            },
        )()
    )
    rx = session(pylibsrtp.Policy.SSRC_ANY_INBOUND)
    receive = packet_io.rtp_receiver(rx, extensions, compiled)
    on_packet = publication.on_packet
    if chain:
        handle = receive_chain(rx, extensions, on_packet, compiled)
        start = os.times()
        for data in packets:
            handle(data)
        end = os.times()
    else:
        start = os.times()
        for data in packets:
            on_packet(receive(data), VP8)
        end = os.times()
    cpu = end.user + end.system - start.user - start.system
    system = end.system - start.system
    for sink in sinks:
        sink.close()
    sent = sum(d.packets_sent for d in publication.downtracks.values())
    return {
        "path": path,
        "packets_in": len(packets),
        "packets_out": sent,
        "us_per_packet_in": round(cpu / len(packets) * 1e6, 2),
        "us_per_packet_out": round(cpu / max(sent, 1) * 1e6, 2),
        "system_share": round(system / cpu, 2) if cpu else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=5)
    parser.add_argument("--packets", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--path", choices=["python", "compiled"])
    parser.add_argument("--simulcast", action="store_true", help="a simulcast publication")
    parser.add_argument(
        "--chain",
        action="store_true",
        help="the transport's whole receive chain: routing, receive statistics, NACK state",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if packet_io.compiled is None:
        sys.exit("the compiled path is not built: pip install -e . (or setup.py build_ext -i)")
    paths = [args.path] if args.path else ["python", "compiled"]
    results: dict[str, list[dict[str, Any]]] = {p: [] for p in paths}
    for _ in range(1 if args.path else args.rounds):
        for path in paths:
            results[path].append(
                run(path, args.subscribers, incoming(args.packets), args.simulcast, args.chain)
            )
    summary = {
        path: {
            "us_per_packet_in": min(r["us_per_packet_in"] for r in runs),
            "us_per_packet_out": min(r["us_per_packet_out"] for r in runs),
            "system_share": [r["system_share"] for r in runs],
            "packets_out": runs[0]["packets_out"],
        }
        for path, runs in results.items()
    }
    out = {
        "subscribers": args.subscribers,
        "simulcast": args.simulcast,
        "chain": args.chain,
        "pid": os.getpid(),
        "best_of": summary,
    }
    print(json.dumps(out) if args.json else json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
