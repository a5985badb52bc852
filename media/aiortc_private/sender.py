"""RTCRtpSender: ``Egress`` sends already-encoded RTP through it; its own loop stays idle.

Also the sender's labels (msid stream id), keyframe-request routing and the NTP clock
of its sender reports.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import Any, Protocol

import aioice.ice
from aiortc import (
    MediaStreamTrack,
    RTCDtlsTransport,
    RTCIceTransport,
    RTCRtpSender,
    RTCRtpTransceiver,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTP_HISTORY_SIZE,
    AnyRtcpPacket,
    HeaderExtensionsMap,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpSrPacket,
    unpack_remb_fci,
)

from ..downstream_loss import DownstreamLoss
from . import packet_io
from .names import PrivateName
from .packet_io import PADDED, EgressState, SendRtp, Wire, rtp_sender, wire_of

PRIVATE = (
    PrivateName(RTCRtpSender, "_next_encoded_frame", "method"),  # wrapped per instance
    PrivateName(RTCRtpSender, "_handle_rtcp_packet", "method"),  # wrapped per instance
    PrivateName(RTCRtpSender, "_retransmit", "method"),  # replaced per instance
    PrivateName(RTCRtpSender, "_send_keyframe", "method"),  # replaced per instance
    PrivateName(RTCRtpSender, "_ssrc", "attribute"),
    PrivateName(RTCRtpSender, "_stream_id", "attribute"),
    PrivateName(RTCRtpSender, "_RTCRtpSender__started", "attribute"),
    PrivateName(RTCRtpSender, "_RTCRtpSender__encoder", "attribute"),
    PrivateName(RTCRtpSender, "_RTCRtpSender__mid", "attribute"),
    PrivateName(RTCRtpSender, "_RTCRtpSender__rtp_header_extensions_map", "attribute"),
    PrivateName(RTCRtpSender, "_RTCRtpSender__ntp_timestamp", "attribute"),
    PrivateName(RTCRtpSender, "_RTCRtpSender__rtp_timestamp", "attribute"),
    PrivateName(RTCRtpSender, "_RTCRtpSender__packet_count", "attribute"),
    PrivateName(RTCRtpSender, "_RTCRtpSender__octet_count", "attribute"),
    PrivateName(RTCRtpSender, "_RTCRtpSender__rtt", "attribute"),  # metrics; resend spacing
    PrivateName(RTCRtpSender, "_RTCRtpSender__stats", "attribute"),
    PrivateName(RTCRtpSender, "_RTCRtpSender__rtx_payload_type", "attribute"),
    PrivateName(RTCRtpSender, "_rtx_ssrc", "attribute"),
    PrivateName(HeaderExtensionsMap, "_HeaderExtensionsMap__ids", "attribute"),
    PrivateName(RTCRtpTransceiver, "_codecs", "attribute"),
    PrivateName(RTCDtlsTransport, "_tx_srtp", "attribute"),
    PrivateName(RTCIceTransport, "_connection", "attribute"),
    PrivateName(aioice.ice.Connection, "_nominated", "attribute"),
)


VIDEO_CLOCK_RATE = 90_000  # VP8 and H264: what the history's timestamps count in
MAX_RESEND_AGE = 1.0  # seconds: older frames are given up on by the receiver's decoder
MIN_RESEND_INTERVAL = 0.1  # seconds between resends of one packet, when RTT is not known
SEND_TIMES = 1024  # packets whose send time is kept: seconds of any stream
# bytes on the wire per RTP packet beyond what Egress counts (payload and extensions):
# RTP header 12, SRTP auth tag 10, UDP 8, IPv4 20
PACKET_OVERHEAD = 50
MAX_PADDING = 255  # bytes of padding one RTP packet can say it carries
if packet_io.compiled is not None:  # fan_out fills send_times too
    packet_io.compiled.configure_egress(PACKET_OVERHEAD)


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


Sent = tuple[float, int]  # of one packet: when (monotonic), the stream's wire bits so far


class RtcpListener(Protocol):
    """What the subscriber says about the connection (``media.bandwidth``)."""

    def on_report(
        self, ssrc: int, fraction_lost: int, highest_sequence: int, sent: Sent | None
    ) -> None: ...

    def on_remb(self, bits_per_second: int) -> None: ...


class Egress(EgressState):
    """Writes already-encoded RTP packets through one RTCRtpSender."""

    def __init__(
        self, transceiver: RTCRtpTransceiver, on_keyframe_request: Callable[[], None]
    ) -> None:
        self.transceiver = transceiver
        self.sender = sender = transceiver.sender
        self.frames_to_encoder = 0
        self.nacks_received = 0  # sequence numbers the subscriber asked for again
        self.plis_received = 0
        self.on_keyframe_request(on_keyframe_request)
        # Numbering survives the sender being handed from one publisher to another.
        self.last_seq: int | None = None
        self.last_ts = 0
        self.last_sent = 0.0
        # the recent packets by sequence number: when each was sent and the wire bits up
        # to it; a report's highest one tells how long packets take to reach the
        # subscriber (queues included) and, from the report before, what got through
        self.send_times: list[tuple[int, Sent]] = [(-1, (0.0, 0))] * SEND_TIMES
        # what the subscriber lost of it: the publisher's own losses are gaps it reports too
        self.downstream_loss = DownstreamLoss(SEND_TIMES)
        self.history: dict[int, tuple[int, int, int, bytes, bytes]] = {}
        self.keep_history = transceiver.kind == "video"
        self._resent: dict[int, tuple[int, float]] = {}  # history slot -> (seq, when)
        self.retransmissions = 0
        # the first sequence number of the keyframe a layer switch started with
        self.resend_from: int | None = None
        # a NACKed packet no longer in history: sequence number -> ask the publisher
        self.on_missing: Callable[[int], None] | None = None
        self._sent_packets = 0
        self._sent_octets = 0
        self.padding_bits = 0  # wire bits of padding-only packets (``send_padding``)
        self._padding_seq = random.getrandbits(16)
        # (send, transport, SRTP session, where send sends when compiled: for fan_out)
        self._route: tuple[SendRtp, Any, Any, Wire | None] | None = None
        original_next = sender._next_encoded_frame

        async def next_encoded_frame(codec: RTCRtpCodecParameters) -> Any:
            frame = await original_next(codec)
            self.frames_to_encoder += 1
            return frame

        sender._next_encoded_frame = next_encoded_frame
        sender._retransmit = self._retransmit
        # receiver reports and REMB about this stream, after aiortc has read them
        self.rtcp_listener: RtcpListener | None = None
        original_rtcp = sender._handle_rtcp_packet

        async def handle_rtcp_packet(packet: AnyRtcpPacket) -> None:
            await original_rtcp(packet)
            if self.rtcp_listener is not None:
                self._tell(self.rtcp_listener, packet)

        sender._handle_rtcp_packet = handle_rtcp_packet

    def _tell(self, listener: RtcpListener, packet: AnyRtcpPacket) -> None:
        ssrc = self.sender._ssrc
        if isinstance(packet, (RtcpRrPacket, RtcpSrPacket)):
            for report in packet.reports:
                if report.ssrc == ssrc:
                    highest = report.highest_sequence
                    seq, sent = self.send_times[highest % SEND_TIMES]
                    known = sent if seq == highest & 0xFFFF else None
                    fraction = self.downstream_loss.fraction_lost(
                        highest, report.packets_lost, report.fraction_lost, self.send_times
                    )
                    listener.on_report(ssrc, fraction, highest, known)
        elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            try:
                bitrate, ssrcs = unpack_remb_fci(packet.fci)
            except ValueError:
                return
            if ssrc in ssrcs:
                listener.on_remb(bitrate)

    def on_keyframe_request(self, handler: Callable[[], None]) -> None:
        """Route the subscriber's PLI/FIR to ``handler``."""

        def counted() -> None:
            self.plis_received += 1
            handler()

        route_keyframe_requests(self.sender, counted)

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
    def packets_sent(self) -> int:
        return self._sent_packets

    @property
    def bytes_sent(self) -> int:
        return self._sent_octets

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
        self,
        payload_type: int,
        marker: int,
        sequence_number: int,
        timestamp: int,
        extensions: bytes,
        payload: bytes,
        ntp: int,
        now: float | None = None,
    ) -> None:
        """Serialize with this sender's SSRC, protect and send one RTP packet now.

        ``extensions`` are one-byte-header elements (RFC 8285); ``ntp`` is now, for
        markers, and ``now`` in monotonic seconds. Whatever rewrites packets per
        subscriber (numbering, layers) sits in front of this and hands over the fields
        it chose.
        """
        route = self._route or self._find_route()
        if route is None:
            return
        send_rtp, transport, _, _ = route
        if transport.is_closing():
            self._route = None
            return
        marker_pt = marker << 7 | payload_type
        length = send_rtp(
            marker_pt, sequence_number, timestamp, self.sender._ssrc, extensions, payload
        )
        if length < 0:
            return  # socket buffer full: dropped, as a congested network would
        if self.keep_history:
            self.history[sequence_number % RTP_HISTORY_SIZE] = (
                sequence_number,
                marker_pt,
                timestamp,
                extensions,
                payload,
            )
        self._sent_packets += 1
        self._sent_octets += length - 12
        wire_bits = (self._sent_octets + self._sent_packets * PACKET_OVERHEAD) * 8
        at = time.monotonic() if now is None else now
        self.send_times[sequence_number % SEND_TIMES] = (sequence_number, (at, wire_bits))
        if marker:
            # the sender's RTCP sender reports read these
            sender = self.sender
            sender._RTCRtpSender__ntp_timestamp = ntp
            sender._RTCRtpSender__rtp_timestamp = timestamp
            sender._RTCRtpSender__packet_count = self._sent_packets
            sender._RTCRtpSender__octet_count = self._sent_octets

    @property
    def can_pad(self) -> bool:
        """A started sender with RTX negotiated: ``send_padding`` has a stream to use."""
        return self.started and self.sender._RTCRtpSender__rtx_payload_type is not None

    def send_padding(self, bits: int) -> int:
        """About ``bits`` on the wire of padding-only packets on the RTX stream, as
        libwebrtc probes: they fill the link like media, and receivers count them in
        that stream's statistics and drop them (no frame, no NACK, no loss on the
        video's own stream). The wire bits sent."""
        payload_type = self.sender._RTCRtpSender__rtx_payload_type
        route = self._route or self._find_route()
        if payload_type is None or route is None or route[1].is_closing():
            return 0
        mid, abs_send_time_id, _ = self.header_extensions()
        if abs_send_time_id:  # what a receiver's delay-based estimate (REMB) reads
            mid += bytes([abs_send_time_id << 4 | 2]) + abs_send_time_bytes()
        sent = 0
        while sent < bits:
            size = max(1, min(MAX_PADDING, (bits - sent) // 8 - PACKET_OVERHEAD))
            length = route[0](
                PADDED | payload_type,
                self._padding_seq,
                self.last_ts,
                self.sender._rtx_ssrc,
                mid,
                bytes(size - 1) + bytes([size]),
            )
            if length < 0:
                break  # socket buffer full
            self._padding_seq = (self._padding_seq + 1) & 0xFFFF
            sent += (length - 12 + PACKET_OVERHEAD) * 8
        self.padding_bits += sent
        return sent

    def use_route(self, send: SendRtp, transport: Any, session: Any) -> None:
        """Send through ``send`` on ``transport`` (which the session ``send`` protects with
        belongs to): found by ``_find_route``, or set by a benchmark without a connection."""
        self._route = (send, transport, session, wire_of(send))

    def _find_route(self) -> tuple[SendRtp, Any, Any, Wire | None] | None:
        dtls = self.sender.transport
        pair = dtls.transport._connection._nominated.get(1)
        if dtls._tx_srtp is None or pair is None or dtls.state != "connected":
            return None
        if pair.protocol.transport is None or pair.protocol.transport.is_closing():
            return None
        transport = pair.protocol.transport
        # the session and transport stay referenced here: the sender holds raw pointers
        self.use_route(
            rtp_sender(dtls._tx_srtp, transport, pair.remote_addr), transport, dtls._tx_srtp
        )
        return self._route

    def receiver_report(self) -> tuple[float | None, float | None, int]:
        """(round-trip time in seconds, fraction lost 0..1, packets lost) from the
        subscriber's last RTCP receiver report; None where it has not said yet."""
        rtt = self.sender._RTCRtpSender__rtt
        for stats in self.sender._RTCRtpSender__stats.values():
            if stats.type == "remote-inbound-rtp":
                return rtt, stats.fractionLost / 256, max(0, stats.packetsLost)
        return rtt, None, 0

    async def _retransmit(self, sequence_number: int) -> None:
        self.nacks_received += 1
        start = self.resend_from
        if start is not None:
            if self.last_seq is None or (self.last_seq - start) & 0xFFFF >= 0x4000:
                self.resend_from = start = None  # long ago: numbers are about to wrap
            elif 0 < (start - sequence_number) & 0xFFFF <= 0x4000:
                return  # before a keyframe that was sent: no decoder needs it any more
        # resent on the primary SSRC: receivers accept it whether or not RTX is negotiated
        entry = self.history.get(sequence_number % RTP_HISTORY_SIZE)
        route = self._route
        if (entry is None or entry[0] != sequence_number) and self.on_missing is not None:
            self.on_missing(sequence_number)
        if entry is None or entry[0] != sequence_number or route is None:
            return
        seq, marker_pt, timestamp, extensions, payload = entry
        if not self._worth_resending(seq, timestamp) or route[1].is_closing():
            return
        route[0](marker_pt, seq, timestamp, self.sender._ssrc, extensions, payload)
        self.retransmissions += 1

    def _worth_resending(self, seq: int, timestamp: int) -> bool:
        """A receiver NACKs every packet it misses on each new gap; on a link already
        full, answering all of them again and again (old frames of a layer it no longer
        gets) keeps it full. As mediasoup and libwebrtc do: a packet is resent at most
        once per round trip, and not once it is too old to be shown."""
        age = ((self.last_ts - timestamp) & 0xFFFFFFFF) / VIDEO_CLOCK_RATE
        if age > MAX_RESEND_AGE:
            return False
        now = time.monotonic()
        slot = seq % RTP_HISTORY_SIZE
        last = self._resent.get(slot)
        interval = max(MIN_RESEND_INTERVAL, self.sender._RTCRtpSender__rtt or 0.0)
        if last is not None and last[0] == seq and now - last[1] < interval:
            return False
        self._resent[slot] = (seq, now)
        return True


def label_sender(transceiver: RTCRtpTransceiver, stream_id: str) -> None:
    """Set the msid stream id the next offer announces for this sender."""
    transceiver.sender._stream_id = stream_id


def route_keyframe_requests(sender: RTCRtpSender, handler: Callable[[], None]) -> None:
    """Call ``handler`` when the remote side sends PLI/FIR for this sender's stream."""
    sender._send_keyframe = handler


_NTP_EPOCH = 2208988800  # seconds from 1900 to 1970


def ntp_now() -> int:
    """NTP time as 32.32 fixed point; aiortc's own goes through datetime and is slower."""
    return int((time.time() + _NTP_EPOCH) * 4294967296)


def abs_send_time_bytes() -> bytes:
    """Now, as the 3-byte abs-send-time header extension value (6.18 fixed point)."""
    return ((ntp_now() >> 14) & 0x00FFFFFF).to_bytes(3, "big")
