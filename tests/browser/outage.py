"""A network outage for one page's meeting socket, made with Playwright's WebSocket routing."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, WebSocketRoute, expect

from tests.browser import pages

WS_URL = re.compile(r".*/ws/meetings/.*")


class Outage:
    """Stands between one page and the server: passes frames through, or drops the socket and
    refuses new ones while `down` (the page sees a network drop and keeps retrying). With
    `drop_acks` the server's chat.ack frames are lost on the way (as when a socket dies
    between the server storing a message and the page hearing so)."""

    def __init__(self, page: Page) -> None:
        self.down = False
        self.drop_acks = False
        self.open: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        page.route_web_socket(WS_URL, self.route)

    def route(self, page: WebSocketRoute) -> None:
        if self.down:
            page.close(code=1012, reason="outage")
            return
        server = page.connect_to_server()
        server.on_message(lambda frame: self._to_page(page, frame))
        self.open.append((page, server))

    def _to_page(self, page: WebSocketRoute, frame: str | bytes) -> None:
        if self.drop_acks and isinstance(frame, str):
            parsed = json.loads(frame)
            messages = parsed if isinstance(parsed, list) else [parsed]
            kept = [m for m in messages if m["type"] != "chat.ack"]
            if not kept:
                return
            frame = json.dumps(kept if isinstance(parsed, list) else kept[0])
        page.send(frame)

    def start(self) -> None:
        self.down = True
        for page, server in self.open:
            page.close(code=1012, reason="outage")
            server.close()
        self.open.clear()


def admitted_behind_outage(browser, base_url: str, demo, fac: Page, name: str, mode: str):
    """A peer admitted by `fac` whose meeting socket runs through an `Outage` from the start."""
    page = browser.new_context(viewport=pages.VIEWPORT).new_page()
    outage = Outage(page)
    page.goto(f"{base_url}/join/{demo.peer_invite}/")
    pages.join(page, name, mode)
    fac.get_by_role("button", name=f"Admit {name}").click()
    expect(page.locator("#room")).to_be_visible(timeout=pages.JOIN_TIMEOUT_MS)
    return page, outage
