"""Driving the meeting page: sign in, join, admit, read what a tile shows and receives."""

from __future__ import annotations

import time

from playwright.sync_api import Browser, Page, expect

# Chromium's fake camera and microphone; permissions are granted by --use-fake-ui-for-media-stream.
VIEWPORT = {"width": 1100, "height": 760}
# A first join on a busy 2-core machine (cold server, camera start-up) can take a while.
JOIN_TIMEOUT_MS = 20_000


def join(page: Page, name: str, media: str = "camera_mic") -> None:
    page.get_by_label("Display name").fill(name)
    page.locator(f"input[name=media][value={media}]").check()
    page.get_by_role("button", name="Join").click()


def facilitator_page(
    browser: Browser, demo, base_url: str, name: str = "Facilitator Fern", media: str = "camera_mic"
) -> Page:
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.goto(f"{base_url}/accounts/login/?next=/meetings/{demo.meeting_id}/room/")
    page.get_by_label("Username").fill(demo.username)
    page.get_by_label("Password").fill(demo.password)
    page.get_by_role("button", name="Sign in").click()
    join(page, name, media)
    expect(page.locator("#room")).to_be_visible(timeout=JOIN_TIMEOUT_MS)
    return page


def admitted_peer(
    browser: Browser, base_url: str, demo, facilitator: Page, name: str, media: str = "camera_mic"
) -> Page:
    page = browser.new_context(viewport=VIEWPORT).new_page()
    page.goto(f"{base_url}/join/{demo.peer_invite}/")
    join(page, name, media)
    expect(page.locator("#lobby-screen")).to_be_visible()
    facilitator.get_by_role("button", name=f"Admit {name}").click()
    expect(page.locator("#room")).to_be_visible(timeout=JOIN_TIMEOUT_MS)
    return page


def three_people(browser: Browser, demo, base_url: str) -> tuple[dict, dict]:
    """A facilitator and two admitted peers with cameras: pages and participant ids by key."""
    fac = facilitator_page(browser, demo, base_url)
    heron = admitted_peer(browser, base_url, demo, fac, "Calm Heron")
    wren = admitted_peer(browser, base_url, demo, fac, "Bold Wren")
    people = {"fac": fac, "heron": heron, "wren": wren}
    return people, {key: participant_id(page) for key, page in people.items()}


def participant_id(page: Page) -> str:
    page.wait_for_function("() => window.peerMeeting && window.peerMeeting.view.you")
    return page.evaluate("() => window.peerMeeting.view.you")


def tile_video(page: Page, pid: str) -> dict:
    return page.evaluate(
        """(pid) => {
            const v = document.querySelector(`#grid [data-participant-id="${pid}"] video`);
            return v ? {width: v.videoWidth, height: v.videoHeight, time: v.currentTime} : null;
        }""",
        pid,
    )


def inbound(page: Page, pid: str, kind: str, field: str) -> int:
    """A counter of the inbound RTP stream carrying pid's audio or video to this page."""
    return page.evaluate(
        """async ([pid, kind, field]) => {
            const stats = await window.peerMeeting.media.inboundStats();
            return stats[pid]?.[kind]?.[field] ?? -1;
        }""",
        [pid, kind, field],
    )


def poll(page: Page, script: str, arg=None, timeout_ms: int = 30_000, what: str = "") -> None:
    """Evaluate an (async) script until it returns true. Playwright's wait_for_function
    does not await a promise: an async predicate would count as true at once."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        if page.evaluate(script, arg):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_ms} ms: {what or script[:80]}")
        time.sleep(0.25)


def wait_receiving_video(page: Page, pid: str, timeout_ms: int = 30_000) -> None:
    """pid's video plays on this page: a real size, time moving on, frames being decoded."""
    poll(
        page,
        """async (pid) => {
            const v = document.querySelector(`#grid [data-participant-id="${pid}"] video`);
            if (!v || v.videoWidth === 0) return false;
            const t0 = v.currentTime;
            const stats = await window.peerMeeting.media.inboundStats();
            const f0 = stats[pid]?.video?.framesDecoded ?? 0;
            await new Promise((r) => setTimeout(r, 700));
            const after = await window.peerMeeting.media.inboundStats();
            const f1 = after[pid]?.video?.framesDecoded ?? 0;
            return v.videoWidth > 0 && v.currentTime > t0 && f0 > 0 && f1 > f0;
        }""",
        pid,
        timeout_ms,
        f"video of {pid}",
    )


def wait_inbound_rising(
    page: Page, pid: str, kind: str, field: str, timeout_ms: int = 20_000
) -> None:
    """A counter of pid's inbound audio or video on this page goes up."""
    poll(
        page,
        """async ([pid, kind, field]) => {
            const read = async () =>
                (await window.peerMeeting.media.inboundStats())[pid]?.[kind]?.[field] ?? 0;
            const before = await read();
            await new Promise((r) => setTimeout(r, 500));
            return before > 0 && (await read()) > before;
        }""",
        [pid, kind, field],
        timeout_ms,
        f"{kind} {field} of {pid}",
    )


DRAWER_TOGGLES = {
    "chat": "#chat-toggle",
    "people": "#people-toggle",
    "facilitator": "#facilitator-toggle",
}
MENU_DRAWERS = {"breakouts": "#breakouts-toggle", "checkins": "#checkins-toggle"}


def open_drawer(page: Page, name: str) -> None:
    """Opens the room's chat, people, facilitator, breakouts or checkins drawer (if closed)."""
    drawer = page.locator(f"#{name}-panel")
    if drawer.is_visible():
        return
    if name in MENU_DRAWERS:
        page.locator("#more-button").click()
        page.locator(MENU_DRAWERS[name]).click()
    else:
        page.locator(DRAWER_TOGGLES[name]).click()
    expect(drawer).to_be_visible()


def open_more_menu(page: Page) -> None:
    if not page.locator("#more-menu").is_visible():
        page.locator("#more-button").click()
    expect(page.locator("#more-menu")).to_be_visible()


def person_menu(page: Page, name: str) -> None:
    """Opens the "…" menu on name's row in the people drawer (the drawer opens if need be)."""
    open_drawer(page, "people")
    button = page.locator("#participants").get_by_role("button", name=f"Actions for {name}")
    if button.get_attribute("aria-expanded") != "true":
        button.click()
    expect(page.locator("#person-menu")).to_be_visible()
