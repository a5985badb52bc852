"""RTCRtpReceiver for a simulcast publisher: one m-line, one SSRC per layer, told apart by RID.

Browsers send rid-based simulcast without announcing SSRCs: each layer's first packets
carry the RID header extension (RTX packets the repaired-RID), so the receiver learns
SSRC -> layer from them. aiortc's receiver assumes one media SSRC per m-line; this one
keeps per-SSRC loss detection, maps RTX to the layer it repairs, and addresses
keyframe requests and REMB to each layer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiortc import RTCDtlsTransport, RTCRtpReceiver
from aiortc.rtcdtlstransport import RtpRouter
from aiortc.rtcrtpreceiver import NackGenerator
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, RtpPacket, pack_remb_fci

from .names import PrivateName
from .receiver import Ingress, PacketHandler

PRIVATE = (
    PrivateName(RTCRtpReceiver, "_send_rtcp_nack", "method"),
    PrivateName(RTCRtpReceiver, "_send_rtcp_pli", "method"),
    PrivateName(RTCRtpReceiver, "_send_rtcp", "method"),
    PrivateName(RTCRtpReceiver, "_RTCRtpReceiver__rtx_ssrc", "attribute"),
    PrivateName(RTCRtpReceiver, "_RTCRtpReceiver__rtcp_ssrc", "attribute"),
    PrivateName(RTCDtlsTransport, "_rtp_router", "attribute"),
    PrivateName(RtpRouter, "route_rtp", "method"),  # wrapped per instance
    PrivateName(RtpRouter, "mid_table", "attribute"),
    PrivateName(RtpRouter, "ssrc_table", "attribute"),
)

# (ssrc, rid) -> nothing; tells the publication which layer an SSRC carries
LayerFound = Callable[[int, str], None]


class LayeredIngress(Ingress):
    """Receives every layer of one simulcast publisher's video."""

    def __init__(
        self, receiver: RTCRtpReceiver, on_packet: PacketHandler, on_layer: LayerFound
    ) -> None:
        super().__init__(receiver, on_packet)
        self.on_layer = on_layer
        self.rid_of: dict[int, str] = {}  # media SSRC -> RID
        self.ssrc_of: dict[str, int] = {}  # RID -> media SSRC
        self._nack: dict[int, NackGenerator] = {}

    def handle(self, packet: RtpPacket) -> None:
        codec = self.counted_codec(packet)
        if codec is None:
            return
        receiver = self.receiver
        ssrc = packet.ssrc
        if codec.name == "rtx":
            rtx_ssrc = receiver._RTCRtpReceiver__rtx_ssrc
            original_ssrc = rtx_ssrc.get(ssrc)
            if original_ssrc is None:
                repaired_rid = packet.extensions.repaired_rtp_stream_id
                original_ssrc = self.ssrc_of.get(repaired_rid) if repaired_rid else None
                if original_ssrc is None:
                    return
                rtx_ssrc[ssrc] = original_ssrc
            repaired = self.unwrap(packet, codec, original_ssrc)
            if repaired is None:
                return
            packet, codec = repaired
        elif ssrc not in self.rid_of:
            rid = packet.extensions.rtp_stream_id
            if not rid:
                return  # a layer is known by its RID before anything of it is forwarded
            self.rid_of[ssrc] = rid
            self.ssrc_of[rid] = ssrc
            self.media_ssrc = ssrc
            self._nack[ssrc] = NackGenerator()
            self.on_layer(ssrc, rid)

        nack = self._nack.get(packet.ssrc)
        if nack is not None and nack.add(packet):
            self._spawn(receiver._send_rtcp_nack(packet.ssrc, sorted(nack.missing)))

        self.on_packet(packet, codec)

    async def request_layer_keyframe(self, ssrc: int) -> None:
        await self.receiver._send_rtcp_pli(ssrc)

    async def request_retransmission(self, ssrc: int, sequence_numbers: list[int]) -> None:
        await self.receiver._send_rtcp_nack(ssrc, sequence_numbers)

    async def send_remb(self, bitrate: int) -> None:
        rtcp_ssrc = self.receiver._RTCRtpReceiver__rtcp_ssrc
        if not self.rid_of or rtcp_ssrc is None:
            return
        packet = RtcpPsfbPacket(
            fmt=RTCP_PSFB_APP,
            ssrc=rtcp_ssrc,
            media_ssrc=0,
            fci=pack_remb_fci(bitrate, sorted(self.rid_of)),
        )
        await self.receiver._send_rtcp(packet)


def route_by_mid(dtls: RTCDtlsTransport) -> None:
    """Route packets of SSRCs nobody announced by their MID header extension.

    aiortc routes an unknown SSRC by payload type only when a single receiver has that
    payload type: a camera's simulcast layers (no ``a=ssrc``) next to a screen share on
    the same codec would be dropped. Idempotent.
    """
    router = dtls._rtp_router
    if getattr(router, "_relay_by_mid", False):
        return
    route_rtp = router.route_rtp

    def route(packet: RtpPacket) -> Any:
        receiver = route_rtp(packet)
        if receiver is None and packet.extensions.mid is not None:
            receiver = router.mid_table.get(packet.extensions.mid)
            if receiver is not None:
                router.ssrc_table[packet.ssrc] = receiver
        return receiver

    router.route_rtp = route
    router._relay_by_mid = True
