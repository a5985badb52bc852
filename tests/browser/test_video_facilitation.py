"""Facilitation reaches the media: a muted peer's audio stops at the relay, and breakout rooms
see only their own video, in real Chromium pages (fake devices)."""

import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser import pages


@pytest.fixture(scope="module")
def meeting(embedded_server, browser):
    demo, base_url = embedded_server
    people, ids = pages.three_people(browser, demo, base_url)
    yield people, ids
    for page in people.values():
        page.context.close()


def _audio_packets(page: Page, pid: str) -> int:
    """packetsReceived of the inbound-rtp audio stream on the receiver whose MID the page
    maps to pid (-1: no receiver carries pid's audio any more)."""
    return page.evaluate(
        """async (pid) => {
            const media = window.peerMeeting.media;
            const mid = Object.keys(media.tracks).find(
                (m) => media.tracks[m].participant_id === pid && media.tracks[m].kind === "audio");
            if (mid === undefined) return -1;
            const report = await media.pc.getStats();
            let packets = -1;
            report.forEach((s) => {
                if (s.type === "inbound-rtp" && s.kind === "audio" && s.mid === mid) packets = s.packetsReceived;
            });
            return packets;
        }""",
        pid,
    )


def _wait_audio_rising(page: Page, pid: str) -> None:
    deadline = time.monotonic() + 20
    while True:
        before = _audio_packets(page, pid)
        time.sleep(0.6)
        if before > 0 and _audio_packets(page, pid) > before:
            return
        assert time.monotonic() < deadline, f"audio of {pid} not rising"


@pytest.mark.timeout(180)
def test_a_facilitator_mute_stops_the_peers_audio_for_everyone_until_they_accept(
    meeting, artifacts
):
    people, ids = meeting
    fac, heron, wren = people["fac"], people["heron"], people["wren"]
    listeners = {"fac": fac, "wren": wren}
    for page in listeners.values():
        _wait_audio_rising(page, ids["heron"])

    pages.person_menu(fac, "Calm Heron")
    fac.get_by_role("button", name="Mute Calm Heron", exact=True).click()
    expect(heron.locator("#notices")).to_contain_text("You were muted by Facilitator Fern")
    expect(heron.locator("#mic-button")).to_have_text("Unmute")
    assert heron.evaluate("() => window.peerMeeting.local.audioTrack.enabled") is False
    expect(
        wren.locator(f'#grid [data-participant-id="{ids["heron"]}"] [data-icon=muted]')
    ).to_be_visible()
    time.sleep(1.5)  # packets already on their way when the mute landed
    counts = {name: _audio_packets(page, ids["heron"]) for name, page in listeners.items()}
    time.sleep(3)
    for name, page in listeners.items():
        assert _audio_packets(page, ids["heron"]) == counts[name], name
    # Heron's video still flows: only the audio was muted.
    pages.wait_receiving_video(wren, ids["heron"])
    wren.screenshot(path=str(artifacts / "video-facilitation-peer-muted.png"))

    pages.person_menu(fac, "Calm Heron")
    fac.get_by_role("button", name="Ask to unmute Calm Heron").click()
    heron.get_by_role("alertdialog").get_by_role("button", name="Turn my microphone on").click()
    expect(heron.locator("#mic-button")).to_have_text("Mute")
    assert heron.evaluate("() => window.peerMeeting.local.audioTrack.enabled") is True
    for page in listeners.values():
        _wait_audio_rising(page, ids["heron"])
    expect(
        wren.locator(f'#grid [data-participant-id="{ids["heron"]}"] [data-icon=muted]')
    ).to_have_count(0)


def _no_video_from(page: Page, pid: str) -> None:
    """pid has no tile here and nothing this page receives carries pid's video."""
    expect(page.locator(f'#grid [data-participant-id="{pid}"]')).to_have_count(0)
    pages.poll(
        page,
        """(pid) => { const r = window.peerMeeting.view.remote.get(pid); return !r || !r.video; }""",
        pid,
        20_000,
        f"no video of {pid}",
    )
    before = pages.inbound(page, pid, "video", "framesDecoded")
    time.sleep(1.5)
    assert pages.inbound(page, pid, "video", "framesDecoded") in (-1, before)


@pytest.mark.timeout(240)
def test_breakouts_see_only_their_own_video_and_everyone_again_after_close_all(meeting, artifacts):
    people, ids = meeting
    fac, heron, wren = people["fac"], people["heron"], people["wren"]
    pages.wait_receiving_video(heron, ids["wren"])
    pages.wait_receiving_video(wren, ids["heron"])

    pages.open_drawer(fac, "breakouts")
    fac.get_by_text("Manage breakout rooms").click()
    fac.get_by_label("Number of rooms").fill("2")
    fac.get_by_role("button", name="Create rooms").click()
    pages.person_menu(fac, "Calm Heron")
    fac.get_by_label("Move Calm Heron to").select_option(label="Room 1")
    pages.person_menu(fac, "Bold Wren")
    fac.get_by_label("Move Bold Wren to").select_option(label="Room 2")
    expect(heron.locator("#my-breakout")).to_have_text("You are in Room 1.")
    expect(wren.locator("#my-breakout")).to_have_text("You are in Room 2.")

    _no_video_from(heron, ids["wren"])
    _no_video_from(wren, ids["heron"])
    _no_video_from(heron, ids["fac"])  # the facilitator stayed in the main room
    _no_video_from(fac, ids["heron"])
    expect(heron.locator("#grid .tile")).to_have_count(1)
    heron.screenshot(path=str(artifacts / "video-facilitation-in-breakout.png"))
    fac.screenshot(path=str(artifacts / "video-facilitation-facilitator-breakouts.png"))

    # A visit: the facilitator joins Room 1 and sees Heron there.
    fac.get_by_role("button", name="Visit Room 1").click()
    pages.wait_receiving_video(fac, ids["heron"])
    pages.wait_receiving_video(heron, ids["fac"])

    fac.get_by_role("button", name="Close all rooms").click()
    for page in (heron, wren, fac):
        expect(page.locator("#grid .tile")).to_have_count(3)
    pages.wait_receiving_video(heron, ids["wren"])
    pages.wait_receiving_video(wren, ids["heron"])
    pages.wait_receiving_video(wren, ids["fac"])
    for me, other in (("heron", "wren"), ("wren", "heron")):
        size = pages.tile_video(people[me], ids[other])
        assert size["width"] > 0 and size["height"] > 0
    heron.screenshot(path=str(artifacts / "video-facilitation-after-close-all.png"))
