"""The relay's RTCP routing (``transport.route_rtcp``, which replaces aiortc's per
connection) sends every RTCP packet to the receivers and senders aiortc's would."""

from __future__ import annotations

from aiortc.rtcdtlstransport import RtpRouter
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    RtcpByePacket,
    RtcpPsfbPacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSdesPacket,
    RtcpSenderInfo,
    RtcpSrPacket,
    pack_remb_fci,
)

from media.aiortc_private.transport import route_rtcp


class Endpoint:
    """Stands in for an RTCRtpReceiver or RTCRtpSender: only its identity matters."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


def report(ssrc: int) -> RtcpReceiverInfo:
    return RtcpReceiverInfo(
        ssrc=ssrc, fraction_lost=0, packets_lost=0, highest_sequence=1, jitter=0, lsr=0, dlsr=0
    )


def test_every_kind_of_rtcp_packet_reaches_the_same_recipients():
    router = RtpRouter()
    receivers = [Endpoint(f"receiver{i}") for i in range(3)]
    senders = [Endpoint(f"sender{i}") for i in range(3)]
    for i, receiver in enumerate(receivers):
        router.register_receiver(receiver, ssrcs=[100 + i], payload_types=[96])
    for i, sender in enumerate(senders):
        router.register_sender(sender, 200 + i)
    info = RtcpSenderInfo(ntp_timestamp=1, rtp_timestamp=2, packet_count=3, octet_count=4)
    packets = [
        RtcpSrPacket(ssrc=100, sender_info=info, reports=[report(200), report(201), report(9)]),
        RtcpSrPacket(ssrc=7, sender_info=info),
        RtcpRrPacket(ssrc=5, reports=[report(202), report(200)]),
        RtcpRrPacket(ssrc=5, reports=[]),
        RtcpByePacket(sources=[101, 102, 55]),
        RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=5, media_ssrc=201),
        RtcpPsfbPacket(
            fmt=RTCP_PSFB_APP, ssrc=5, media_ssrc=0, fci=pack_remb_fci(10**6, [200, 202, 77])
        ),
        RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=5, media_ssrc=0, fci=b"not a remb"),
        RtcpRtpfbPacket(fmt=RTCP_RTPFB_NACK, ssrc=5, media_ssrc=202, lost=[1, 2]),
        RtcpRtpfbPacket(fmt=RTCP_RTPFB_NACK, ssrc=5, media_ssrc=999, lost=[1]),
        RtcpSdesPacket(chunks=[]),
    ]
    routed = [route_rtcp(router, packet) for packet in packets]
    assert routed == [RtpRouter.route_rtcp(router, packet) for packet in packets]
    # and the comparison is not empty-handed: each recipient is reached by something
    assert set().union(*routed) == {*receivers, *senders}
