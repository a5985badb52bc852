"""The new room, by keyboard alone and under axe: a peer joins, chats, raises a hand, answers a
check-in from the card that waits for them, and leaves without touching a mouse; axe finds no
violations of any impact on the room's drawers, menus, the check-in card and the phone layout."""

import json

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser import pages


def _violations(page: Page, view: str, artifacts) -> list[dict]:
    found = Axe().run(page).response["violations"]
    summary = [
        {"id": v["id"], "impact": v["impact"], "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in found
    ]
    (artifacts / f"axe-room-{view}.json").write_text(json.dumps(summary, indent=2))
    page.screenshot(path=str(artifacts / f"axe-room-{view}.png"))
    return summary


LOWEST_CONTRAST_WHILE_TOGGLING = """async (selector) => {
    const button = document.querySelector(selector);
    const label = button.querySelector('.ctl-label');
    const luminance = (css) => {
        const [r, g, b] = css.match(/[\\d.]+/g).slice(0, 3).map((v) => {
            const c = v / 255;
            return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const contrast = () => {
        const [a, b] = [getComputedStyle(label).color, getComputedStyle(button).backgroundColor]
            .map(luminance).sort((x, y) => y - x);
        return (a + 0.05) / (b + 0.05);
    };
    let lowest = Infinity;
    for (let press = 0; press < 2; press++) {
        button.click();
        const start = performance.now();
        while (performance.now() - start < 400) {
            lowest = Math.min(lowest, contrast());
            await new Promise(requestAnimationFrame);
        }
    }
    return lowest;
}"""


def _tab_to(page: Page, predicate: str, what: str, key: str = "Tab") -> None:
    for _ in range(80):
        page.keyboard.press(key)
        if page.evaluate(
            f"() => {{ const e = document.activeElement; return Boolean({predicate}); }}"
        ):
            return
    raise AssertionError(f"{what} never got the keyboard focus")


@pytest.mark.timeout(240)
def test_a_peer_uses_the_room_by_keyboard_and_axe_finds_nothing(
    embedded_server, browser, artifacts
):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url, media="text_only")

    peer = browser.new_context(viewport=pages.VIEWPORT).new_page()
    peer.goto(f"{base_url}/join/{demo.peer_invite}/")
    expect(peer.get_by_role("button", name="Join")).to_be_enabled()
    peer.get_by_label("Display name").fill("Keyboard Kestrel")
    peer.get_by_label("Display name").press("Enter")
    expect(peer.locator("#lobby-screen")).to_be_visible()
    expect(fac.locator("#notices")).to_contain_text("Keyboard Kestrel is waiting in the lobby")
    expect(fac).to_have_title("(1 waiting) Demo: Tuesday evening peer circle · Peer meetings")
    fac.get_by_role("button", name="Admit Keyboard Kestrel").click()
    expect(peer.locator("#room")).to_be_visible()
    expect(fac.locator("#notices")).not_to_contain_text("waiting in the lobby")  # dealt with

    # Entering leaves the keyboard at the top of the room, not in the chat box.
    expect(peer.locator("#meeting-title")).to_be_focused()

    # Chat: Tab reaches the message box, Enter sends.
    _tab_to(peer, "e.id === 'chat-text'", "the chat box")
    peer.keyboard.type("Hello, typed without a mouse")
    peer.keyboard.press("Enter")
    expect(fac.locator("#chat-log")).to_contain_text("Hello, typed without a mouse")

    # Hand: Tab on to the bar, Space raises it.
    _tab_to(peer, "e.id === 'hand-button'", "the hand button")
    peer.keyboard.press("Space")
    expect(fac.locator("#hands")).to_contain_text("Keyboard Kestrel")

    # Check-in: it waits in a card (the keyboard stays where it was) until opened.
    pages.open_drawer(fac, "checkins")
    fac.get_by_label("Question").fill("How are you arriving today?")
    fac.get_by_label("Kind").select_option("scale")
    fac.get_by_role("button", name="Post check-in").click()
    expect(peer.locator("#checkin-card")).to_be_visible()
    expect(peer.locator("#hand-button")).to_be_focused()
    assert _violations(peer, "checkin-card", artifacts) == []
    _tab_to(
        peer,
        "e.getAttribute('aria-label')?.startsWith('Answer check-in')",
        "the card's Answer button",
        "Shift+Tab",
    )
    peer.keyboard.press("Enter")
    expect(peer.get_by_role("radio", name="1 · Struggling")).to_be_focused()
    peer.keyboard.press("ArrowDown")
    peer.keyboard.press("Enter")
    expect(peer.get_by_role("dialog")).to_be_hidden()
    expect(peer.locator("#checkin-card")).to_be_hidden()
    expect(fac.locator(".checkin-count")).to_have_text("1 answered")

    # A newer prompt replaces the card's; closing that prompt takes the card away.
    for question in ("Anything you'd like to share?", "One word for today?"):
        fac.get_by_label("Question").fill(question)
        fac.get_by_label("Kind").select_option("text")
        fac.get_by_role("button", name="Post check-in").click()
        expect(peer.locator("#checkin-card")).to_contain_text(question)
    expect(peer.locator("#checkin-card")).not_to_contain_text("Anything you'd like to share?")
    fac.get_by_role("button", name="Close check-in: One word for today?").click()
    expect(peer.locator("#checkin-card")).to_be_hidden()

    # Unread chat: a badge on the chat button while the drawer is closed, gone once it opens.
    peer.get_by_role("button", name="Hide the chat").click()
    pages.open_drawer(fac, "chat")
    fac.get_by_label("Message").fill("Welcome, Kestrel")
    fac.get_by_label("Message").press("Enter")
    expect(peer.locator("#chat-toggle")).to_have_accessible_name("Chat 1 unread")
    peer.locator("#chat-toggle").click()
    expect(peer.locator("#chat-toggle .unread")).to_have_count(0)
    expect(peer.locator("#chat-log")).to_contain_text("Welcome, Kestrel")

    # Dark mode: the drawers turn dark and axe still finds nothing (contrast included).
    peer.emulate_media(color_scheme="dark")
    peer.wait_for_timeout(400)  # colours ease over (160 ms); axe measures the settled ones
    assert _violations(peer, "dark", artifacts) == []
    peer.emulate_media(color_scheme="light")

    # The facilitator's "…" menu on a person, and the people drawer, under axe.
    pages.person_menu(fac, "Keyboard Kestrel")
    expect(fac.get_by_role("button", name="Remove Keyboard Kestrel", exact=True)).to_be_visible()
    assert _violations(fac, "person-menu", artifacts) == []
    fac.keyboard.press("Escape")
    expect(fac.locator("#person-menu")).to_be_hidden()

    # The phone layout with the chat drawer over everything, and the "More" menu.
    peer.set_viewport_size({"width": 390, "height": 844})
    peer.wait_for_timeout(200)
    # A bar button's label stays readable in every frame as it opens and closes its drawer.
    assert peer.evaluate(LOWEST_CONTRAST_WHILE_TOGGLING, "#chat-toggle") >= 4.5
    pages.open_drawer(peer, "chat")
    assert _violations(peer, "phone-chat", artifacts) == []
    peer.get_by_role("button", name="Hide the chat").click()
    pages.open_more_menu(peer)
    assert _violations(peer, "phone-more", artifacts) == []
    peer.keyboard.press("Escape")
    peer.set_viewport_size(pages.VIEWPORT)
    peer.wait_for_timeout(200)

    # Leave: Tab to the bar's Leave, Enter, and confirm in the dialog by keyboard too.
    peer.locator("#meeting-title").focus()
    _tab_to(peer, "e.id === 'leave-button'", "the leave button")
    peer.keyboard.press("Enter")
    expect(peer.get_by_role("dialog", name="Leave the meeting?")).to_be_visible()
    _tab_to(
        peer, "e.closest('dialog') && e.textContent === 'Leave the meeting'", "the confirm button"
    )
    peer.keyboard.press("Enter")
    expect(peer.locator("#end-screen")).to_be_visible()
    expect(fac.locator("#participants")).not_to_contain_text("Keyboard Kestrel")
    peer.context.close()
    fac.context.close()
