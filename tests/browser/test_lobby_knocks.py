"""Everyone waiting in the lobby is a knock in the facilitators' attention queue, in arrival
order, with Admit and Turn away there; someone with the co-facilitator link waits for the
owner. One notice per arrival (the lobby's), not two. Screenshots at desk and phone sizes."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import pages

SHOTS = Path("/work/wt/shots/knocks")
SIZES = {"desk": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def _open_queue(page: Page) -> None:
    if not page.locator("#attention-panel").is_visible():
        page.locator("#attention-toggle").click()
    expect(page.locator("#attention-panel")).to_be_visible()


def _shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.wait_for_timeout(300)  # the layout settles (drawers close on a phone's width)
        _open_queue(page)
        page.screenshot(path=str(SHOTS / f"{name}-{size}.png"))
    page.set_viewport_size(pages.VIEWPORT)


def _notice_leaves_the_queue_readable_on_a_phone(page: Page) -> None:
    """On a phone the lobby's notice floats over the open queue: the queue starts below it."""
    page.set_viewport_size(SIZES["phone"])
    page.wait_for_timeout(300)
    _open_queue(page)
    notice = page.locator("#notices .notice").first.bounding_box()
    hint = page.locator("#attention-panel .drawer-body > .hint").first.bounding_box()
    assert notice is not None and hint is not None
    assert notice["y"] + notice["height"] <= hint["y"]
    page.set_viewport_size(pages.VIEWPORT)


@pytest.mark.timeout(240)
def test_lobby_arrivals_are_knocks_admitted_or_turned_away_from_the_queue(embedded_server, browser):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url)
    title = fac.title()
    detail = fac.context.new_page()
    detail.goto(f"{base_url}/meetings/{demo.meeting_id}/")
    link = detail.locator("#link-cofacilitator").input_value()
    cofac_link = base_url + link[link.index("/join/") :]
    detail.close()

    heron = browser.new_context(viewport=pages.VIEWPORT).new_page()
    heron.goto(f"{base_url}/join/{demo.peer_invite}/")
    pages.join(heron, "Calm Heron", "text_only")
    expect(heron.locator("#lobby-screen")).to_be_visible()
    expect(fac.locator("#attention-count")).to_have_text("1")
    cedar = browser.new_context(viewport=pages.VIEWPORT).new_page()
    cedar.goto(cofac_link)
    pages.join(cedar, "Co Cedar", "text_only")
    expect(cedar.locator("#lobby-screen")).to_be_visible()
    expect(fac.locator("#attention-count")).to_have_text("2")

    # one alert per arrival: the lobby's notice and title cue, nothing from the queue
    notices = fac.locator("#notices")
    expect(notices).to_contain_text("2 people are waiting in the lobby.")
    expect(notices.get_by_role("button", name="Show the queue")).to_have_count(0)
    expect(fac).to_have_title(f"(2 waiting) {title}")

    _open_queue(fac)
    knocks = fac.locator("#attention-list .attention-item[data-kind=knock]")
    expect(knocks).to_have_count(2)
    expect(knocks.nth(0)).to_contain_text("Calm Heron")
    expect(knocks.nth(1)).to_contain_text("Co Cedar")
    expect(knocks.nth(1)).to_contain_text("waits for your confirmation as the meeting's owner")
    expect(
        knocks.nth(1).get_by_role("button", name="Confirm Co Cedar as co-facilitator")
    ).to_be_visible()
    expect(knocks.nth(0).get_by_role("button", name="Mark handled")).to_have_count(0)
    _shoot(fac, "queue-two-lobby-arrivals")
    _notice_leaves_the_queue_readable_on_a_phone(fac)

    knocks.nth(0).get_by_role("button", name="Admit Calm Heron").click()
    expect(heron.locator("#room")).to_be_visible(timeout=pages.JOIN_TIMEOUT_MS)
    heron_knock = knocks.filter(has_text="Calm Heron")
    expect(heron_knock).to_have_attribute("data-state", "handled")
    expect(heron_knock.locator(".attention-outcome")).to_have_text("Admitted by Facilitator Fern")
    expect(fac.locator("#attention-count")).to_have_text("1")

    cedar_knock = knocks.filter(has_text="Co Cedar")
    cedar_knock.get_by_role("button", name="Turn away").click()
    expect(cedar.locator("#lobby-screen")).to_be_hidden(timeout=pages.JOIN_TIMEOUT_MS)
    expect(cedar_knock).to_have_attribute("data-state", "handled")
    expect(cedar_knock.locator(".attention-outcome")).to_have_text(
        "Turned away by Facilitator Fern"
    )
    expect(fac.locator("#attention-count")).to_have_text("0")
    expect(fac.locator("#lobby li")).to_have_count(0)
    expect(fac).to_have_title(title)

    # what became of each arrival is still there for a facilitator who reloads
    fac.reload()
    _open_queue(fac)
    outcomes = fac.locator("#attention-list .attention-item[data-kind=knock] .attention-outcome")
    expect(outcomes).to_have_text(
        ["Admitted by Facilitator Fern", "Turned away by Facilitator Fern"],
        timeout=pages.JOIN_TIMEOUT_MS,
    )
