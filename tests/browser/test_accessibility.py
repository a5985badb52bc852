"""axe-core finds no serious or critical problems on the pre-join, room and facilitator views,
and the room can be used from the keyboard alone."""

import json

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser import pages

BLOCKING = {"serious", "critical"}


def _scan(page: Page, view: str, artifacts) -> list[dict]:
    results = Axe().run(page)
    violations = results.response["violations"]
    summary = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [n["target"] for n in v["nodes"]][:5],
        }
        for v in violations
    ]
    (artifacts / f"axe-{view}.json").write_text(json.dumps(summary, indent=2))
    page.screenshot(path=str(artifacts / f"axe-{view}.png"))
    return [v for v in summary if v["impact"] in BLOCKING]


@pytest.mark.timeout(180)
def test_no_serious_or_critical_axe_violations(embedded_server, browser, artifacts):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url)

    peer = browser.new_context(viewport=pages.VIEWPORT).new_page()
    peer.goto(f"{base_url}/join/{demo.peer_invite}/")
    expect(peer.locator("#preview-off")).to_be_hidden()  # the camera preview is running
    assert _scan(peer, "pre-join", artifacts) == []

    pages.join(peer, "Calm Heron")
    expect(peer.locator("#lobby-screen")).to_be_visible()
    assert _scan(peer, "lobby", artifacts) == []

    # The facilitator's view with someone waiting in the lobby and the panel open.
    expect(fac.get_by_role("button", name="Admit Calm Heron")).to_be_visible()
    assert _scan(fac, "facilitator", artifacts) == []

    fac.get_by_role("button", name="Admit Calm Heron").click()
    expect(peer.locator("#room")).to_be_visible()
    peer_id = pages.participant_id(peer)
    pages.wait_receiving_video(fac, peer_id)
    peer.get_by_label("Message").fill("Hello, everyone")
    peer.get_by_label("Message").press("Enter")
    expect(fac.locator("#chat-log")).to_contain_text("Hello, everyone")
    assert _scan(peer, "room", artifacts) == []

    pages.open_more_menu(peer)
    assert _scan(peer, "more-menu", artifacts) == []
    peer.get_by_role("button", name="Keyboard shortcuts").click()
    expect(peer.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    assert _scan(peer, "shortcuts-dialog", artifacts) == []
    peer.keyboard.press("Escape")

    # Facilitation: the room controls and per-person actions, a muted peer and the question
    # to turn the microphone back on.
    pages.open_drawer(fac, "facilitator")
    expect(fac.locator("#room-controls")).to_be_visible()
    pages.person_menu(fac, "Calm Heron")
    fac.get_by_role("button", name="Mute Calm Heron", exact=True).click()
    pages.person_menu(fac, "Calm Heron")
    expect(fac.get_by_role("button", name="Ask to unmute Calm Heron")).to_be_visible()
    assert _scan(fac, "facilitator-tools", artifacts) == []
    fac.get_by_role("button", name="Ask to unmute Calm Heron").click()
    expect(peer.get_by_role("alertdialog")).to_be_visible()
    assert _scan(peer, "unmute-dialog", artifacts) == []
    peer.get_by_role("button", name="Keep it off").click()

    # Breakout rooms: the facilitator's tools open, and the peer inside a room with a timer.
    pages.open_drawer(fac, "breakouts")
    fac.get_by_text("Manage breakout rooms").click()
    fac.get_by_label("Number of rooms").fill("2")
    fac.get_by_role("button", name="Create rooms").click()
    fac.get_by_role("button", name="Assign automatically").click()
    fac.get_by_role("button", name="Start timer").click()
    expect(peer.locator("#my-breakout")).to_have_text("You are in Room 1.")
    expect(peer.locator("#breakout-time-left")).to_contain_text("Time left")
    assert _scan(fac, "facilitator-breakouts", artifacts) == []
    pages.open_drawer(peer, "breakouts")
    assert _scan(peer, "peer-breakouts", artifacts) == []
    peer.context.close()
    fac.context.close()


@pytest.mark.timeout(120)
def test_the_room_works_from_the_keyboard(embedded_server, browser):
    demo, base_url = embedded_server
    page = browser.new_context(viewport=pages.VIEWPORT).new_page()
    page.goto(f"{base_url}/accounts/login/?next=/meetings/{demo.meeting_id}/room/")
    page.get_by_label("Username").fill(demo.username)
    page.get_by_label("Password").fill(demo.password)
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("button", name="Join")).to_be_enabled()  # the page's script is ready
    page.get_by_label("Display name").fill("Keyboard Kestrel")
    page.get_by_label("Display name").press("Enter")  # submits the join form
    expect(page.locator("#room")).to_be_visible()
    # Entering does not put the keyboard in the chat box (a phone would open its keyboard):
    # focus is on the meeting's title, at the top of the room.
    expect(page.locator("#meeting-title")).to_be_focused()

    # Tab from there reaches every control in the bar, and the "More" menu's controls once
    # it is open.
    def tab_until(wanted: set[str]) -> None:
        reached = set()
        for _ in range(60):
            page.keyboard.press("Tab")
            reached.add(page.evaluate("() => document.activeElement.id"))
            if wanted <= reached:
                return
        raise AssertionError(wanted - reached)

    tab_until({
        "mic-button", "camera-button", "hand-button", "chat-toggle", "people-toggle",
        "facilitator-toggle", "more-button", "leave-button",
    })  # fmt: skip
    page.locator("#more-button").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#more-menu")).to_be_visible()
    tab_until({"mode-select", "shortcuts-button", "checkins-toggle", "breakouts-toggle"})
    page.keyboard.press("Escape")
    expect(page.locator("#more-menu")).to_be_hidden()

    # Focus is visible: the focused control has an outline.
    page.locator("#hand-button").focus()
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")

    # Shortcuts (not while typing): h raises the hand, ? opens the list, Esc closes it.
    page.keyboard.press("h")
    expect(page.locator("#hands")).to_contain_text("Keyboard Kestrel")
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()
    expect(page.locator("#hand-button")).to_be_focused()  # focus goes back where it was
    page.locator("#chat-text").focus()
    page.keyboard.type("hm")  # typing in the chat box is not a shortcut
    expect(page.locator("#chat-text")).to_have_value("hm")
    expect(page.get_by_role("button", name="Lower hand")).to_be_visible()
    page.context.close()
