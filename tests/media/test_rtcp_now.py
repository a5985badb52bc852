"""Incoming SRTCP is decrypted and handled inside the socket callback (``handle_rtcp_now``),
not queued for the DTLS transport's task; a handler that does wait still finishes."""

from __future__ import annotations

import asyncio
import logging

import pylibsrtp
from aiortc.rtp import RTCP_PSFB_PLI, RtcpPacket, RtcpPsfbPacket

from media.aiortc_private.transport import handle_rtcp_now, run_now

KEY = bytes(range(30))


class Dtls:
    """Stands in for RTCDtlsTransport: its inbound SRTP session and RTCP handler only."""

    def __init__(self, session: pylibsrtp.Session | None) -> None:
        self._rx_srtp = session
        self.handled: list[list] = []

    async def _handle_rtcp_data(self, data: bytes) -> None:
        self.handled.append(RtcpPacket.parse(data))


def srtcp_pli(sender_ssrc: int = 1, media_ssrc: int = 2) -> tuple[bytes, bytes]:
    plain = bytes(RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=sender_ssrc, media_ssrc=media_ssrc))
    outbound = pylibsrtp.Session(
        pylibsrtp.Policy(key=KEY, ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
    )
    return plain, outbound.protect_rtcp(plain)


def inbound() -> pylibsrtp.Session:
    return pylibsrtp.Session(pylibsrtp.Policy(key=KEY, ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND))


def test_a_keyframe_request_is_handled_before_the_callback_returns():
    dtls = Dtls(inbound())
    plain, protected = srtcp_pli()
    assert handle_rtcp_now(dtls, protected)  # type: ignore[arg-type]
    assert [bytes(packet) for packet in dtls.handled[0]] == [plain]


def test_before_srtp_starts_aiortc_keeps_the_datagram():
    dtls = Dtls(None)
    assert not handle_rtcp_now(dtls, srtcp_pli()[1])  # type: ignore[arg-type]
    assert dtls.handled == []


def test_an_undecryptable_datagram_is_dropped_as_aiortc_drops_it():
    dtls = Dtls(inbound())
    _, protected = srtcp_pli()
    tampered = protected[:-1] + bytes([protected[-1] ^ 1])
    assert handle_rtcp_now(dtls, tampered)  # type: ignore[arg-type]
    assert dtls.handled == []


async def test_a_handler_that_waits_finishes_with_what_it_waited_for():
    loop = asyncio.get_running_loop()
    first, second = loop.create_future(), loop.create_future()
    seen: list[object] = []

    async def handler() -> None:
        seen.append(await first)
        try:
            await second
        except ValueError as error:
            seen.append(error.args[0])
        await asyncio.sleep(0)
        seen.append("done")

    run_now(handler())
    assert seen == []
    first.set_result("report")
    second.set_exception(ValueError("lost"))
    for _ in range(10):
        await asyncio.sleep(0)
    assert seen == ["report", "lost", "done"]


def test_a_handler_that_fails_is_logged_not_raised_into_the_socket_callback(caplog):
    async def handler() -> None:
        raise RuntimeError("bad report")

    with caplog.at_level(logging.ERROR):
        run_now(handler())
    assert "an RTCP datagram's handler failed" in caplog.text
