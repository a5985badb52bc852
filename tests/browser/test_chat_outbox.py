"""Chat typed while the socket is down waits as "sending…" and arrives once, in order."""

import re

import pytest
from playwright.sync_api import WebSocketRoute, expect

from tests.browser import pages

WS_URL = re.compile(r".*/ws/meetings/.*")


class Outage:
    """Stands between one page and the server: passes frames through, or drops the socket and
    refuses new ones while `down` (the page sees a network drop and keeps retrying)."""

    def __init__(self) -> None:
        self.down = False
        self.open: list[tuple[WebSocketRoute, WebSocketRoute]] = []

    def route(self, page: WebSocketRoute) -> None:
        if self.down:
            page.close(code=1012, reason="outage")
            return
        self.open.append((page, page.connect_to_server()))

    def start(self) -> None:
        self.down = True
        for page, server in self.open:
            page.close(code=1012, reason="outage")
            server.close()
        self.open.clear()


@pytest.mark.timeout(180)
def test_chat_typed_while_offline_is_sent_after_reconnect_exactly_once(
    embedded_server, browser, artifacts
):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url, media="text_only")
    heron = browser.new_context(viewport=pages.VIEWPORT).new_page()
    outage = Outage()
    heron.route_web_socket(WS_URL, outage.route)
    heron.goto(f"{base_url}/join/{demo.peer_invite}/")
    pages.join(heron, "Calm Heron", "text_only")
    fac.get_by_role("button", name="Admit Calm Heron").click()
    expect(heron.locator("#room")).to_be_visible(timeout=pages.JOIN_TIMEOUT_MS)

    def say(text: str) -> None:
        heron.get_by_label("Message").fill(text)
        heron.get_by_label("Message").press("Enter")

    say("before the outage")
    expect(fac.locator("#chat-log")).to_contain_text("before the outage")

    outage.start()
    say("typed while offline")
    say("and a second one")
    pending = heron.locator("#chat-log li.pending")
    expect(pending).to_have_count(2)
    expect(pending.first).to_contain_text("sending…")
    expect(pending.first).to_contain_text("typed while offline")
    for width, height in ((1280, 800), (390, 844)):
        heron.set_viewport_size({"width": width, "height": height})
        heron.screenshot(path=str(artifacts / f"chat-outbox-sending-{width}.png"))
    heron.set_viewport_size(pages.VIEWPORT)
    expect(fac.locator("#chat-log")).not_to_contain_text("typed while offline")

    outage.down = False  # the page's next retry gets through
    expect(pending).to_have_count(0, timeout=20_000)
    for page in (fac, heron):
        log = page.locator("#chat-log li")
        expect(log.filter(has_text="typed while offline")).to_have_count(1)
        expect(log.filter(has_text="and a second one")).to_have_count(1)
        expect(log.filter(has_text="before the outage")).to_have_count(1)
        texts = page.locator("#chat-log li .text").all_text_contents()
        mine = [t for t in texts if t in ("typed while offline", "and a second one")]
        assert mine == ["typed while offline", "and a second one"]
    expect(heron.locator("#chat-log")).not_to_contain_text("sending…")
