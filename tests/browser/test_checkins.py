"""An anonymous check-in in real Chromium pages: posted, answered by two peers, shared."""

import pytest
from playwright.sync_api import expect

from tests.browser import pages


@pytest.mark.timeout(180)
def test_anonymous_check_in_answered_by_peers_seen_as_aggregate_and_shared(
    embedded_server, browser, artifacts
):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url, media="text_only")
    expect(fac.locator("#participants")).to_contain_text("Facilitator Fern (you)")

    peers = {}
    for name in ("Calm Heron", "Bold Wren"):
        page = browser.new_context().new_page()
        page.goto(f"{base_url}/join/{demo.peer_invite}/")
        pages.join(page, name, "text_only")
        fac.get_by_role("button", name=f"Admit {name}").click()
        expect(page.locator("#room")).to_be_visible()
        peers[name] = page
    heron, wren = peers["Calm Heron"], peers["Bold Wren"]
    expect(heron.locator("#checkin-panel")).to_be_hidden()  # peers have no facilitator panel

    pages.open_drawer(fac, "checkins")
    fac.get_by_label("Question").fill("How are you arriving today?")
    fac.get_by_label("Kind").select_option("scale")
    expect(fac.get_by_label("Anonymous")).to_be_checked()
    fac.get_by_label("Use for the mood change").select_option("check_in")
    fac.get_by_role("button", name="Post check-in").click()

    # Each peer is told in the live region, and a card waits on the stage without taking the
    # keyboard (nothing pops up); opening it gives the dialog with labelled choices.
    for page in (heron, wren):
        expect(page.locator("#checkin-announcer")).to_have_text(
            "New check-in: How are you arriving today?"
        )
        card = page.get_by_role("region", name="A check-in from the facilitators")
        expect(card).to_contain_text("How are you arriving today?")
        expect(page.get_by_role("dialog")).to_be_hidden()
        expect(page.locator("#checkin-card :focus")).to_have_count(0)
        card.get_by_role("button", name="Answer check-in").click()
        dialog = page.get_by_role("dialog", name="Check-in")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("Nobody, the facilitators included")
    heron.screenshot(path=str(artifacts / "checkin-peer-dialog.png"), full_page=True)

    heron.get_by_role("radio", name="4 · Good").check()
    heron.get_by_role("button", name="Send answer").click()
    expect(heron.get_by_role("dialog")).to_be_hidden()
    expect(heron.locator("#checkin-card")).to_be_hidden()  # answered: the card goes too
    expect(heron.locator("#checkin-open")).to_contain_text("answered, thank you")

    # Wren answers with the keyboard only: the first choice has focus when the dialog opens.
    expect(wren.get_by_role("radio", name="1 · Struggling")).to_be_focused()
    wren.keyboard.press("ArrowDown")  # moves to and selects "2 · Low"
    expect(wren.get_by_role("radio", name="2 · Low")).to_be_checked()
    wren.keyboard.press("Enter")
    expect(wren.get_by_role("dialog")).to_be_hidden()

    card = fac.get_by_role("article", name="Check-in: How are you arriving today?")
    expect(card.locator(".checkin-count")).to_have_text("2 answered")
    expect(card).to_contain_text("Results appear once 3 people have answered")
    fac.get_by_role("button", name="Close check-in").click()

    bars = card.locator(".checkin-bars li")
    expect(bars).to_have_text(
        [
            "1 · Struggling0 (0%)",
            "2 · Low1 (50%)",
            "3 · Okay0 (0%)",
            "4 · Good1 (50%)",
            "5 · Great0 (0%)",
        ]
    )
    expect(card.locator(".checkin-summary")).to_have_text("2 answers, mean 3 of 5")
    expect(fac.locator("#checkin-mood-now")).to_contain_text("check-in 3, check-out \u2013")
    expect(heron.locator("#checkin-mood-now")).to_have_count(0)  # mood is for facilitators
    fac.screenshot(path=str(artifacts / "checkin-facilitator-results.png"), full_page=True)

    fac.get_by_role("button", name="Share with the room check-in").click()
    for page in (heron, wren):
        shared = page.locator("#checkin-shared")
        expect(shared).to_contain_text("Shared result: How are you arriving today?")
        expect(shared.locator(".checkin-summary")).to_have_text("2 answers, mean 3 of 5")
        expect(shared).not_to_contain_text("Heron")
    expect(card).to_contain_text("shared with the room")
    wren.screenshot(path=str(artifacts / "checkin-peer-shared.png"), full_page=True)
