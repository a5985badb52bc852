"""A facilitator and two peers hold a text meeting in real Chromium pages."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser import pages


def _send_chat(page: Page, text: str, audience: str = "room") -> None:
    page.get_by_label("Send to").select_option(audience)
    page.get_by_label("Message").fill(text)
    page.get_by_label("Message").press("Enter")


def _chat(page: Page):
    return page.locator("#chat-log")


@pytest.mark.timeout(180)
def test_lobby_chat_private_message_and_hand_queue(embedded_server, browser, artifacts):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url, media="camera_mic")
    expect(fac.locator("#participants")).to_contain_text("Facilitator Fern (you)")

    heron = browser.new_context().new_page()
    heron.goto(f"{base_url}/join/{demo.peer_invite}/")
    expect(heron.get_by_label("Display name")).not_to_have_value("")  # a pseudonym is suggested
    pages.join(heron, "Calm Heron", "text_only")
    expect(heron.locator("#status")).to_contain_text("lobby")
    expect(heron.locator("#room")).to_be_hidden()

    fac.get_by_role("button", name="Admit Calm Heron").click()
    expect(heron.locator("#room")).to_be_visible()
    expect(heron.locator("#participants")).to_contain_text("Facilitator Fern")
    expect(fac.locator("#participants li", has_text="Calm Heron")).to_contain_text("text only")

    wren = browser.new_context().new_page()
    wren.goto(f"{base_url}/join/{demo.peer_invite}/")
    pages.join(wren, "Bold Wren", "camera_mic")
    fac.get_by_role("button", name="Admit Bold Wren").click()
    expect(wren.locator("#participants")).to_contain_text("Calm Heron")

    # Chat both ways.
    _send_chat(heron, "Hello from Heron")
    expect(_chat(fac)).to_contain_text("Hello from Heron")
    expect(_chat(wren)).to_contain_text("Hello from Heron")
    _send_chat(fac, "Welcome, everyone")
    expect(_chat(heron)).to_contain_text("Welcome, everyone")

    # Private to facilitators: the facilitator sees it, the other peer never does.
    _send_chat(wren, "Could we talk after?", audience="facilitators")
    expect(_chat(fac).locator("li.private")).to_contain_text("Could we talk after?")
    expect(_chat(wren)).to_contain_text("Could we talk after?")
    _send_chat(fac, "marker after the private message")
    expect(_chat(heron)).to_contain_text("marker after the private message")
    expect(_chat(heron)).not_to_contain_text("Could we talk after?")

    # Hand queue: raise order is kept and the facilitator can lower a hand.
    wren.get_by_role("button", name="Raise hand").click()
    expect(fac.locator("#hands li")).to_have_text(["Bold Wren Lower Bold Wren's hand"])
    heron.get_by_role("button", name="Raise hand").click()
    expect(fac.locator("#hands li .name")).to_have_text(["Bold Wren", "Calm Heron"])
    expect(heron.locator("#hands li .name")).to_have_text(["Bold Wren", "Calm Heron"])
    fac.get_by_role("button", name="Lower Bold Wren's hand").click()
    expect(heron.locator("#hands li .name")).to_have_text(["Calm Heron"])
    expect(wren.get_by_role("button", name="Raise hand")).to_be_visible()

    fac.screenshot(path=str(artifacts / "text-meeting-facilitator.png"), full_page=True)
    heron.screenshot(path=str(artifacts / "text-meeting-peer.png"), full_page=True)

    heron.get_by_role("button", name="Leave meeting").click()
    heron.get_by_role("dialog", name="Leave the meeting?").get_by_role(
        "button", name="Leave the meeting"
    ).click()
    expect(fac.locator("#participants")).not_to_contain_text("Calm Heron")
    expect(heron.locator("#status")).to_contain_text("left the meeting")
