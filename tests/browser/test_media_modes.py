"""Changing how you take part during the meeting: a peer who joined text only turns on
audio, then video, and goes back to text only; the others' pages receive (and stop
receiving) the media, counted with getStats."""

import pytest
from playwright.sync_api import expect

from tests.browser import pages


def _tile(page, pid):
    return page.locator(f'#grid [data-participant-id="{pid}"]')


@pytest.mark.timeout(300)
def test_a_text_only_peer_switches_to_audio_and_video_mid_meeting_and_back(
    embedded_server, browser, artifacts
):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url)
    heron = pages.admitted_peer(browser, base_url, demo, fac, "Calm Heron")
    otter = pages.admitted_peer(browser, base_url, demo, fac, "Quiet Otter", "text_only")
    try:
        otter_id = pages.participant_id(otter)
        heron_id = pages.participant_id(heron)
        assert otter.evaluate("() => window.peerMeeting.media.wanted") is None
        expect(_tile(heron, otter_id).locator("[data-icon=text-only]")).to_be_visible()

        # a stray "m" (the mute shortcut) never switches on the microphone of a text-only peer
        otter.locator("#hand-button").focus()
        otter.keyboard.press("m")
        otter.wait_for_timeout(1000)
        assert otter.evaluate("() => window.peerMeeting.local.stream.getTracks().length") == 0
        expect(_tile(heron, otter_id).locator("[data-icon=text-only]")).to_be_visible()

        # text only -> audio, from the microphone button: the server says yes, the page
        # opens the microphone only, and the others hear it
        otter.get_by_role("button", name="Unmute").click()
        expect(_tile(heron, otter_id).locator("[data-icon=text-only]")).to_have_count(0)
        expect(otter.get_by_label("Mode")).to_have_value("audio")
        pages.wait_inbound_rising(heron, otter_id, "audio", "packetsReceived")
        pages.wait_inbound_rising(fac, otter_id, "audio", "packetsReceived")
        assert otter.evaluate("() => window.peerMeeting.local.videoTrack") is None
        expect(_tile(heron, otter_id).locator("[data-icon=camera-off]")).to_be_visible()
        expect(otter.get_by_role("button", name="Mute")).to_be_enabled()

        # audio -> video: the camera opens and the others decode its frames
        pages.open_more_menu(otter)
        otter.get_by_label("Mode").select_option("video")
        pages.wait_receiving_video(heron, otter_id)
        pages.wait_receiving_video(fac, otter_id)
        pages.wait_receiving_video(otter, heron_id)  # and Otter now sees the others
        otter.screenshot(path=str(artifacts / "media-modes-otter-on-video.png"))
        heron.screenshot(path=str(artifacts / "media-modes-heron-sees-otter.png"))

        # video -> text only: devices stop at once, nothing of Otter reaches the others
        pages.open_more_menu(otter)
        otter.get_by_label("Mode").select_option("text")
        expect(otter.locator("#self-connection")).to_have_text("Connected (text only)")
        assert otter.evaluate("() => window.peerMeeting.local.stream.getTracks().length") == 0
        expect(_tile(heron, otter_id).locator("[data-icon=text-only]")).to_be_visible()
        pages.poll(
            heron,
            "(pid) => !window.peerMeeting.view.remote.get(pid)",
            otter_id,
            15_000,
            "Otter's media gone from Heron's page",
        )
        assert pages.inbound(heron, otter_id, "video", "framesDecoded") == -1
        # Heron's own video still flows to the facilitator
        pages.wait_receiving_video(fac, heron_id)

        # text only -> video in one step, and back
        otter.get_by_label("Mode").select_option("video")
        pages.wait_receiving_video(heron, otter_id)
        otter.get_by_label("Mode").select_option("text")
        expect(_tile(fac, otter_id).locator("[data-icon=text-only]")).to_be_visible()
        assert otter.evaluate("() => window.peerMeeting.media.wanted") is None
    finally:
        for page in (otter, heron, fac):
            page.context.close()


@pytest.mark.timeout(240)
def test_a_peer_muted_by_a_facilitator_stays_muted_after_switching_to_audio(
    embedded_server, browser
):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url)
    otter = pages.admitted_peer(browser, base_url, demo, fac, "Still Otter", "text_only")
    try:
        otter_id = pages.participant_id(otter)
        fac.evaluate(
            """(pid) => { const send = window.peerMeeting.connection;
                          send.send("room.configure", {allow_self_unmute: false});
                          send.send("mute", {kind: "audio", participant_id: pid}); }""",
            otter_id,
        )
        pages.open_more_menu(otter)
        otter.get_by_label("Mode").select_option("audio")
        otter.wait_for_function("() => window.peerMeeting.local.audioTrack !== null")
        expect(otter.locator("#self-media-hint")).to_contain_text(
            "A facilitator turned your microphone off"
        )
        # the microphone is open but silent, as the server says
        otter.wait_for_function("() => window.peerMeeting.local.audioTrack.enabled === false")
        expect(_tile(fac, otter_id).locator("[data-icon=muted]")).to_be_visible()
    finally:
        for page in (otter, fac):
            page.context.close()
