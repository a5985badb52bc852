"""A phone goes from Wi-Fi to mobile data: the browser says it is back `online`, and the
page starts a new media connection by itself, keeping the person's camera and microphone
and their place in the meeting (no rejoin, no reload). The emulated-network half of this
(an aiortc peer whose address really changes) is tests/media/test_network.py."""

import time

import pytest
from playwright.sync_api import expect

from tests.browser import pages

NEW_CONNECTION_DECODING = """async (pid) => {
    const media = window.peerMeeting.media;
    if (!media.pc || media.pc === window.oldPc) return false;
    const stats = await media.inboundStats();
    return (stats[pid]?.video?.framesDecoded ?? 0) > 10;
}"""


@pytest.mark.timeout(180)
def test_back_online_the_page_gets_media_again_on_a_new_connection_without_a_rejoin(
    embedded_server, browser
):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url)
    heron = pages.admitted_peer(browser, base_url, demo, fac, "Calm Heron")
    try:
        ids = {"fac": pages.participant_id(fac), "heron": pages.participant_id(heron)}
        pages.wait_receiving_video(fac, ids["heron"])
        pages.wait_receiving_video(heron, ids["fac"])
        for page in (fac, heron):
            page.evaluate("() => { window.oldPc = window.peerMeeting.media.pc; }")
        heron.evaluate("() => { window.reloaded = false; }")  # gone if the page reloads
        camera = heron.evaluate("() => window.peerMeeting.local.videoTrack.id")

        heron.context.set_offline(True)
        time.sleep(1)
        back = time.monotonic()
        heron.context.set_offline(False)  # the browser fires `online`

        pages.poll(heron, NEW_CONNECTION_DECODING, ids["fac"], 15_000, "heron sees fac again")
        pages.wait_receiving_video(fac, ids["heron"], timeout_ms=15_000)
        took = time.monotonic() - back
        print(f"media on a new connection {took:.1f} s after the page was back online")
        assert heron.evaluate("() => window.reloaded") is False
        assert pages.participant_id(heron) == ids["heron"]  # the same person on the server
        # the same camera track goes on being sent: nothing was asked of the person
        assert heron.evaluate("() => window.peerMeeting.local.videoTrack.id") == camera
        assert heron.evaluate("() => window.peerMeeting.local.videoTrack.readyState") == "live"
        # the facilitator's list still has the two of them, heron once
        expect(fac.locator("#people-count")).to_have_text("2")
        expect(fac.locator("#participants > li", has_text="Calm Heron")).to_have_count(1)
    finally:
        for page in (fac, heron):
            page.context.close()
