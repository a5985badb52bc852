"""A facilitator mutes a peer and runs breakout rooms with a timer, in real Chromium pages."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_text_meeting import _chat, _join, _send_chat


def _notice(page: Page):
    return page.locator("#facilitation-notice")


def _admit(fac: Page, name: str) -> None:
    fac.get_by_role("button", name=f"Admit {name}").click()


@pytest.mark.timeout(240)
def test_facilitator_mutes_a_peer_and_runs_breakouts_with_a_timer(
    embedded_server, browser, artifacts
):
    demo, base_url = embedded_server
    fac = browser.new_context().new_page()
    fac.goto(f"{base_url}/accounts/login/?next=/meetings/{demo.meeting_id}/room/")
    fac.get_by_label("Username").fill(demo.username)
    fac.get_by_label("Password").fill(demo.password)
    fac.get_by_role("button", name="Sign in").click()
    _join(fac, "Facilitator Fern", "camera_mic")
    expect(fac.locator("#participants")).to_contain_text("Facilitator Fern (you)")

    heron = browser.new_context().new_page()
    heron.goto(f"{base_url}/join/{demo.peer_invite}/")
    _join(heron, "Calm Heron", "camera_mic")
    _admit(fac, "Calm Heron")
    wren = browser.new_context().new_page()
    wren.goto(f"{base_url}/join/{demo.peer_invite}/")
    _join(wren, "Bold Wren", "text_only")
    _admit(fac, "Bold Wren")
    expect(wren.locator("#participants")).to_contain_text("Calm Heron")
    _send_chat(fac, "Welcome to the main room")
    expect(_chat(wren)).to_contain_text("Welcome to the main room")

    # --- mute, with self-unmute off -----------------------------------------------------------
    fac.get_by_label("Let people unmute themselves").uncheck()
    expect(_notice(heron)).to_contain_text("Only a facilitator's request can unmute")
    fac.get_by_role("button", name="Mute Calm Heron").click()
    expect(_notice(heron)).to_contain_text("You were muted by Facilitator Fern (the facilitator)")
    unmute = heron.get_by_role("button", name="Unmute me")
    expect(unmute).to_be_disabled()
    expect(heron.locator("#my-media")).to_contain_text("They can ask you to turn it back on")
    heron_row = fac.locator("#participants li", has_text="Calm Heron")
    expect(heron_row).to_contain_text("muted by a facilitator")
    expect(wren.locator("#participants li", has_text="Calm Heron")).to_contain_text("muted")
    heron.screenshot(path=str(artifacts / "facilitation-peer-muted.png"), full_page=True)

    fac.get_by_role("button", name="Ask to unmute Calm Heron").click()
    dialog = heron.get_by_role("alertdialog")
    expect(dialog).to_contain_text(
        "Facilitator Fern (the facilitator) asks you to turn your microphone on"
    )
    heron.screenshot(path=str(artifacts / "facilitation-ask-to-unmute.png"), full_page=True)
    dialog.get_by_role("button", name="Turn my microphone on").click()
    expect(_notice(fac)).to_contain_text("Calm Heron turned their microphone on")
    expect(heron.get_by_role("button", name="Mute me")).to_be_enabled()
    expect(heron_row).not_to_contain_text("muted")

    # --- breakouts ------------------------------------------------------------------------------
    fac.get_by_label("Number of rooms").fill("2")
    fac.get_by_role("button", name="Create rooms").click()
    expect(heron.locator("#breakout-list li")).to_have_count(2)
    expect(heron.locator("#my-breakout")).to_have_text("You are in the main room.")
    fac.get_by_role("button", name="Assign automatically").click()
    expect(heron.locator("#my-breakout")).to_have_text("You are in Room 1.")
    expect(wren.locator("#my-breakout")).to_have_text("You are in Room 2.")  # text-only too
    expect(fac.locator("#my-breakout")).to_have_text("You are in the main room.")
    expect(heron.locator("#chat-heading")).to_have_text("Chat in Room 1")
    expect(_chat(heron)).not_to_contain_text("Welcome to the main room")  # chat is per room

    _send_chat(heron, "Only Room 1 reads this")
    expect(_chat(heron)).to_contain_text("Only Room 1 reads this")
    heron.get_by_role("button", name="Ask for help").click()
    expect(_notice(fac)).to_contain_text("Calm Heron in Room 1 asks for help")
    expect(_notice(heron)).to_contain_text("The facilitators have been told")

    fac.get_by_label("Close all rooms after (minutes)").fill("0.5")
    fac.get_by_label("Warn everyone (seconds before)").fill("27")
    fac.get_by_role("button", name="Start timer").click()
    expect(heron.locator("#breakout-time-left")).to_contain_text("Time left: 0:")
    expect(_notice(heron)).to_contain_text("Breakout rooms close in", timeout=10_000)
    expect(_notice(wren)).to_contain_text("Breakout rooms close in")
    heron.screenshot(path=str(artifacts / "facilitation-peer-in-breakout.png"), full_page=True)

    fac.get_by_label("Broadcast to all rooms").fill("Please start wrapping up")
    fac.get_by_role("button", name="Send to all rooms").click()
    expect(_notice(wren)).to_contain_text("Facilitator Fern to all rooms: Please start wrapping up")
    expect(_chat(wren)).not_to_contain_text("Only Room 1 reads this")
    fac.screenshot(path=str(artifacts / "facilitation-facilitator-breakouts.png"), full_page=True)

    fac.get_by_role("button", name="Close all rooms").click()
    for page in (heron, wren):
        expect(_notice(page)).to_contain_text("Welcome back to the main room")
        expect(page.locator("#my-breakout")).to_have_text("No breakout rooms are open.")
        expect(page.locator("#chat-heading")).to_have_text("Chat")
        expect(_chat(page)).to_contain_text("Welcome to the main room")  # history kept
        expect(_chat(page)).not_to_contain_text("Only Room 1 reads this")
    _send_chat(wren, "Good to be back")
    expect(_chat(heron)).to_contain_text("Good to be back")
    heron.screenshot(path=str(artifacts / "facilitation-back-in-main.png"), full_page=True)
