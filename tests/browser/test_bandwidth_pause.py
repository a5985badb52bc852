"""A page told that the relay paused someone's video for its bandwidth (``media.paused``)
says so on that tile, in words, and once to a screen reader; the video returns after."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser import pages

NOTE = "Video paused to keep audio clear"

# As protocol.js hands a server message to the page's modules: the same plugins.js module
# instance the page loaded (the relay's side is tests/signaling/test_media_paused.py).
FROM_SERVER = """async (message) => {
    const room = document.querySelector('script[type=module][src*="room"]').src;
    const { dispatch } = await import(new URL("./plugins.js", room).href);
    dispatch(message);
}"""


def _paused(ids: list[str]) -> dict:
    return {"type": "media.paused", "participant_ids": ids, "screens": [], "reason": "bandwidth"}


def _tile(page, pid: str):
    return page.locator(f'#grid [data-participant-id="{pid}"]')


@pytest.fixture(scope="module")
def meeting(embedded_server, browser):
    demo, base_url = embedded_server
    people, ids = pages.three_people(browser, demo, base_url)
    yield people, ids
    for page in people.values():
        page.context.close()


@pytest.mark.timeout(180)
def test_a_paused_tile_says_why_and_a_screen_reader_hears_it_once(meeting, artifacts):
    people, ids = meeting
    heron = people["heron"]
    pages.wait_receiving_video(heron, ids["wren"])
    pages.wait_receiving_video(heron, ids["fac"])

    heron.evaluate(FROM_SERVER, _paused([ids["wren"]]))
    wren_tile = _tile(heron, ids["wren"])
    expect(wren_tile.locator(".tile-note")).to_have_text(NOTE)
    expect(wren_tile.locator(".tile-note")).to_be_visible()
    expect(wren_tile.locator("video")).to_be_hidden()  # no frozen picture left behind
    expect(wren_tile).to_have_attribute("aria-label", re.compile(NOTE))
    expect(wren_tile.locator("[data-icon=camera-off]")).to_have_count(0)  # her camera is on
    expect(_tile(heron, ids["fac"]).locator(".tile-note")).to_be_hidden()
    announcer = heron.locator("#bandwidth-announcer")
    expect(announcer).to_have_text(re.compile("videos are paused to keep audio clear"))

    # the set changes while videos stay paused: not announced again
    heron.evaluate("() => (document.getElementById('bandwidth-announcer').textContent = '')")
    heron.evaluate(FROM_SERVER, _paused([ids["wren"], ids["fac"]]))
    expect(_tile(heron, ids["fac"]).locator(".tile-note")).to_have_text(NOTE)
    heron.evaluate(FROM_SERVER, _paused([ids["wren"]]))
    expect(_tile(heron, ids["fac"]).locator(".tile-note")).to_be_hidden()
    assert announcer.text_content() == ""

    # (docs/screenshots/bandwidth/ holds copies of these)
    for width, height in ((1280, 800), (390, 844)):
        heron.set_viewport_size({"width": width, "height": height})
        heron.wait_for_timeout(800)  # layout.js places the tiles
        expect(wren_tile.locator(".tile-note")).to_be_visible()
        heron.screenshot(path=str(artifacts / f"paused-tile-{width}x{height}.png"))
    heron.set_viewport_size(pages.VIEWPORT)

    heron.evaluate(FROM_SERVER, _paused([]))
    expect(wren_tile.locator(".tile-note")).to_be_hidden()
    expect(announcer).to_have_text("All videos are back.")
    pages.wait_receiving_video(heron, ids["wren"])
    expect(wren_tile.locator("video")).to_be_visible()
