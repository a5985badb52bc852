"""Leaving: everyone confirms; the last facilitator ends the meeting for everyone, hands it
over or leaves anyway; the goodbye screen has nothing left open over it."""

import pytest
from playwright.sync_api import expect

from tests.browser import pages

CHECKIN = {"kind": "scale", "question": "How are you arriving?", "options": [], "anonymous": True}


def _axe_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    return Axe().run(page).response["violations"]


def _leave_dialog(page):
    page.get_by_role("button", name="Leave meeting").click()
    dialog = page.get_by_role("dialog", name="Leave the meeting?")
    expect(dialog).to_be_visible()
    return dialog


@pytest.mark.timeout(240)
def test_leaving_is_confirmed_and_the_last_facilitator_hands_over_or_ends(
    embedded_server, browser, artifacts
):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url, media="text_only")
    heron = pages.admitted_peer(browser, base_url, demo, fac, "Calm Heron", "text_only")
    wren = pages.admitted_peer(browser, base_url, demo, fac, "Bold Wren", "text_only")
    try:
        # a peer is asked once, and can stay
        dialog = _leave_dialog(wren)
        expect(dialog).to_contain_text("same invite link")
        dialog.get_by_role("button", name="Stay").click()
        expect(dialog).to_be_hidden()
        expect(wren.locator("#room")).to_be_visible()

        fac.evaluate("(c) => window.peerMeeting.connection.send('checkin.post', c)", CHECKIN)
        wren.locator("#checkin-card").get_by_role("button", name="Answer check-in").click()
        expect(wren.locator("#checkin-dialog")).to_be_visible()
        # Heron puts the check-in aside; Wren leaves it open
        heron.locator("#checkin-card").get_by_role("button", name="Later").click()

        # the last facilitator: end for everyone, hand over, or leave anyway
        dialog = _leave_dialog(fac)
        expect(dialog).to_contain_text("You are the last facilitator here")
        for name in ("End the meeting for everyone", "Hand over and leave", "Leave anyway", "Stay"):
            expect(dialog.get_by_role("button", name=name)).to_be_visible()
        fac.set_viewport_size({"width": 1280, "height": 800})
        fac.screenshot(path=str(artifacts / "leaving-last-facilitator-1280.png"))
        assert _axe_violations(fac) == []
        fac.set_viewport_size({"width": 390, "height": 844})
        fac.screenshot(path=str(artifacts / "leaving-last-facilitator-390.png"))
        dialog.get_by_label("Hand the meeting over to").select_option(label="Calm Heron")
        dialog.get_by_role("button", name="Hand over and leave").click()
        expect(fac.locator("#end-screen")).to_be_visible()
        expect(fac.get_by_role("link", name="Back to your meetings")).to_be_visible()
        expect(fac.locator("#end-message")).to_have_text(
            "You handed the meeting to Calm Heron. Thank you for facilitating today."
        )
        expect(fac.locator("#support-resources")).to_be_hidden()

        # Heron runs the group now: the facilitator panel, and the same choice on leaving
        expect(heron.locator("#facilitator-toggle")).to_be_visible()
        dialog = _leave_dialog(heron)
        expect(dialog).to_contain_text("You are the last facilitator here")
        dialog.get_by_role("button", name="End the meeting for everyone").click()

        expect(wren.locator("#end-screen")).to_be_visible()
        expect(wren.locator("#end-heading")).to_have_text("The meeting has ended")
        # the check-in Wren left open does not stay over the goodbye
        assert wren.evaluate("() => document.querySelectorAll('dialog[open]').length") == 0
        expect(wren.locator("#support-resources")).to_be_visible()
        expect(wren.get_by_role("link", name="Back to your meetings")).to_have_count(0)
        assert _axe_violations(wren) == []
        wren.set_viewport_size({"width": 1280, "height": 800})
        wren.screenshot(path=str(artifacts / "leaving-peer-goodbye-1280.png"))
        wren.set_viewport_size({"width": 390, "height": 844})
        wren.screenshot(path=str(artifacts / "leaving-peer-goodbye-390.png"))
    finally:
        for page in (wren, heron, fac):
            page.context.close()
