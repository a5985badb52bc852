"""Screen sharing in real Chromium pages: a facilitator shares and everyone sees it large on
the stage; a peer shares once allowed, and a facilitator stops it (the relay stops sending
it at once); the browser's own "Stop sharing" stops the share for everyone.

Chromium's fake devices (--use-fake-device-for-media-stream with --use-fake-ui-for-media-
stream, tests/browser/conftest.py) answer getDisplayMedia with a 1280x720 fake screen."""

import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser import pages
from tests.browser.test_accessibility import _scan as axe_blocking

SCREENSHOTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(scope="module")
def meeting(embedded_server, browser):
    demo, base_url = embedded_server
    people, ids = pages.three_people(browser, demo, base_url)
    birch = pages.admitted_peer(browser, base_url, demo, people["fac"], "Still Birch", "text_only")
    people["birch"] = birch
    ids["birch"] = pages.participant_id(birch)
    yield people, ids
    for page in people.values():
        page.context.close()


def screen_tile(page: Page):
    return page.locator("#grid .screen-tile")


def screen_packets(page: Page, pid: str) -> int:
    """packetsReceived on the MID the page was told carries pid's screen (-1: none does)."""
    return pages.inbound(page, pid, "screen", "packetsReceived")


def wait_screen_playing(page: Page, pid: str) -> None:
    pages.poll(
        page,
        """(pid) => {
            const tile = document.querySelector(`#grid .screen-tile[data-screen-of="${pid}"]`);
            const v = tile && tile.querySelector("video");
            if (!v || v.videoWidth < 640) return false;
            window._screenTimes = window._screenTimes || [];
            window._screenTimes.push(v.currentTime);
            const t = window._screenTimes;
            return t.length > 2 && t[t.length - 1] > t[t.length - 3];
        }""",
        pid,
        what=f"{pid}'s screen playing",
    )
    page.evaluate("() => { window._screenTimes = []; }")


def box(page: Page, selector: str) -> dict:
    found = page.locator(selector).bounding_box()
    assert found, selector
    return found


@pytest.mark.timeout(240)
def test_a_facilitators_share_is_large_on_everyones_stage(meeting, artifacts, tmp_path):
    people, ids = meeting
    fac, heron, birch = people["fac"], people["heron"], people["birch"]
    expect(heron.locator("#share-button")).to_be_hidden()  # peers need a facilitator's yes
    expect(birch.locator("#share-button")).to_be_hidden()

    fac.locator("#share-button").click()
    expect(fac.locator("#share-button")).to_have_text("Stop sharing")
    wait_screen_playing(heron, ids["fac"])
    assert heron.evaluate(
        """(pid) => Object.values(window.peerMeeting.media.tracks).some(
            (t) => t.participant_id === pid && t.source === "screen")""",
        ids["fac"],
    )
    # large on the stage, the sharer's own tile beside it
    heron.set_viewport_size(SCREENSHOTS["desktop"])
    time.sleep(0.5)  # the layout's transition
    screen = box(heron, "#grid .screen-tile")
    sharer = box(heron, f'#grid [data-participant-id="{ids["fac"]}"]')
    assert screen["width"] > 2.5 * sharer["width"]
    assert sharer["x"] >= screen["x"] + screen["width"] - 1  # to its right
    expect(
        heron.locator(f'#grid [data-participant-id="{ids["fac"]}"] [data-icon=sharing]')
    ).to_be_visible()
    # a text-only person is told in words, and the stage says who shares
    expect(birch.locator("#notices")).to_contain_text("Facilitator Fern is sharing their screen")
    expect(screen_tile(birch)).to_contain_text("Facilitator Fern is sharing their screen")

    heron.screenshot(path=str(artifacts / "screenshare-desktop-peer-watching.png"))
    assert axe_blocking(heron, "screenshare-watching", artifacts) == []
    fac.set_viewport_size(SCREENSHOTS["desktop"])
    time.sleep(0.5)
    fac.screenshot(path=str(artifacts / "screenshare-desktop-facilitator-sharing.png"))
    heron.set_viewport_size(SCREENSHOTS["phone"])
    time.sleep(0.8)
    screen, sharer = (
        box(heron, "#grid .screen-tile"),
        box(heron, f'#grid [data-participant-id="{ids["fac"]}"]'),
    )
    assert sharer["y"] >= screen["y"] + screen["height"] - 1  # on a phone: below it
    heron.screenshot(path=str(artifacts / "screenshare-phone-peer-watching.png"))
    birch.set_viewport_size(SCREENSHOTS["phone"])
    time.sleep(0.5)
    birch.screenshot(path=str(artifacts / "screenshare-phone-text-only.png"))
    assert axe_blocking(birch, "screenshare-text-only", artifacts) == []
    # a text-only person may watch without a camera or microphone of their own
    birch.get_by_role("button", name="Watch the screen").click()
    wait_screen_playing(birch, ids["fac"])
    assert (
        birch.evaluate(
            "() => window.peerMeeting.view.participants.get(window.peerMeeting.view.you).media"
        )
        == "text_only"
    )
    heron.set_viewport_size(pages.VIEWPORT)
    birch.set_viewport_size(pages.VIEWPORT)
    fac.set_viewport_size(pages.VIEWPORT)

    fac.locator("#share-button").click()  # "Stop sharing"
    expect(screen_tile(heron)).to_have_count(0)
    expect(birch.locator("#notices")).to_contain_text(
        "Facilitator Fern stopped sharing their screen"
    )
    pages.poll(birch, "() => !window.peerMeeting.media.wanted", what="the watcher's media stopped")


@pytest.mark.timeout(240)
def test_a_peer_shares_once_allowed_and_a_facilitator_stops_it_at_the_relay(meeting, artifacts):
    people, ids = meeting
    fac, heron, wren = people["fac"], people["heron"], people["wren"]
    pages.person_menu(fac, "Calm Heron")
    fac.get_by_role("button", name="Let Calm Heron share their screen").click()
    expect(heron.locator("#notices")).to_contain_text("allowed you to share your screen")
    expect(heron.locator("#share-button")).to_be_visible()
    expect(wren.locator("#share-button")).to_be_hidden()  # per person

    heron.locator("#share-button").click()
    wait_screen_playing(wren, ids["heron"])
    wait_screen_playing(fac, ids["heron"])
    assert screen_packets(wren, ids["heron"]) > 0

    fac.set_viewport_size(SCREENSHOTS["desktop"])
    pages.person_menu(fac, "Calm Heron")
    time.sleep(0.5)
    fac.screenshot(path=str(artifacts / "screenshare-desktop-facilitator-stops-a-peer.png"))
    fac.get_by_role("button", name="Stop Calm Heron's screen share").click()
    expect(heron.locator("#notices")).to_contain_text(
        "Facilitator Fern (the facilitator) stopped your screen share"
    )
    expect(heron.locator("#share-button")).to_have_text("Share screen")  # still allowed
    expect(screen_tile(wren)).to_have_count(0)
    # the page stopped capturing, and nothing more of that screen reaches anyone
    assert heron.evaluate("() => window.peerMeeting.media.screenTrack") is None
    fac.set_viewport_size(pages.VIEWPORT)
    # the relay's next offer takes the screen's MID away (no more packets can come on it)
    pages.poll(
        wren,
        """(pid) => !Object.values(window.peerMeeting.media.tracks).some(
            (t) => t.participant_id === pid && t.source === "screen")""",
        ids["heron"],
        timeout_ms=10_000,
        what="the screen's MID gone",
    )


@pytest.mark.timeout(240)
def test_the_browsers_own_stop_sharing_stops_the_share_for_everyone(meeting):
    people, ids = meeting
    fac, wren = people["fac"], people["wren"]
    fac.locator("#share-button").click()
    wait_screen_playing(wren, ids["fac"])
    # what Chromium's "Stop sharing" bar does: the captured track ends
    fac.evaluate(
        """() => {
            const track = window.peerMeeting.view.screenshare.ownTrack;
            track.stop();
            track.dispatchEvent(new Event("ended"));
        }"""
    )
    expect(screen_tile(wren)).to_have_count(0)
    expect(fac.locator("#share-button")).to_have_text("Share screen")


@pytest.mark.timeout(240)
def test_a_sharer_who_reloads_the_page_stops_sharing(meeting):
    people, ids = meeting
    fac, wren = people["fac"], people["wren"]
    fac.locator("#share-button").click()
    wait_screen_playing(wren, ids["fac"])
    fac.reload()
    expect(fac.locator("#room")).to_be_visible(timeout=pages.JOIN_TIMEOUT_MS)
    expect(screen_tile(wren)).to_have_count(0)
    expect(fac.locator("#share-button")).to_have_text("Share screen")
