"""The DTLS/ICE transport: media off the socket in its callback, SRTP without overhead.

The fast receive path decrypts, parses and routes incoming RTP to an ``Ingress``
inside aioice's socket callback; the send side (``fast_srtp``, ``datagram_sender``) is
what ``sender.Egress`` sends through.
"""

from __future__ import annotations

import asyncio
import asyncio.selector_events
import logging
from collections.abc import Callable
from typing import Any

import aioice.ice
import pylibsrtp
from aiortc import RTCDtlsTransport, RTCIceTransport
from aiortc.rtcdtlstransport import RtpRouter
from aiortc.rtp import RtpPacket

from .names import PrivateName

logger = logging.getLogger(__name__)

PRIVATE = (
    PrivateName(RTCIceTransport, "_connection", "attribute"),
    PrivateName(RTCDtlsTransport, "_rtp_router", "attribute"),
    PrivateName(RTCDtlsTransport, "_rx_srtp", "attribute"),
    PrivateName(RTCDtlsTransport, "_rtp_header_extensions_map", "attribute"),
    PrivateName(RtpRouter, "route_rtp", "method"),
    PrivateName(aioice.ice.Connection, "data_received", "method"),  # replaced per instance
    PrivateName(aioice.ice.Connection, "_protocols", "attribute"),
    PrivateName(aioice.ice.StunProtocol, "datagram_received", "method"),  # replaced too
    PrivateName(asyncio.selector_events._SelectorTransport, "_sock", "attribute"),
    PrivateName(pylibsrtp.Session, "_cdata", "attribute"),
    PrivateName(pylibsrtp.Session, "_buffer", "attribute"),
    PrivateName(pylibsrtp.Session, "_srtp", "attribute"),
    PrivateName(pylibsrtp, "ffi", "attribute"),
    PrivateName(pylibsrtp, "lib", "attribute"),
    PrivateName(pylibsrtp, "SRTP_MAX_TRAILER_LEN", "attribute"),
    PrivateName(pylibsrtp.lib, "srtp_protect", "method"),
    PrivateName(pylibsrtp.lib, "srtp_unprotect", "method"),
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
