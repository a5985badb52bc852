"""Opus in-band FEC and DTX survive the relay: a browser only adds FEC to its audio (so a
lost packet is rebuilt from the next one), or goes quiet in silence, when the answer it
gets asks for it; the subscribers' offers carry the same, so they expect it."""

import re

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
