"""The relay's per-datagram send and receive: compiled when built, else pure Python.

``_packet_io`` (C, ``_packet_io.c``, built by setup.py as an optional extension) writes
the RTP header, SRTP-protects and sends a packet in one call, and unprotects a received
datagram in one call. Without it (no compiler where the package was installed, or
``MEDIA_PACKET_IO=python``) the same steps run in Python and put the same bytes on the
wire (``tests/media/test_packet_io.py``). Both take pylibsrtp sessions: the compiled
path calls pylibsrtp's own libsrtp through function pointers it exports.
"""

from __future__ import annotations

import asyncio
import asyncio.selector_events
import dataclasses
import errno
import importlib
import os
import socket
import struct
from collections.abc import Callable
from functools import partial
from types import ModuleType
from typing import Any

import pylibsrtp
from aiortc.rtcdtlstransport import RtpRouter
from aiortc.rtp import RTP_HISTORY_SIZE, HeaderExtensions, HeaderExtensionsMap, RtpPacket

from .names import PrivateName

PRIVATE = (
    PrivateName(asyncio.selector_events._SelectorTransport, "_sock", "attribute"),
    # _fan_out.c reads it for is_closing() (which returns it) on asyncio's transports
    PrivateName(asyncio.selector_events._SelectorTransport, "_closing", "attribute"),
    PrivateName(pylibsrtp.Session, "_cdata", "attribute"),
    PrivateName(pylibsrtp.Session, "_buffer", "attribute"),
    PrivateName(pylibsrtp.Session, "_srtp", "attribute"),
    PrivateName(pylibsrtp, "ffi", "attribute"),
    PrivateName(pylibsrtp, "lib", "attribute"),
    PrivateName(pylibsrtp, "SRTP_MAX_TRAILER_LEN", "attribute"),
    PrivateName(pylibsrtp.lib, "srtp_protect", "method"),
    PrivateName(pylibsrtp.lib, "srtp_unprotect", "method"),
    PrivateName(HeaderExtensionsMap, "_HeaderExtensionsMap__ids", "attribute"),
    # media_receiver hands RtpRouter's tables to _receive.c, which routes by them
    PrivateName(RtpRouter, "ssrc_table", "attribute"),
    PrivateName(RtpRouter, "payload_type_table", "attribute"),
)


def _load_compiled() -> ModuleType | None:
    try:
        return importlib.import_module("._packet_io", __package__)
    except ImportError:  # not built here: the pure-Python path below
        return None


def _compiled_assumptions_hold() -> bool:
    """What the C code takes from aiortc without asking: _fan_out.c writes Egress.history
    slots modulo its own copy of RTP_HISTORY_SIZE, and receive_rtp sets only the header
    extensions a packet carries (the others read HeaderExtensions' class default, None)."""
    defaults = [getattr(HeaderExtensions, f.name, 0) for f in dataclasses.fields(HeaderExtensions)]
    return RTP_HISTORY_SIZE == 128 and all(value is None for value in defaults)


compiled = _load_compiled()
if compiled is not None and not _compiled_assumptions_hold():
    compiled = None  # an aiortc this was not written for: the Python path is still right
if compiled is not None:
    # "_closing": what asyncio's transports' is_closing() returns; _fan_out.c reads it
    # instead of calling is_closing() once per packet out
    compiled.configure(RtpPacket, HeaderExtensions, "_closing")

# a received SRTP datagram -> the RTP packet in it, as aiortc parses it
ReceiveRtp = Callable[[bytes], RtpPacket]

# (marker << 7 | payload type, sequence number, timestamp, ssrc, extensions, payload)
# -> plaintext length sent, or -1 when the socket buffer was full and the packet dropped
SendRtp = Callable[[int, int, int, int, bytes, bytes], int]

_HEADER = struct.Struct("!BBHII")
# marker_pt | PADDED: the payload ends in RTP padding and the header says so (a
# padding-only packet probes a link without carrying media)
PADDED = 0x100


def use_compiled() -> bool:
    return compiled is not None and os.environ.get("MEDIA_PACKET_IO") != "python"


def rtp_bytes(
    payload_type: int,
    marker: int,
    sequence_number: int,
    timestamp: int,
    ssrc: int,
    extensions: bytes,
    payload: bytes,
    padded: bool = False,
) -> bytes:
    """Serialize an RTP packet; ``extensions`` are one-byte-header elements (RFC 8285);
    ``padded``: ``payload`` ends in padding (its last byte counts it)."""
    first = 0xA0 if padded else 0x80
    if not extensions:
        header = _HEADER.pack(first, marker << 7 | payload_type, sequence_number, timestamp, ssrc)
        return header + payload
    padding = -len(extensions) % 4
    length = (len(extensions) + padding) // 4
    header = _HEADER.pack(
        first | 0x10, marker << 7 | payload_type, sequence_number, timestamp, ssrc
    )
    return b"".join(
        (header, b"\xbe\xde", length.to_bytes(2, "big"), extensions, b"\0" * padding, payload)
    )


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

    process.keep_alive = session  # what cdata points into
    return process


def _address(pointer: Any) -> int:
    return int(pylibsrtp.ffi.cast("uintptr_t", pointer))


def _srtp_pointers(session: pylibsrtp.Session, function: str) -> tuple[int, int]:
    """Addresses of pylibsrtp's libsrtp ``function`` and of ``session``'s srtp context:
    the first arguments of the compiled path's calls."""
    return _address(pylibsrtp.ffi.addressof(pylibsrtp.lib, function)), _address(session._srtp[0])


def sockaddr(addr: tuple[Any, ...]) -> bytes:
    """``addr`` (host, port[, flow, scope]) as the kernel's struct sockaddr_in / _in6."""
    host, port = addr[0], addr[1]
    if ":" in host:
        flow, scope = (addr[2], addr[3]) if len(addr) >= 4 else (0, 0)
        packed = socket.inet_pton(socket.AF_INET6, host.split("%")[0])
        return (
            struct.pack("=H", socket.AF_INET6)
            + struct.pack("!HI", port, flow)
            + (packed + struct.pack("=I", scope))
        )
    packed = socket.inet_pton(socket.AF_INET, host)
    return struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) + packed + bytes(8)


def _socket_of(transport: asyncio.DatagramTransport) -> Any:
    # asyncio's selector transport keeps ``_sock``; uvloop's only lends a socket-like
    # object (``fileno`` works, sending through it does not)
    return getattr(transport, "_sock", None) or transport.get_extra_info("socket")


def rtp_sender(
    session: pylibsrtp.Session,
    transport: asyncio.DatagramTransport,
    addr: tuple[Any, ...],
    compiled_path: bool | None = None,
) -> SendRtp:
    """Send RTP packets to ``addr`` through ``transport``, protected by ``session``.

    The sender keeps ``session`` and ``transport`` alive; the caller stops sending once
    the transport is closing (the compiled path holds the socket's descriptor number).
    """
    if compiled_path is None:
        compiled_path = use_compiled()
    if compiled_path and compiled is not None:
        sender = partial(
            compiled.send_rtp,
            *_srtp_pointers(session, "srtp_protect"),
            _socket_of(transport).fileno(),
            sockaddr(addr),
        )
        sender.keep_alive = (session, transport)  # what the raw pointer and fd point into
        return sender
    protect = fast_srtp(session)
    sock = getattr(transport, "_sock", None)
    sendto = sock.sendto if sock is not None else transport.sendto

    def send(
        marker_pt: int, seq: int, ts: int, ssrc: int, extensions: bytes, payload: bytes
    ) -> int:
        marker, padded = marker_pt >> 7 & 1, bool(marker_pt & PADDED)
        data = rtp_bytes(marker_pt & 0x7F, marker, seq, ts, ssrc, extensions, payload, padded)
        try:
            sendto(protect(data), addr)
        except (BlockingIOError, InterruptedError):
            return -1  # socket buffer full: dropped, as a congested network would
        except OSError as exc:
            if exc.errno == errno.ENOBUFS:
                return -1
            raise
        return len(data)

    return send


# Base classes of forwarding.Downtrack and sender.Egress: compiled, they keep the fields
# ``fan_out`` reads and writes where it reaches them without a lookup; Python code uses
# them as plain attributes either way.
DowntrackState: Any = compiled.DowntrackState if compiled is not None else object
EgressState: Any = compiled.EgressState if compiled is not None else object

# Base classes of receive_stats.NextPacketStreamStatistics, NextPacketNackGenerator and
# receiver.Ingress: compiled, they keep the fields ``receive_media`` reads and updates.
StatsState: Any = compiled.StatsState if compiled is not None else object
NackState: Any = compiled.NackState if compiled is not None else object
IngressState: Any = compiled.IngressState if compiled is not None else object
# ... and of forwarding.Publication, whose steady on_packet it runs too
PublicationState: Any = compiled.PublicationState if compiled is not None else object

# (protect, session, fd, sockaddr): where a compiled SendRtp sends, for ``fan_out``
Wire = tuple[int, int, int, bytes]

# (downtracks by subscriber, packet, keyframe, now, abs-send-time bytes, ntp) -> None, True
# (a downtrack waits for a keyframe) or (downtracks left for the Python loop, that flag)
FanOut = Callable[[dict[str, Any], RtpPacket, bool, float, bytes, int], Any]


def wire_of(send: SendRtp) -> Wire | None:
    """Where ``send`` (from ``rtp_sender``) sends, when it is the compiled path's."""
    if compiled is not None and isinstance(send, partial) and send.func is compiled.send_rtp:
        return send.args
    return None


def fan_outer(compiled_path: bool | None = None) -> FanOut | None:
    """The compiled fan-out of one received packet to a publication's downtracks
    (``_fan_out.c``), or None: the Python loop in ``Publication.on_packet`` does it."""
    if compiled_path is None:
        compiled_path = use_compiled()
    return compiled.fan_out if compiled_path and compiled is not None else None


def srtp_unprotector(
    session: pylibsrtp.Session, compiled_path: bool | None = None
) -> Callable[[bytes], bytes]:
    """Decrypt one received SRTP datagram; ValueError or pylibsrtp.Error if it fails."""
    if compiled_path is None:
        compiled_path = use_compiled()
    if compiled_path and compiled is not None:
        unprotect = partial(compiled.unprotect, *_srtp_pointers(session, "srtp_unprotect"))
        unprotect.keep_alive = session  # what the raw pointer points into
        return unprotect
    return fast_srtp(session, protect=False)


def rtp_receiver(
    session: pylibsrtp.Session,
    extensions_map: HeaderExtensionsMap,
    compiled_path: bool | None = None,
) -> ReceiveRtp:
    """Decrypt and parse one received SRTP datagram into the ``RtpPacket`` aiortc's
    ``RtpPacket.parse`` builds; ValueError, struct.error or pylibsrtp.Error if it fails.

    ``extensions_map`` is read on every packet (renegotiation reconfigures it in place).
    """
    if compiled_path is None:
        compiled_path = use_compiled()
    if compiled_path and compiled is not None:
        # receive_rtp(unprotect, session, extension ids, datagram): one C call, no frame
        receive = partial(
            compiled.receive_rtp,
            *_srtp_pointers(session, "srtp_unprotect"),
            extensions_map._HeaderExtensionsMap__ids,
        )
        receive.keep_alive = session  # what the raw pointer points into
        return receive
    unprotect = fast_srtp(session, protect=False)
    parse = RtpPacket.parse

    def receive_python(data: bytes) -> RtpPacket:
        return parse(unprotect(data), extensions_map)

    return receive_python


# a received SRTP datagram -> None when it took the usual path to its Ingress compiled,
# else the RTP packet in it (for the Python path to route and handle)
ReceiveMedia = Callable[[bytes], RtpPacket | None]


def media_receiver(
    session: pylibsrtp.Session,
    extensions_map: HeaderExtensionsMap,
    router: RtpRouter,
    report: Callable[[BaseException], None],
    compiled_path: bool | None = None,
) -> ReceiveMedia | None:
    """``rtp_receiver`` that also routes the usual packet (a known SSRC, the one after the
    last, nothing missing) to its ``Ingress``, counts it in the receive statistics and NACK
    state and hands it to the Ingress's ``on_packet``, in the same C call (``_receive.c``);
    ``report`` gets what ``on_packet`` raises. None without the compiled path.

    ``router`` is aiortc's ``RtpRouter``: its SSRC and payload-type tables are read on
    every packet (registration changes them in place)."""
    if compiled_path is None:
        compiled_path = use_compiled()
    if not compiled_path or compiled is None:
        return None
    receive = partial(
        compiled.receive_media,
        *_srtp_pointers(session, "srtp_unprotect"),
        extensions_map._HeaderExtensionsMap__ids,
        router.ssrc_table,
        router.payload_type_table,
        report,
    )
    receive.keep_alive = session  # what the raw pointer points into
    return receive
