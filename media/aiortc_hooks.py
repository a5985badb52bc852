"""Every use of aiortc's and aioice's private API, in one place.

Pinned to aiortc==1.16.0 and aioice==0.13.0. aiortc has no public hook for
receiving encoded RTP, nor for sending it, so the relay reaches one level below:

- ``Ingress`` replaces ``RTCRtpReceiver._handle_rtp_packet`` on one receiver
  instance. It keeps what the publisher relies on (RTCP receiver statistics,
  RTX unwrapping, NACKs) and hands each RTP packet to the relay, skipping the
  depayloader, the jitter buffer (~33 ms video / ~80 ms audio of delay) and the
  decoder.
- ``Egress`` writes RTP packets straight into an ``RTCRtpSender``'s transport,
  with the sender's SSRC, MID and header-extension map, and keeps the sender's
  retransmission history and RTCP sender-report counters up to date. The sender
  itself is given an ``IdleTrack`` whose ``recv()`` never returns, so its own
  encoding loop never runs.
- ``use_host_addresses`` replaces ``aioice.ice.get_host_addresses``, which skips
  127.0.0.1, with the configured list.

``check_hooks()`` verifies all of this against the installed versions and raises
``HookError`` with a message saying what broke; ``tests/media/test_hooks.py`` runs it.
"""

from __future__ import annotations

import asyncio
import copy
import importlib.metadata
import logging
import queue
import time
from collections.abc import Callable
from typing import Any

import aioice.ice
import pylibsrtp
from aiortc import (
    MediaStreamTrack,
    RTCDtlsTransport,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
    rtcpeerconnection,
)
from aiortc.codecs import g711, g722, h264, is_rtx, opus, vpx
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTP_HISTORY_SIZE,
    RtcpPsfbPacket,
    RtpPacket,
    pack_remb_fci,
    unwrap_rtx,
)

logger = logging.getLogger(__name__)

PINNED = {"aiortc": "1.16.0", "aioice": "0.13.0"}

_RECEIVER_PRIVATE = (
    "_RTCRtpReceiver__codecs",
    "_RTCRtpReceiver__remote_streams",
    "_RTCRtpReceiver__rtx_ssrc",
    "_RTCRtpReceiver__nack_generator",
    "_RTCRtpReceiver__rtcp_ssrc",
    "_RTCRtpReceiver__decoder_queue",
    "_RTCRtpReceiver__started",
)
_RECEIVER_METHODS = ("_handle_rtp_packet", "_send_rtcp_nack", "_send_rtcp", "_send_rtcp_pli")
_SENDER_PRIVATE = (
    "_RTCRtpSender__started",
    "_RTCRtpSender__mid",
    "_RTCRtpSender__rtp_header_extensions_map",
    "_RTCRtpSender__ntp_timestamp",
    "_RTCRtpSender__rtp_timestamp",
    "_RTCRtpSender__octet_count",
    "_RTCRtpSender__packet_count",
    "_RTCRtpSender__encoder",
)
_DTLS_PRIVATE = ("_rx_srtp", "_tx_srtp", "_rtp_router", "_rtp_header_extensions_map")
_SENDER_METHODS = ("_send_keyframe", "_retransmit", "_handle_rtcp_packet", "_next_encoded_frame")


class HookError(RuntimeError):
    """aiortc/aioice no longer look the way the relay's hooks expect."""


def check_hooks() -> None:
    """Fail loudly if an upgrade moved any private attribute the relay relies on."""
    problems = []
    for package, version in PINNED.items():
        installed = importlib.metadata.version(package)
        if installed != version:
            problems.append(f"{package} is {installed}, the hooks were written for {version}")
    if not callable(getattr(aioice.ice, "get_host_addresses", None)):
        problems.append("aioice.ice.get_host_addresses is gone")
    for name in ("datagram_received", "send_data"):
        if not callable(getattr(aioice.ice.StunProtocol, name, None)):
            problems.append(f"aioice StunProtocol.{name} is gone")

    if not callable(getattr(RTCDtlsTransport, "_send_rtp", None)):
        problems.append("RTCDtlsTransport._send_rtp is gone")
    for name in _RECEIVER_METHODS:
        if not callable(getattr(RTCRtpReceiver, name, None)):
            problems.append(f"RTCRtpReceiver.{name} is gone")
    for name in _SENDER_METHODS:
        if not callable(getattr(RTCRtpSender, name, None)):
            problems.append(f"RTCRtpSender.{name} is gone")
    problems += _check_instances()
    if problems:
        raise HookError(
            "media/aiortc_hooks.py no longer matches the installed aiortc/aioice: "
            + "; ".join(problems)
            + ". Re-read rtcrtpreceiver.py/rtcrtpsender.py and update the hooks, "
            "or pin back to " + ", ".join(f"{p}=={v}" for p, v in PINNED.items())
        )


def _check_instances() -> list[str]:
    async def build() -> list[str]:
        problems = []
        pc = RTCPeerConnection()
        try:
            transceiver = pc.addTransceiver("video", direction="sendonly")
            for name in _RECEIVER_PRIVATE:
                if not hasattr(transceiver.receiver, name):
                    problems.append(f"RTCRtpReceiver has no {name}")
            for name in _SENDER_PRIVATE:
                if not hasattr(transceiver.sender, name):
                    problems.append(f"RTCRtpSender has no {name}")
            if not callable(getattr(rtcpeerconnection, "filter_preferred_codecs", None)):
                problems.append("aiortc.rtcpeerconnection.filter_preferred_codecs is gone")
            if not hasattr(transceiver, "_preferred_codecs"):
                problems.append("RTCRtpTransceiver has no _preferred_codecs")
            if not isinstance(getattr(transceiver, "_headerExtensions", None), list):
                problems.append("RTCRtpTransceiver has no _headerExtensions list")
            extensions = transceiver.sender._RTCRtpSender__rtp_header_extensions_map
            if not hasattr(extensions, "_HeaderExtensionsMap__ids"):
                problems.append("HeaderExtensionsMap has no _HeaderExtensionsMap__ids")
            dtls = transceiver.receiver.transport
            for name in _DTLS_PRIVATE:
                if not hasattr(dtls, name):
                    problems.append(f"RTCDtlsTransport has no {name}")
            connection = dtls.transport._connection
            for name in ("_nominated", "_protocols", "data_received"):
                if not hasattr(connection, name):
                    problems.append(f"aioice Connection has no {name}")
        finally:
            await pc.close()
        return problems

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(build())
    raise HookError("check_hooks() must be called outside a running event loop")


_original_get_host_addresses = aioice.ice.get_host_addresses


def use_host_addresses(addresses: list[str]) -> None:
    """Make every ICE agent in this process gather host candidates on ``addresses`` only."""
    chosen = list(addresses)

    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    aioice.ice.get_host_addresses = get_host_addresses


def restore_host_addresses() -> None:
    aioice.ice.get_host_addresses = _original_get_host_addresses


class CountingQueue(queue.Queue):
    """Stands in for a receiver's decoder queue: every put would have been a decode."""

    def __init__(self) -> None:
        super().__init__()
        self.frames = 0

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is not None:
            self.frames += 1
        super().put(item, block, timeout)


PacketHandler = Callable[[RtpPacket, RTCRtpCodecParameters], None]


class Ingress:
    """Receives one publisher's RTP packets for one kind, without depayloading or decoding."""

    def __init__(self, receiver: RTCRtpReceiver, on_packet: PacketHandler) -> None:
        self.receiver = receiver
        self.on_packet = on_packet
        self.decoder_queue = CountingQueue()
        receiver._RTCRtpReceiver__decoder_queue = self.decoder_queue
        receiver._handle_rtp_packet = self._handle_rtp_packet
        receiver._relay_ingress = self
        self.media_ssrc: int | None = None
        self._tasks: set[asyncio.Future[None]] = set()

    @property
    def decoder_calls(self) -> int:
        return self.decoder_queue.frames

    async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        self.handle(packet)

    def handle(self, packet: RtpPacket) -> None:
        receiver = self.receiver
        codecs = receiver._RTCRtpReceiver__codecs
        codec = codecs.get(packet.payload_type)
        if codec is None or not receiver._enabled:
            return
        streams = receiver._RTCRtpReceiver__remote_streams
        stats = streams.get(packet.ssrc)
        if stats is None:
            stats = streams[packet.ssrc] = StreamStatistics(codec.clockRate)
        stats.add(packet)

        if codec.name == "rtx":
            original_ssrc = receiver._RTCRtpReceiver__rtx_ssrc.get(packet.ssrc)
            apt = codec.parameters.get("apt")
            if original_ssrc is None or len(packet.payload) < 2 or apt not in codecs:
                return
            packet = unwrap_rtx(packet, payload_type=apt, ssrc=original_ssrc)
            codec = codecs[apt]
        else:
            self.media_ssrc = packet.ssrc

        nack_generator = receiver._RTCRtpReceiver__nack_generator
        if nack_generator is not None and nack_generator.add(packet):
            self._spawn(receiver._send_rtcp_nack(packet.ssrc, sorted(nack_generator.missing)))

        self.on_packet(packet, codec)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def request_keyframe(self) -> None:
        if self.media_ssrc is not None:
            await self.receiver._send_rtcp_pli(self.media_ssrc)

    async def send_remb(self, bitrate: int) -> None:
        rtcp_ssrc = self.receiver._RTCRtpReceiver__rtcp_ssrc
        if self.media_ssrc is None or rtcp_ssrc is None:
            return
        packet = RtcpPsfbPacket(
            fmt=RTCP_PSFB_APP,
            ssrc=rtcp_ssrc,
            media_ssrc=0,
            fci=pack_remb_fci(bitrate, [self.media_ssrc]),
        )
        await self.receiver._send_rtcp(packet)


def install_fast_receive(
    dtls: RTCDtlsTransport, on_socket: Callable[[Any], None] | None = None
) -> None:
    """Handle incoming SRTP media synchronously as it comes off the socket.

    aiortc queues every datagram and walks it through several coroutines before a
    receiver sees it; for media that reaches an ``Ingress`` the relay decrypts,
    parses and forwards in the socket callback instead. DTLS, STUN and RTCP keep
    aiortc's path. Idempotent; call again after negotiation adds local candidates.
    ``on_socket`` gets each aioice StunProtocol (the benchmark's clients batch reads).
    """
    connection = dtls.transport._connection
    if not getattr(connection, "_relay_fast", False):
        original = connection.data_received
        router = dtls._rtp_router

        unprotect: list[Callable[[bytes], bytes]] = []

        def data_received(data: bytes, component: int) -> None:
            if not 127 < data[0] < 192 or 192 <= data[1] <= 208 or dtls._rx_srtp is None:
                original(data, component)
                return
            if not unprotect:
                unprotect.append(fast_srtp(dtls._rx_srtp, protect=False))
            try:
                packet = RtpPacket.parse(unprotect[0](data), dtls._rtp_header_extensions_map)
            except (ValueError, pylibsrtp.Error):
                return
            receiver = router.route_rtp(packet)
            ingress = getattr(receiver, "_relay_ingress", None)
            if ingress is not None:
                try:
                    ingress.handle(packet)
                except Exception:
                    # never let one packet take the socket callback (and its peers) down
                    logger.exception("dropped an RTP packet")
            elif receiver is not None:
                original(data, component)

        connection.data_received = data_received
        connection._relay_fast = True
    for protocol in connection._protocols:
        if getattr(protocol, "_relay_fast", False):
            continue
        protocol._relay_fast = True
        component = protocol.local_candidate.component
        stun_first = protocol.datagram_received

        def datagram_received(
            data: bytes, addr: Any, _stun_first: Any = stun_first, _component: int = component
        ) -> None:
            # RTP/RTCP start with 0b10: never STUN, so skip aioice's trial STUN parse
            if 127 < data[0] < 192:
                connection.data_received(data, _component)
            else:
                _stun_first(data, addr)

        protocol.datagram_received = datagram_received
        if on_socket is not None:
            on_socket(protocol)


class IdleTrack(MediaStreamTrack):
    """Keeps an RTCRtpSender's own RTP loop parked: ``recv()`` returns only when stopped."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._stopped: asyncio.Future[None] = asyncio.get_event_loop().create_future()

    async def recv(self) -> Any:
        await asyncio.shield(self._stopped)
        raise MediaStreamError

    def stop(self) -> None:
        super().stop()
        if not self._stopped.done():
            self._stopped.set_result(None)


class Egress:
    """Writes already-encoded RTP packets through one RTCRtpSender."""

    def __init__(
        self, transceiver: RTCRtpTransceiver, on_keyframe_request: Callable[[], None]
    ) -> None:
        self.transceiver = transceiver
        self.sender = sender = transceiver.sender
        self.frames_to_encoder = 0
        self.on_keyframe_request(on_keyframe_request)
        # Numbering survives the sender being handed from one publisher to another.
        self.last_seq: int | None = None
        self.last_ts = 0
        self.last_sent = 0.0
        self.history: dict[int, tuple[int, bytes]] = {}
        self.keep_history = transceiver.kind == "video"
        self._sent_packets = 0
        self._sent_octets = 0
        self._route: tuple[Any, Any, Any, Any] | None = None
        original_next = sender._next_encoded_frame

        async def next_encoded_frame(codec: RTCRtpCodecParameters) -> Any:
            frame = await original_next(codec)
            self.frames_to_encoder += 1
            return frame

        sender._next_encoded_frame = next_encoded_frame
        sender._retransmit = self._retransmit

    def on_keyframe_request(self, handler: Callable[[], None]) -> None:
        """Route the subscriber's PLI/FIR to ``handler``."""
        route_keyframe_requests(self.sender, handler)

    @property
    def started(self) -> bool:
        return self.sender._RTCRtpSender__started

    @property
    def codecs(self) -> list[RTCRtpCodecParameters]:
        return self.transceiver._codecs

    @property
    def ssrc(self) -> int:
        return self.sender._ssrc

    @property
    def encoder_created(self) -> bool:
        return self.sender._RTCRtpSender__encoder is not None

    def header_extensions(self) -> tuple[bytes, int, int]:
        """(encoded MID element, abs-send-time id, audio-level id) as negotiated; 0 = off."""
        ids = self.sender._RTCRtpSender__rtp_header_extensions_map._HeaderExtensionsMap__ids
        mid = (self.sender._RTCRtpSender__mid or "").encode()
        mid_element = bytes([ids.mid << 4 | (len(mid) - 1)]) + mid if ids.mid and mid else b""
        return mid_element, ids.abs_send_time or 0, ids.audio_level or 0

    def send(
        self, data: bytes, sequence_number: int, timestamp: int, marker: int, ntp: int
    ) -> None:
        """Protect and send one serialized RTP packet now; ``ntp`` is now, for markers."""
        route = self._route or self._find_route()
        if route is None:
            return
        protect, sendto, addr, transport = route
        if transport.is_closing():
            self._route = None
            return
        try:
            sendto(protect(data), addr)
        except (BlockingIOError, InterruptedError):
            return  # socket buffer full: dropped, as a congested network would
        if self.keep_history:
            self.history[sequence_number % RTP_HISTORY_SIZE] = (sequence_number, data)
        self._sent_packets += 1
        self._sent_octets += len(data) - 12
        if marker:
            # the sender's RTCP sender reports read these
            sender = self.sender
            sender._RTCRtpSender__ntp_timestamp = ntp
            sender._RTCRtpSender__rtp_timestamp = timestamp
            sender._RTCRtpSender__packet_count = self._sent_packets
            sender._RTCRtpSender__octet_count = self._sent_octets

    def _find_route(self) -> tuple[Any, Any, Any, Any] | None:
        dtls = self.sender.transport
        pair = dtls.transport._connection._nominated.get(1)
        if dtls._tx_srtp is None or pair is None or dtls.state != "connected":
            return None
        if pair.protocol.transport is None or pair.protocol.transport.is_closing():
            return None
        transport = pair.protocol.transport
        self._route = (
            fast_srtp(dtls._tx_srtp),
            datagram_sender(transport),
            pair.remote_addr,
            transport,
        )
        return self._route

    async def _retransmit(self, sequence_number: int) -> None:
        # resent on the primary SSRC: receivers accept it whether or not RTX is negotiated
        entry = self.history.get(sequence_number % RTP_HISTORY_SIZE)
        route = self._route
        if entry is not None and entry[0] == sequence_number and route is not None:
            protect, _, addr, transport = route
            transport.sendto(protect(entry[1]), addr)


def datagram_sender(transport: asyncio.DatagramTransport) -> Callable[[bytes, Any], None]:
    """The cheapest way to send one datagram now through ``transport``.

    asyncio's selector transport: its raw socket's ``sendto`` (the transport's own only
    adds checks and a queue UDP needs not); a full socket buffer raises BlockingIOError
    and the packet is dropped, as a congested network would. uvloop's transport has no
    ``_sock`` (its ``get_extra_info("socket")`` cannot send) but its ``sendto`` already
    tries the send syscall directly from C, queueing only when the buffer is full.
    """
    sock = getattr(transport, "_sock", None)
    return sock.sendto if sock is not None else transport.sendto


def fast_srtp(session: pylibsrtp.Session, protect: bool = True) -> Callable[[bytes], bytes]:
    """``session.protect`` (or ``unprotect``) without pylibsrtp's per-call checks and
    allocations, which cost more than the encryption itself."""
    cdata, buffer, srtp = session._cdata, session._buffer, session._srtp[0]
    length = pylibsrtp.ffi.new("int *")
    function = pylibsrtp.lib.srtp_protect if protect else pylibsrtp.lib.srtp_unprotect
    room = len(cdata) - (pylibsrtp.SRTP_MAX_TRAILER_LEN if protect else 0)

    def process(data: bytes) -> bytes:
        size = len(data)
        if size > room:
            raise ValueError("packet is too long")
        length[0] = size
        buffer[0:size] = data
        if function(srtp, cdata, length):
            raise pylibsrtp.Error("srtp_protect failed" if protect else "srtp_unprotect failed")
        return buffer[0 : length[0]]

    return process


_NTP_EPOCH = 2208988800  # seconds from 1900 to 1970


def ntp_now() -> int:
    """NTP time as 32.32 fixed point; aiortc's own goes through datetime and is slower."""
    return int((time.time() + _NTP_EPOCH) * 4294967296)


def abs_send_time_bytes() -> bytes:
    """Now, as the 3-byte abs-send-time header extension value (6.18 fixed point)."""
    return ((ntp_now() >> 14) & 0x00FFFFFF).to_bytes(3, "big")


def negotiated_codec(transceiver: RTCRtpTransceiver) -> RTCRtpCodecParameters | None:
    """The codec a transceiver sends or receives with, once negotiated."""
    codecs = [c for c in transceiver._codecs if not is_rtx(c)]
    return codecs[0] if codecs else None


class PinnedCodecs(list):
    """Codec "preferences" that are the exact codecs, payload types included, to offer."""


_original_filter_preferred_codecs = rtcpeerconnection.filter_preferred_codecs


def _filter_preferred_codecs(codecs: list, preferred: list) -> list:
    if isinstance(preferred, PinnedCodecs):
        return copy.deepcopy(list(preferred))
    return _original_filter_preferred_codecs(codecs, preferred)


def keep_payload_types() -> None:
    """Let pin_codecs() hold a transceiver's payload types across renegotiations.

    aiortc's createOffer renumbers every m-line with its own payload types, even the
    ones the client's offer numbered: a browser then sends with the new numbers and
    the receivers, registered with the old ones, drop everything. Applied once.
    """
    rtcpeerconnection.filter_preferred_codecs = _filter_preferred_codecs


def pin_codecs(transceiver: RTCRtpTransceiver, codecs: list[RTCRtpCodecParameters]) -> None:
    """Offer and accept exactly ``codecs`` on this transceiver from now on."""
    transceiver._preferred_codecs = PinnedCodecs(codecs)


def negotiated_codecs(transceiver: RTCRtpTransceiver) -> list[RTCRtpCodecParameters]:
    return list(transceiver._codecs)


def number_header_extensions(pc: RTCPeerConnection, ids: dict[str, int]) -> None:
    """Give every transceiver's header extensions the ids of ``ids`` (uri -> id); see sdp_ids."""
    for transceiver in pc.getTransceivers():
        transceiver._headerExtensions = [
            RTCRtpHeaderExtensionParameters(id=ids[x.uri], uri=x.uri)
            for x in transceiver._headerExtensions
            if x.uri in ids
        ]


def label_sender(transceiver: RTCRtpTransceiver, stream_id: str) -> None:
    """Set the msid stream id the next offer announces for this sender."""
    transceiver.sender._stream_id = stream_id


def route_keyframe_requests(sender: RTCRtpSender, handler: Callable[[], None]) -> None:
    """Call ``handler`` when the remote side sends PLI/FIR for this sender's stream."""
    sender._send_keyframe = handler


def count_codec_calls() -> dict[str, int]:
    """Count every encode/decode by any aiortc codec in this process (for a relay process).

    Returns the live counter dict: {"encoder": n, "decoder": n}.
    """
    counts = {"encoder": 0, "decoder": 0}
    encoders = [vpx.Vp8Encoder, h264.H264Encoder, opus.OpusEncoder, g722.G722Encoder]
    decoders = [vpx.Vp8Decoder, h264.H264Decoder, opus.OpusDecoder, g722.G722Decoder]
    encoders += [g711.PcmuEncoder, g711.PcmaEncoder]
    decoders += [g711.PcmuDecoder, g711.PcmaDecoder]
    classes = [(c, "encode", "encoder") for c in encoders]
    classes += [(c, "decode", "decoder") for c in decoders]
    for cls, method, key in classes:
        original = getattr(cls, method)

        def counted(self: Any, *args: Any, _original: Any = original, _key: str = key) -> Any:
            counts[_key] += 1
            return _original(self, *args)

        setattr(cls, method, counted)
    return counts
