"""Wrong passwords in a real browser: sign-in pauses for this address with a page that says so."""

import pytest
from playwright.sync_api import expect

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.mark.timeout(120)
def test_sign_in_pauses_after_five_wrong_passwords(embedded_server, browser, artifacts):
    demo, base_url = embedded_server
    page = browser.new_context(viewport=SIZES["desktop"]).new_page()
    for attempt in range(5):
        page.goto(f"{base_url}/accounts/login/")
        page.get_by_label("Username").fill(demo.username)
        page.get_by_label("Password").fill(f"not-it-{attempt}")
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading")).to_have_text("Sign-in paused")
    expect(page.get_by_role("alert")).to_contain_text("15 minutes")
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.screenshot(path=str(artifacts / f"sign-in-paused-{size}.png"))
    # The right password does not get through from here now.
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(demo.username)
    page.get_by_label("Password").fill(demo.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading")).to_have_text("Sign-in paused")
