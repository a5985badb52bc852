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

    peer.get_by_role("button", name="Keyboard shortcuts").click()
    expect(peer.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    assert _scan(peer, "shortcuts-dialog", artifacts) == []
    peer.keyboard.press("Escape")
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
    page.get_by_label("Display name").fill("Keyboard Kestrel")
    page.get_by_label("Display name").press("Enter")  # submits the join form
    expect(page.locator("#room")).to_be_visible()
    expect(page.locator("#chat-text")).to_be_focused()

    # Tab from the chat box around the page reaches every control in the toolbar.
    wanted = {
        "mic-button", "camera-button", "hand-button", "mode-select", "chat-toggle",
        "people-toggle", "facilitator-toggle", "shortcuts-button", "leave-button",
    }  # fmt: skip
    reached = set()
    for _ in range(60):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("() => document.activeElement.id"))
        if wanted <= reached:
            break
    assert wanted <= reached, wanted - reached

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
