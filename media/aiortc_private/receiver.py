"""RTCRtpReceiver: ``Ingress`` takes a publisher's RTP packets before depayloading and decoding."""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable
from typing import Any

from aiortc import RTCRtpReceiver
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import NackGenerator
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, RtpPacket, pack_remb_fci, unwrap_rtx

from .names import PrivateName
from .packet_io import IngressState
from .receive_stats import NextPacketStreamStatistics, codec_name, next_packet_nack_generator

PRIVATE = (
    PrivateName(RTCRtpReceiver, "_handle_rtp_packet", "method"),
    PrivateName(RTCRtpReceiver, "_send_rtcp_nack", "method"),
    PrivateName(RTCRtpReceiver, "_send_rtcp_pli", "method"),
    PrivateName(RTCRtpReceiver, "_send_rtcp", "method"),
    PrivateName(RTCRtpReceiver, "_enabled", "attribute"),
    PrivateName(RTCRtpReceiver, "_RTCRtpReceiver__decoder_queue", "attribute"),
    PrivateName(RTCRtpReceiver, "_RTCRtpReceiver__decoder_thread", "attribute"),
    PrivateName(RTCRtpReceiver, "_RTCRtpReceiver__codecs", "attribute"),
    PrivateName(RTCRtpReceiver, "_RTCRtpReceiver__remote_streams", "attribute"),
    PrivateName(RTCRtpReceiver, "_RTCRtpReceiver__rtx_ssrc", "attribute"),
    PrivateName(RTCRtpReceiver, "_RTCRtpReceiver__nack_generator", "attribute"),
    PrivateName(RTCRtpReceiver, "_RTCRtpReceiver__rtcp_ssrc", "attribute"),
)


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


def drop(packet: RtpPacket, codec: RTCRtpCodecParameters) -> None:
    """A ``PacketHandler`` for media nobody is to receive."""


class Ingress(IngressState):
    """Receives one publisher's RTP packets for one kind, without depayloading or decoding.

    ``packet_io.media_receiver`` does ``handle``'s usual case in C, reading the fields set
    here (``IngressState``): subclasses that handle packets differently opt out."""

    def __init__(self, receiver: RTCRtpReceiver, on_packet: PacketHandler) -> None:
        self.receiver = receiver
        self.on_packet = on_packet
        self.decoder_queue = CountingQueue()
        receiver._RTCRtpReceiver__decoder_queue = self.decoder_queue
        receiver._handle_rtp_packet = self._handle_rtp_packet
        receiver.receive = self._receive_without_decoder(receiver.receive)
        receiver._relay_ingress = self
        nack_generator = receiver._RTCRtpReceiver__nack_generator
        if type(nack_generator) is NackGenerator:
            nack_generator = next_packet_nack_generator(nack_generator)
            receiver._RTCRtpReceiver__nack_generator = nack_generator
        # the receiver's own dicts (aiortc only ever changes them in place)
        self.codecs = receiver._RTCRtpReceiver__codecs
        self.remote_streams = receiver._RTCRtpReceiver__remote_streams
        self.nack_generator = nack_generator
        self.compiled_receive = type(self).handle is Ingress.handle
        self.media_codec: RTCRtpCodecParameters | None = None  # last non-RTX codec handled
        self.media_ssrc: int | None = None
        self.nacks_sent = 0  # NACK packets to the publisher (each may list several)
        self.plis_sent = 0
        self._tasks: set[asyncio.Future[None]] = set()

    def _receive_without_decoder(self, receive: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """aiortc's ``receive()`` starts a non-daemon decoder thread per track. The relay
        never decodes, so that thread would only idle (one per published track) and, if
        the relay is not closed, keep the process from exiting on SIGTERM: end it at once."""

        async def receive_without_decoder(parameters: Any) -> None:
            await receive(parameters)
            thread = self.receiver._RTCRtpReceiver__decoder_thread
            if thread is not None:
                self.receiver._RTCRtpReceiver__decoder_thread = None
                self.decoder_queue.put(None)  # the thread's stop signal; it exits by itself

        return receive_without_decoder

    @property
    def decoder_calls(self) -> int:
        return self.decoder_queue.frames

    async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        self.handle(packet)

    def counted_codec(self, packet: RtpPacket) -> RTCRtpCodecParameters | None:
        """The codec of a packet this receiver takes, counted in its per-SSRC statistics
        (what its receiver reports say); None for a packet it drops."""
        codec = self.codecs.get(packet.payload_type)
        if codec is None or not self.receiver._enabled:
            return None
        streams = self.remote_streams
        stats = streams.get(packet.ssrc)
        if stats is None:
            stats = streams[packet.ssrc] = NextPacketStreamStatistics(codec.clockRate)
        stats.add(packet)
        return codec

    def unwrap(
        self, packet: RtpPacket, rtx: RTCRtpCodecParameters, original_ssrc: int
    ) -> tuple[RtpPacket, RTCRtpCodecParameters] | None:
        """The packet an RTX packet repeats, with its codec; None when it cannot be read."""
        codecs = self.receiver._RTCRtpReceiver__codecs
        apt = rtx.parameters.get("apt")
        if len(packet.payload) < 2 or not isinstance(apt, int) or apt not in codecs:
            return None
        return unwrap_rtx(packet, payload_type=apt, ssrc=original_ssrc), codecs[apt]

    def handle(self, packet: RtpPacket) -> None:
        codec = self.counted_codec(packet)
        if codec is None:
            return
        receiver = self.receiver
        if codec_name(codec) == "rtx":
            original_ssrc = receiver._RTCRtpReceiver__rtx_ssrc.get(packet.ssrc)
            repaired = None if original_ssrc is None else self.unwrap(packet, codec, original_ssrc)
            if repaired is None:
                return
            packet, codec = repaired
        else:
            self.media_ssrc = packet.ssrc
            self.media_codec = codec

        nack_generator = self.nack_generator
        if nack_generator is not None and nack_generator.add(packet):
            self.nacks_sent += 1
            self._spawn(receiver._send_rtcp_nack(packet.ssrc, sorted(nack_generator.missing)))

        self.on_packet(packet, codec)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def request_keyframe(self) -> None:
        if self.media_ssrc is not None:
            self.plis_sent += 1
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
