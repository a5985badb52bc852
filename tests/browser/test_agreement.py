"""The group agreement, the welcome and muted on entry in real Chromium pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import pages

SHOTS = Path("/work/wt/shots/agreement")
SIZES = {"wide": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def _shoot(page: Page, name: str) -> None:
    """The page at both sizes, then back to the size it had."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    before = page.viewport_size
    for viewport in SIZES.values():
        page.set_viewport_size(viewport)
        page.wait_for_timeout(300)
        size = f"{viewport['width']}x{viewport['height']}"
        page.screenshot(path=str(SHOTS / f"{name}-{size}.png"))
        page.screenshot(path=str(SHOTS / f"{name}-{size}-full.png"), full_page=True)
    if before:
        page.set_viewport_size(before)


def _my_audio(page: Page) -> str:
    return page.evaluate(
        "() => window.peerMeeting.view.participants.get(window.peerMeeting.view.you)?.audio"
    )


@pytest.mark.timeout(180)
def test_pre_join_shows_the_agreement_and_the_server_wants_it_accepted(embedded_server, browser):
    demo, base_url = embedded_server
    peer = browser.new_context(viewport=pages.VIEWPORT).new_page()
    peer.goto(f"{base_url}/join/{demo.peer_invite}/")
    expect(peer.locator("#agreement-text")).to_contain_text("What is shared here stays here")
    expect(peer.locator("#join .welcome")).to_contain_text("Nobody can see or hear you yet")
    expect(peer.locator("#join .welcome")).to_contain_text("Run by facilitator")
    _shoot(peer, "prejoin")
    peer.locator("#join .welcome").get_by_role("button", name="See the crisis lines").click()
    expect(peer.locator("#crisis-dialog")).to_be_visible()
    peer.locator("#crisis-dialog").get_by_role("button", name="Close", exact=True).click()
    accept = peer.get_by_role("button", name="I agree, join")
    expect(accept).to_be_enabled()

    # A join that skips the agreement (not the page's own button) is refused by the server.
    refused = peer.evaluate(
        """async () => {
            const app = document.getElementById("app");
            const response = await fetch("/api/join/", {
                method: "POST",
                headers: { "Content-Type": "application/json", "X-CSRFToken": app.dataset.csrf },
                body: JSON.stringify({ invite: app.dataset.invite, display_name: "Skipper", media: "text_only" }),
            });
            return [response.status, (await response.json()).error.code];
        }"""
    )
    assert refused == [400, "agreement_required"]

    pages.join(peer, "Calm Heron", "camera_mic")  # one click: "I agree, join"
    expect(peer.locator("#lobby-screen")).to_be_visible()
    expect(peer.locator("#lobby-screen .welcome")).to_contain_text("Nobody can see or hear you")
    _shoot(peer, "lobby")
    peer.get_by_role("button", name="Leave the lobby").click()
    expect(peer.locator("#end-screen")).to_be_visible()
    expect(peer.locator("#support-resources .crisis-resources")).to_be_visible()
    _shoot(peer, "goodbye")
    peer.context.close()


@pytest.mark.timeout(240)
def test_show_again_reaches_a_peer_and_a_text_only_peer_who_joined_muted(embedded_server, browser):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url)
    pages.open_drawer(fac, "facilitator")
    muted_on_entry = fac.get_by_label("Peers join muted")
    expect(muted_on_entry).not_to_be_checked()  # the test server's demo starts with it off
    muted_on_entry.check()
    expect(fac.locator("#notices")).to_contain_text("Peers now join muted")

    wren = pages.admitted_peer(browser, base_url, demo, fac, "Bold Wren")
    pages.poll(wren, "() => window.peerMeeting.view.participants.size > 0", what="room state")
    assert _my_audio(wren) == "off_by_self"  # the server's state, not the page's
    expect(wren.locator("#mic-button")).to_contain_text("Unmute")
    reader = pages.admitted_peer(browser, base_url, demo, fac, "Quiet Reader", media="text_only")

    pages.open_drawer(fac, "facilitator")
    fac.get_by_role("button", name="Show the agreement to everyone").click()
    for page in (wren, reader):
        card = page.locator("#agreement-shown")
        expect(card).to_be_visible()
        expect(card).to_contain_text("What is shared here stays here")
        expect(card).to_contain_text("Facilitator Fern")
    pages.open_drawer(reader, "chat")
    expect(reader.locator("#chat-log .agreement-line")).to_contain_text(
        "Facilitator Fern shared the group agreement: What is shared here stays here"
    )
    _shoot(wren, "agreement-shown")
    _shoot(reader, "agreement-shown-text-only")
    wren.get_by_role("button", name="Thanks, close").click()
    expect(wren.locator("#agreement-shown")).to_be_hidden()

    # The peer lifts their own mute on entry.
    wren.locator("#mic-button").click()
    pages.poll(
        wren,
        "() => window.peerMeeting.view.participants.get(window.peerMeeting.view.you)?.audio === 'on'",
        what="unmuted",
    )
    for page in (fac, wren, reader):
        page.context.close()
