"""A facilitator and two peers hold a video meeting in real Chromium pages (fake devices)."""

import time

import pytest
from playwright.sync_api import expect

from tests.browser import pages


@pytest.fixture(scope="module")
def meeting(embedded_server, browser):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url)
    heron = pages.admitted_peer(browser, base_url, demo, fac, "Calm Heron")
    wren = pages.admitted_peer(browser, base_url, demo, fac, "Bold Wren")
    people = {"fac": fac, "heron": heron, "wren": wren}
    ids = {key: pages.participant_id(page) for key, page in people.items()}
    yield demo, base_url, people, ids
    for page in people.values():
        page.context.close()


@pytest.mark.timeout(240)
def test_everyone_receives_everyone_elses_video(meeting, artifacts):
    _, _, people, ids = meeting
    for me, page in people.items():
        for other, pid in ids.items():
            if other != me:
                pages.wait_receiving_video(page, pid)
                size = pages.tile_video(page, pid)
                assert size["width"] > 0 and size["height"] > 0
    # Frames keep being decoded for every sender, seen from every page.
    before = {
        (me, o): pages.inbound(page, ids[o], "video", "framesDecoded")
        for me, page in people.items()
        for o in ids
        if o != me
    }
    time.sleep(2)
    for (me, other), count in before.items():
        assert pages.inbound(people[me], ids[other], "video", "framesDecoded") > count > 0
    # Every tile is named, the facilitator's marked as verified.
    tiles = people["heron"].locator("#grid .tile")
    expect(tiles).to_have_count(3)
    expect(people["heron"].locator(f'#grid [data-participant-id="{ids["fac"]}"]')).to_contain_text(
        "Facilitator · verified"
    )
    expect(people["fac"].locator("#self-connection")).to_have_text("Connected")
    for me, page in people.items():
        page.screenshot(path=str(artifacts / f"video-meeting-{me}.png"))


@pytest.mark.timeout(120)
def test_mic_and_camera_buttons_show_on_your_tile(meeting):
    _, _, people, ids = meeting
    wren = people["wren"]
    mine = wren.locator(f'#grid [data-participant-id="{ids["wren"]}"]')
    wren.get_by_role("button", name="Mute").click()
    expect(mine.locator("[data-icon=muted]")).to_be_visible()
    assert wren.evaluate("() => window.peerMeeting.local.audioTrack.enabled") is False
    wren.keyboard.press("m")  # the shortcut toggles back
    expect(mine.locator("[data-icon=muted]")).to_have_count(0)
    wren.get_by_role("button", name="Stop video").click()
    expect(mine.locator("[data-icon=camera-off]")).to_be_visible()
    # the others see a name card instead of a frozen picture
    expect(
        people["heron"].locator(
            f'#grid [data-participant-id="{ids["wren"]}"] [data-icon=camera-off]'
        )
    ).to_be_visible(timeout=10_000)
    wren.get_by_role("button", name="Start video").click()
    pages.wait_receiving_video(people["heron"], ids["wren"])
