"""The DTLS/ICE transport: media off the socket in its callback, SRTP without overhead.

The fast receive path decrypts, parses and routes incoming RTP to an ``Ingress``
inside aioice's socket callback; ``packet_io`` does the SRTP and parsing (and, for
``sender.Egress``, the sending); ``batch_receive`` reads queued datagrams in batches.
"""

from __future__ import annotations

import contextlib
import logging
import struct
from collections.abc import Callable
from functools import partial
from typing import Any

import aioice.ice
import pylibsrtp
from aiortc import RTCDtlsTransport, RTCIceTransport
from aiortc.rtcdtlstransport import RtpRouter
from aiortc.rtp import (
    RTCP_PSFB_APP,
    AnyRtcpPacket,
    HeaderExtensionsMap,
    RtcpByePacket,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSrPacket,
    RtpPacket,
    unpack_remb_fci,
)

from .batch_receive import batch_reads
from .names import PrivateName
from .packet_io import media_receiver, rtp_receiver

logger = logging.getLogger(__name__)

# what a datagram that is not readable media raises on the way in: dropped, as aiortc does
UNREADABLE = (ValueError, struct.error, pylibsrtp.Error)

PRIVATE = (
    PrivateName(RTCIceTransport, "_connection", "attribute"),
    PrivateName(RTCDtlsTransport, "_rtp_router", "attribute"),
    PrivateName(RTCDtlsTransport, "_rx_srtp", "attribute"),
    PrivateName(RTCDtlsTransport, "_rtp_header_extensions_map", "attribute"),
    PrivateName(RtpRouter, "route_rtp", "method"),
    PrivateName(RtpRouter, "route_rtcp", "method"),  # replaced per instance
    PrivateName(RtpRouter, "ssrc_table", "attribute"),
    PrivateName(RtpRouter, "senders", "attribute"),
    PrivateName(aioice.ice.Connection, "data_received", "method"),  # replaced per instance
    PrivateName(aioice.ice.Connection, "_protocols", "attribute"),
    PrivateName(aioice.ice.StunProtocol, "datagram_received", "method"),  # replaced too
)


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

        # (session, extensions map, their handler): the compiled path holds a raw
        # pointer to the session
        receive: list[Any] = [None, None, None]

        def current_handler() -> Any:
            session = dtls._rx_srtp
            if session is None:
                return None
            extensions_map = dtls._rtp_header_extensions_map
            if receive[0] is not session or receive[1] is not extensions_map:
                handler = media_handler(session, extensions_map, router)
                receive[:] = [session, extensions_map, handler]
            return receive[2]

        def data_received(data: bytes, component: int) -> None:
            if not 127 < data[0] < 192 or 192 <= data[1] <= 208:
                original(data, component)
                return
            handler = current_handler()
            if handler is None or not handler(data):
                original(data, component)

        # component -> (handler, its taker): a read wakes the loop ~200 times a second
        # at 2 participants, so the pair is made once per handler, not per wake
        takers: dict[int, tuple[Any, Any]] = {}

        def media_taker(
            component: int,
        ) -> tuple[Callable[[bytes], Any], Callable[[bytes, Any], None]] | None:
            """For a batch read: the compiled receiver of media datagrams, and what to do
            with one it did not take (its packet, or what it raised), as ``handler`` would."""
            handler = current_handler()
            if handler is None or handler.take is None:
                return None
            made = takers.get(component)
            if made is not None and made[0] is handler:
                return made[1]

            def finish(data: bytes, result: Any) -> None:
                if not handler.finish(result):
                    original(data, component)

            taker = (handler.take, finish)
            takers[component] = (handler, taker)
            return taker

        connection.data_received = data_received
        connection._relay_media_taker = media_taker
        connection._relay_fast = True
        router.route_rtcp = partial(route_rtcp, router)
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
        # the same as datagram_received does for RTP, without its frame; media straight
        # to the compiled receiver
        taker = partial(connection._relay_media_taker, component)
        batch_reads(protocol, partial(connection.data_received, component=component), taker)
        if on_socket is not None:
            on_socket(protocol)


def media_handler(
    session: pylibsrtp.Session,
    extensions_map: HeaderExtensionsMap,
    router: RtpRouter,
    compiled_path: bool | None = None,
) -> Callable[[bytes], bool]:
    """Decrypt, parse and route a received RTP datagram to its ``Ingress``; False when it
    belongs to a receiver that is not one (aiortc's own path takes it then).

    Compiled, the usual packet's whole path is one C call (``media_receiver``); the rest
    come back parsed and take the Python path below."""
    parse = rtp_receiver(session, extensions_map, compiled_path)
    receive = media_receiver(session, extensions_map, router, _dropped, compiled_path) or parse

    def handle(data: bytes) -> bool:
        try:
            packet = receive(data)
        except UNREADABLE:
            return True  # undecryptable or malformed: dropped, as aiortc drops it
        if packet is None:
            return True  # forwarded
        return route(packet)

    def finish(result: RtpPacket | BaseException) -> bool:
        """``handle``'s end for what the compiled receiver gave back (``receive_batch``)."""
        if isinstance(result, UNREADABLE):
            return True
        if isinstance(result, BaseException):
            raise result
        return route(result)

    def route(packet: RtpPacket) -> bool:
        receiver = router.route_rtp(packet)
        ingress = getattr(receiver, "_relay_ingress", None)
        if ingress is not None:
            try:
                ingress.handle(packet)
            except Exception:
                # never let one packet take the socket callback (and its peers) down
                logger.exception("dropped an RTP packet")
            return True
        return receiver is None

    handle.take = receive if receive is not parse else None
    handle.finish = finish
    return handle


def _dropped(error: BaseException) -> None:
    logger.error("dropped an RTP packet", exc_info=error)


def route_rtcp(router: RtpRouter, packet: AnyRtcpPacket) -> set[Any]:
    """``RtpRouter.route_rtcp``: the receivers and senders an RTCP packet is about.

    aiortc's own defines a nested function with ``Optional[Union[...]]`` annotations on
    every call, which evaluates typing subscriptions per RTCP packet (~2 % of the relay's
    CPU at 6 participants); this routes the same packets to the same recipients."""
    recipients: set[Any] = set()
    if isinstance(packet, RtcpSrPacket):
        recipients.add(router.ssrc_table.get(packet.ssrc))
    elif isinstance(packet, RtcpByePacket):
        recipients.update(router.ssrc_table.get(source) for source in packet.sources)
    if isinstance(packet, (RtcpRrPacket, RtcpSrPacket)):
        recipients.update(router.senders.get(report.ssrc) for report in packet.reports)
    elif isinstance(packet, (RtcpPsfbPacket, RtcpRtpfbPacket)):
        recipients.add(router.senders.get(packet.media_ssrc))
        # REMB names its streams in the FCI (media_ssrc is 0)
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            with contextlib.suppress(ValueError):
                recipients.update(
                    router.senders.get(ssrc) for ssrc in unpack_remb_fci(packet.fci)[1]
                )
    recipients.discard(None)
    return recipients
