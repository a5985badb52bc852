"""A facilitator mutes a peer, runs breakout rooms with a timer, removes someone and ends the
meeting, in real Chromium pages."""

import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser import pages
from tests.browser.test_text_meeting import _chat, _send_chat


def _notices(page: Page):
    return page.locator("#notices")


def _mic_enabled(page: Page) -> bool:
    return page.evaluate("() => window.peerMeeting.local.audioTrack.enabled")


@pytest.mark.timeout(300)
def test_facilitator_mutes_a_peer_and_runs_breakouts_with_a_timer(
    embedded_server, browser, artifacts
):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url)
    heron = pages.admitted_peer(browser, base_url, demo, fac, "Calm Heron")
    wren = pages.admitted_peer(browser, base_url, demo, fac, "Bold Wren", "text_only")
    heron_id = pages.participant_id(heron)
    expect(wren.locator("#participants")).to_contain_text("Calm Heron")
    _send_chat(fac, "Welcome to the main room")
    expect(_chat(wren)).to_contain_text("Welcome to the main room")

    # --- mute, with self-unmute off ---------------------------------------------------------
    pages.open_drawer(fac, "facilitator")
    fac.get_by_label("Let people unmute themselves").uncheck()
    expect(_notices(heron)).to_contain_text("Only a facilitator's request can unmute")
    pages.person_menu(fac, "Calm Heron")
    fac.get_by_role("button", name="Mute Calm Heron", exact=True).click()
    expect(_notices(heron)).to_contain_text(
        "You were muted by Facilitator Fern (the facilitator). They can ask you"
    )
    mic = heron.locator("#mic-button")
    expect(mic).to_have_text("Unmute")
    expect(mic).to_have_attribute("aria-disabled", "true")
    expect(heron.locator("#self-media-hint")).to_contain_text(
        "A facilitator turned your microphone off. They can ask you to turn it back on."
    )
    assert _mic_enabled(heron) is False
    # Trying anyway (it is marked unavailable but still reachable from the keyboard): the
    # server refuses and the page says why; the microphone stays off.
    mic.focus()
    heron.keyboard.press("Enter")
    expect(_notices(heron)).to_contain_text("only they can turn it back on right now")
    expect(mic).to_have_text("Unmute")
    assert _mic_enabled(heron) is False
    heron_row = fac.locator("#participants li", has_text="Calm Heron")
    expect(heron_row).to_contain_text("muted by a facilitator")
    expect(wren.locator("#participants li", has_text="Calm Heron")).to_contain_text("muted")
    expect(
        wren.locator(f'#grid [data-participant-id="{heron_id}"] [data-icon=muted]')
    ).to_have_text("Muted by a facilitator")
    heron.screenshot(path=str(artifacts / "facilitation-peer-muted.png"), full_page=True)

    pages.person_menu(fac, "Calm Heron")
    fac.get_by_role("button", name="Ask to unmute Calm Heron").click()
    dialog = heron.get_by_role("alertdialog")
    expect(dialog).to_contain_text(
        "Facilitator Fern (the facilitator) asks you to turn your microphone on"
    )
    heron.screenshot(path=str(artifacts / "facilitation-ask-to-unmute.png"), full_page=True)
    dialog.get_by_role("button", name="Turn my microphone on").click()
    expect(_notices(fac)).to_contain_text("Calm Heron turned their microphone on")
    expect(mic).to_have_text("Mute")
    expect(heron.locator("#self-media-hint")).to_be_hidden()
    assert _mic_enabled(heron) is True
    expect(heron_row).not_to_contain_text("muted")
    expect(
        wren.locator(f'#grid [data-participant-id="{heron_id}"] [data-icon=muted]')
    ).to_have_count(0)

    # --- breakouts ------------------------------------------------------------------------------
    pages.open_drawer(fac, "breakouts")
    fac.get_by_text("Manage breakout rooms").click()
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
    expect(heron.locator("#grid .tile")).to_have_count(1)  # only Room 1: Heron alone
    expect(fac.locator("#participants li", has_text="Calm Heron")).to_contain_text("in Room 1")

    _send_chat(heron, "Only Room 1 reads this")
    expect(_chat(heron)).to_contain_text("Only Room 1 reads this")
    pages.open_more_menu(heron)
    heron.get_by_role("button", name="Ask for help", exact=True).click()  # breakout.help
    expect(heron.get_by_role("dialog", name="Ask a facilitator for help")).to_be_hidden()
    expect(_notices(fac)).to_contain_text("Calm Heron in Room 1 asks for help")
    helped_at = time.monotonic()
    expect(fac.locator("#breakout-list li", has_text="Room 1")).to_contain_text("asked for help")
    expect(_notices(heron)).to_contain_text("The facilitators have been told")

    fac.get_by_label("Close all rooms after (minutes)").fill("0.5")
    fac.get_by_label("Warn everyone (seconds before)").fill("27")
    fac.get_by_role("button", name="Start timer").click()
    expect(heron.locator("#breakout-time-left")).to_contain_text("Time left: 0:")
    expect(_notices(heron)).to_contain_text("Breakout rooms close in", timeout=10_000)
    expect(_notices(wren)).to_contain_text("Breakout rooms close in")
    heron.screenshot(path=str(artifacts / "facilitation-peer-in-breakout.png"), full_page=True)

    fac.get_by_label("Broadcast to all rooms").fill("Please start wrapping up")
    fac.get_by_role("button", name="Send to all rooms").click()
    expect(_notices(wren)).to_contain_text(
        "Facilitator Fern to all rooms: Please start wrapping up"
    )
    expect(_chat(wren)).not_to_contain_text("Only Room 1 reads this")
    fac.screenshot(path=str(artifacts / "facilitation-facilitator-breakouts.png"), full_page=True)

    fac.get_by_role("button", name="Close all rooms").click()
    # A help request is a safety notice: it has outlived the 15 s of an ordinary one, and
    # stays until dismissed; the stale "rooms close in" warning has gone with the rooms.
    time.sleep(max(0.0, helped_at + 16 - time.monotonic()))
    help_notice = _notices(fac).locator(".notice.safety", has_text="Calm Heron in Room 1")
    expect(help_notice).to_be_visible()
    help_notice.get_by_role("button", name="Dismiss").click()
    expect(help_notice).to_have_count(0)
    for page in (heron, wren):
        expect(_notices(page)).not_to_contain_text("Breakout rooms close in")
        expect(_notices(page)).to_contain_text("Welcome back to the main room")
        expect(page.locator("#my-breakout")).to_have_text("No breakout rooms are open.")
        expect(page.locator("#breakouts")).to_be_hidden()
        expect(page.locator("#chat-heading")).to_have_text("Chat")
        expect(_chat(page)).to_contain_text("Welcome to the main room")  # history kept
        expect(_chat(page)).not_to_contain_text("Only Room 1 reads this")
        expect(page.locator("#grid .tile")).to_have_count(3)
    _send_chat(wren, "Good to be back")
    expect(_chat(heron)).to_contain_text("Good to be back")
    heron.screenshot(path=str(artifacts / "facilitation-back-in-main.png"), full_page=True)

    # In the main room "Ask for help" is a help.request, shown to the facilitators in the chat.
    pages.open_more_menu(wren)
    wren.get_by_role("button", name="Ask for help", exact=True).click()
    help_dialog = wren.get_by_role("dialog", name="Ask a facilitator for help")
    help_dialog.get_by_label("What would help?").fill("a quiet word")
    help_dialog.get_by_role("button", name="Send to facilitators").click()
    expect(_chat(fac).locator("li.help")).to_contain_text("a quiet word")
    expect(_chat(wren).locator("li.help")).to_contain_text("a quiet word")
    pages.open_drawer(fac, "chat")
    _send_chat(fac, "marker after the help request")
    expect(_chat(heron)).to_contain_text("marker after the help request")
    expect(_chat(heron)).not_to_contain_text("a quiet word")  # only the asker and facilitators
    for page, name, size in (
        (fac, "facilitator-desktop", {"width": 1280, "height": 800}),
        (wren, "peer-phone", {"width": 390, "height": 844}),
    ):
        page.set_viewport_size(size)
        page.screenshot(path=str(artifacts / f"facilitation-help-{name}.png"), full_page=True)
        page.set_viewport_size(pages.VIEWPORT)

    # --- remove, then end: kind words on the goodbye screens ------------------------------------
    pages.open_drawer(fac, "people")
    fac.once("dialog", lambda d: d.accept())
    pages.person_menu(fac, "Bold Wren")
    fac.get_by_role("button", name="Remove Bold Wren", exact=True).click()
    expect(wren.locator("#end-screen")).to_be_visible()
    expect(wren.locator("#end-message")).to_have_text(
        "A facilitator has removed you from this meeting."
    )
    expect(fac.locator("#participants")).not_to_contain_text("Bold Wren")

    pages.open_drawer(fac, "facilitator")
    fac.once("dialog", lambda d: d.accept())
    fac.get_by_role("button", name="End meeting for everyone").click()
    for page in (heron, fac):
        expect(page.locator("#end-heading")).to_have_text("The meeting has ended")
        expect(page.locator("#end-message")).to_have_text(
            "This meeting has ended. Thank you for being here, and take care."
        )
    heron.screenshot(path=str(artifacts / "facilitation-meeting-ended.png"), full_page=True)
    heron.reload()  # the page of an ended meeting says so, with no join form
    expect(heron.locator("#end-message")).to_contain_text("This meeting has ended")
    expect(heron.locator("#join")).to_be_hidden()
