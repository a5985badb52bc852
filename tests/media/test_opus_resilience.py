"""Opus in-band FEC and DTX survive the relay: a browser only adds FEC to its audio (so a
lost packet is rebuilt from the next one), or goes quiet in silence, when the answer it
gets asks for it; the subscribers' offers carry the same, so they expect it."""

import re

from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from media.forwarding import Downtrack
from tests.media.media_peers import Client, wait_for

BROWSER_OPUS = "minptime=10;useinbandfec=1;usedtx=1"


def _opus_fmtp(sdp: str) -> list[str]:
    payload_types = re.findall(r"a=rtpmap:(\d+) opus/48000/2", sdp)
    return [
        line.split(" ", 1)[1]
        for line in sdp.splitlines()
        if any(line.startswith(f"a=fmtp:{pt} ") for pt in payload_types)
    ]


class BrowserLikeClient(Client):
    """Offers Opus the way Chromium does, and keeps the relay's answer to look at."""

    answer_sdp = ""

    async def _offer(self, sdp: str) -> str:
        sdp = re.sub(
            r"a=rtpmap:(\d+) opus/48000/2\r\n",
            lambda m: f"{m.group(0)}a=fmtp:{m.group(1)} {BROWSER_OPUS}\r\n",
            sdp,
        )
        self.answer_sdp = await super()._offer(sdp)
        return self.answer_sdp


async def test_the_answer_asks_publishers_for_fec_and_dtx_as_they_offered(room):
    heron = room.add(BrowserLikeClient(room.relay, "heron", "r1", number=1))
    await heron.join()
    assert _opus_fmtp(heron.answer_sdp) == [BROWSER_OPUS]


async def test_subscribers_are_offered_opus_with_fec_and_dtx(room):
    heron = room.add(BrowserLikeClient(room.relay, "heron", "r1", number=1))
    lark = room.add(BrowserLikeClient(room.relay, "lark", "r1", number=2))
    await heron.join()
    await lark.join()
    await wait_for(lambda: lark.offers and heron.offers)
    offer = lark.pc.remoteDescription.sdp
    # lark's own m-line and the one carrying heron's audio
    assert _opus_fmtp(offer) == [BROWSER_OPUS, BROWSER_OPUS]
    await wait_for(lambda: lark.received.get("heron") and lark.received["heron"].audio_frames > 5)


async def test_a_client_that_offers_no_fec_is_not_asked_for_it(room, make_client):
    plain = await make_client("wren")
    assert "useinbandfec" not in plain.pc.remoteDescription.sdp


class _RecordingEgress:
    """Stands in for a subscriber's sender: keeps what the relay would send."""

    started = True
    ssrc = 0x5EED
    codecs = (RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, payloadType=111),)

    def __init__(self) -> None:
        self.last_seq = self.last_ts = None
        self.last_sent = 0.0
        self.sent: list[RtpPacket] = []

    def header_extensions(self) -> tuple[bytes, int, int]:
        return b"", 0, 0

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
        packet = RtpPacket(payload_type, marker, sequence_number, timestamp, self.ssrc)
        packet.payload = bytes(payload)
        self.sent.append(packet)


def test_fec_payloads_and_dtx_silences_reach_subscribers_as_sent():
    codec = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, payloadType=96)
    egress = _RecordingEgress()
    downtrack = Downtrack("lark", egress, 48000, is_video=False)
    downtrack.confirmed = True
    assert downtrack.prepare(codec)
    # 20 ms packets, then DTX: one packet per 400 ms of silence (timestamps jump, numbers do not)
    timestamps = [0, 960, 1920, 1920 + 20 * 960, 1920 + 40 * 960, 1920 + 41 * 960]
    payloads = [bytes([0x78, n]) + b"lbrr+frame" * n for n in range(len(timestamps))]
    for n, (timestamp, payload) in enumerate(zip(timestamps, payloads, strict=True)):
        packet = RtpPacket(payload_type=96, sequence_number=4000 + n, timestamp=timestamp)
        packet.ssrc, packet.payload = 0xABC, payload
        downtrack.forward(packet, now=n * 0.02, abs_send_time=b"", ntp=0)
    assert [p.payload for p in egress.sent] == payloads  # FEC data untouched
    seqs = [p.sequence_number for p in egress.sent]
    assert seqs == list(range(seqs[0], seqs[0] + len(timestamps)))
    sent_ts = [p.timestamp - egress.sent[0].timestamp for p in egress.sent]
    assert sent_ts == timestamps  # silences stay silences, not squeezed or stretched
