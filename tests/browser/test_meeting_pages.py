"""The meetings list and a meeting's page in Chromium: copy buttons work, ending asks first
and the meeting then looks ended; screenshots at 1280x800 and 390x844, axe clean."""

import pytest
from playwright.sync_api import expect

SIZES = {"1280": {"width": 1280, "height": 800}, "390": {"width": 390, "height": 844}}


def _signed_in(browser, demo, base_url, size):
    context = browser.new_context(viewport=SIZES[size])
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/?next=/meetings/")
    page.get_by_label("Username").fill(demo.username)
    page.get_by_label("Password").fill(demo.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your meetings")).to_be_visible()
    return page


def _axe_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    return Axe().run(page).response["violations"]


@pytest.mark.timeout(180)
def test_meeting_list_and_page_copy_end_and_look_ended(embedded_server, browser, artifacts):
    demo, base_url = embedded_server
    page = _signed_in(browser, demo, base_url, "1280")
    try:
        page.get_by_label("Title").fill("Thursday circle")
        page.get_by_label("Start time").fill("2026-12-10T18:30")
        page.get_by_role("button", name="Create meeting").click()
        expect(page.get_by_role("heading", name="Thursday circle")).to_be_visible()
        expect(page.locator(".facts")).to_contain_text("Thursday 10 December 2026, 18:30 UTC")

        page.get_by_role("button", name="Copy invitation").click()
        expect(page.locator("#copy-status")).to_have_text("Invitation copied.")
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert "Thursday circle" in copied and "/join/" in copied
        page.get_by_role("button", name="Copy link for peers").click()
        expect(page.locator("#copy-status")).to_have_text("Peer invite link copied.")
        assert page.evaluate("() => navigator.clipboard.readText()").startswith("http")
        assert _axe_violations(page) == []
        page.screenshot(path=str(artifacts / "meeting-detail-1280.png"), full_page=True)
        page.set_viewport_size(SIZES["390"])
        page.screenshot(path=str(artifacts / "meeting-detail-390.png"), full_page=True)
        page.set_viewport_size(SIZES["1280"])

        page.get_by_role("link", name="Your meetings").click()
        assert _axe_violations(page) == []
        page.screenshot(path=str(artifacts / "meeting-list-1280.png"), full_page=True)
        page.set_viewport_size(SIZES["390"])
        page.screenshot(path=str(artifacts / "meeting-list-390.png"), full_page=True)
        page.set_viewport_size(SIZES["1280"])

        page.get_by_role("link", name="Thursday circle", exact=True).click()
        page.once("dialog", lambda dialog: dialog.dismiss())  # asked first: not ended
        page.get_by_role("button", name="End the meeting for everyone").click()
        expect(page.get_by_role("link", name="Open the meeting")).to_be_visible()
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="End the meeting for everyone").click()
        expect(page.locator(".ended-note")).to_contain_text("This meeting has ended")
        expect(page.get_by_role("link", name="Open the meeting")).to_have_count(0)
        page.screenshot(path=str(artifacts / "meeting-detail-ended-1280.png"), full_page=True)
        page.get_by_role("link", name="Your meetings").click()
        ended = page.locator("section", has=page.get_by_role("heading", name="Ended"))
        expect(ended).to_contain_text("Thursday circle")
        page.screenshot(path=str(artifacts / "meeting-list-after-end-1280.png"), full_page=True)
    finally:
        page.context.close()
