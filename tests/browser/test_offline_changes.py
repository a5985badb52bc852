"""Hand and mode changed while the socket is down are not lost: the page keeps them and, once
it is back, sends them against the server's state of the person (the room.state it gets)."""

import pytest
from playwright.sync_api import expect

from tests.browser import pages
from tests.browser.outage import admitted_behind_outage


def _tile(page, pid):
    return page.locator(f'#grid [data-participant-id="{pid}"]')


@pytest.mark.timeout(240)
def test_hand_raised_and_text_only_chosen_offline_reach_the_others_after_reconnect(
    embedded_server, browser, artifacts
):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url, media="text_only")
    heron, outage = admitted_behind_outage(browser, base_url, demo, fac, "Calm Heron", "camera_mic")
    heron_id = pages.participant_id(heron)
    expect(_tile(fac, heron_id)).to_be_visible()
    expect(_tile(fac, heron_id).locator("[data-icon=text-only]")).to_have_count(0)

    outage.start()
    expect(heron.locator("#self-connection")).to_contain_text("Reconnecting", timeout=10_000)
    heron.get_by_role("button", name="Raise hand").click()
    expect(heron.locator("#hand-button")).to_have_attribute("aria-pressed", "true")
    expect(heron.get_by_role("button", name="Lower hand")).to_be_visible()  # says what it will do
    pages.open_more_menu(heron)
    heron.get_by_label("Mode").select_option("text")
    # text only takes effect here at once: the camera and microphone are off while offline
    heron.wait_for_function("() => window.peerMeeting.local.stream.getTracks().length === 0")
    for width, height in ((1280, 800), (390, 844)):
        heron.set_viewport_size({"width": width, "height": height})
        heron.screenshot(path=str(artifacts / f"offline-changes-pending-{width}.png"))
    heron.set_viewport_size(pages.VIEWPORT)
    expect(fac.locator("#hands li")).to_have_count(0)  # nothing reached the server yet

    outage.down = False  # the page's next retry gets through
    expect(fac.locator("#hands li .name")).to_have_text(["Calm Heron"], timeout=20_000)
    expect(_tile(fac, heron_id).locator("[data-icon=text-only]")).to_be_visible()
    expect(heron.locator("#self-connection")).to_have_text("Connected (text only)")
    expect(heron.get_by_label("Mode")).to_have_value("text")
    expect(heron.get_by_role("button", name="Lower hand")).to_be_visible()
    heron.screenshot(path=str(artifacts / "offline-changes-applied.png"))
    fac.screenshot(path=str(artifacts / "offline-changes-facilitator.png"))

    # and lowering it offline is not lost either
    outage.start()
    heron.get_by_role("button", name="Lower hand").click()
    expect(heron.get_by_role("button", name="Raise hand")).to_be_visible()
    fac.wait_for_timeout(500)
    expect(fac.locator("#hands li")).to_have_count(1)
    outage.down = False
    expect(fac.locator("#hands li")).to_have_count(0, timeout=20_000)
