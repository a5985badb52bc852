"""The owner replaces a link and confirms a co-facilitator, in real Chromium pages."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser import pages

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@pytest.mark.timeout(180)
def test_owner_replaces_the_peer_link_and_confirms_a_cofacilitator(
    embedded_server, browser, artifacts
):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url, media="text_only")
    detail = fac.context.new_page()
    detail.goto(f"{base_url}/meetings/{demo.meeting_id}/")
    links = detail.locator(".invite-links")

    # The page shows PUBLIC_BASE_URL links; this server listens on a port of its own.
    def on_this_server(link: str) -> str:
        return base_url + link[link.index("/join/") :]

    old_peer = on_this_server(detail.locator("#link-peer").input_value())
    cofac_link = on_this_server(detail.locator("#link-cofacilitator").input_value())
    assert old_peer.endswith(f"/join/#{demo.peer_invite}")

    peer_row = links.locator("dd").filter(has=detail.locator("input[name=role][value=peer]"))
    peer_row.get_by_label("A new link works for").select_option("7")
    peer_row.get_by_role("button", name="Make a new link").click()
    expect(peer_row).to_contain_text("Works until")
    assert f"/join/#{demo.peer_invite}" not in detail.locator("#link-peer").input_value()
    for size, viewport in SIZES.items():
        detail.set_viewport_size(viewport)
        detail.screenshot(path=str(artifacts / f"invite-links-{size}.png"), full_page=True)
    violations = Axe().run(detail).response["violations"]
    assert [v["id"] for v in violations if v["impact"] in ("serious", "critical")] == []

    stale = browser.new_context().new_page()
    stale.goto(old_peer)
    expect(stale.get_by_role("alert")).to_contain_text("was replaced")
    stale.screenshot(path=str(artifacts / "invite-link-replaced.png"))

    cedar = browser.new_context(viewport=pages.VIEWPORT).new_page()
    cedar.goto(cofac_link)
    pages.join(cedar, "Co Cedar", "text_only")
    expect(cedar.locator("#lobby-screen")).to_be_visible()
    confirm = fac.get_by_role("button", name="Confirm Co Cedar as co-facilitator")
    expect(confirm).to_be_visible()
    fac.locator("#lobby").screenshot(path=str(artifacts / "invite-cofacilitator-lobby.png"))
    confirm.click()
    expect(cedar.locator("#room")).to_be_visible(timeout=pages.JOIN_TIMEOUT_MS)
    people = fac.locator("#participants li")
    expect(people.filter(has_text="Co Cedar")).to_contain_text("Co-facilitator (invited)")
    expect(people.filter(has_text="Facilitator Fern")).to_contain_text("Facilitator · verified")

    # The link let one person in: opening it again says so.
    again = browser.new_context().new_page()
    again.goto(cofac_link)
    expect(again.get_by_role("alert")).to_contain_text("already been used")
