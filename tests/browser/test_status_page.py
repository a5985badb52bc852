"""The status page in Chromium while a meeting runs: the figures refresh by themselves
(the script runs under the page's CSP), the phone layout reads as cards, and the screenshots
land in test-artifacts/."""

import asyncio
import json

import websockets
from playwright.sync_api import expect

from tests import servers
from tests.browser.pages import admitted_peer, facilitator_page
from tests.browser.text_peers import TextPeers

MARKER = "Zebra Marker Quill"


async def _refused_once(base_url: str, meeting_id: str, token: str) -> str:
    """A peer in the lobby tries to mute someone: the code of the error it gets."""
    url = base_url.replace("http", "ws", 1) + f"/ws/meetings/{meeting_id}/"
    async with websockets.connect(url, origin=base_url) as ws:
        await ws.send(json.dumps({"type": "hello", "version": 1, "token": token}))
        await ws.send(json.dumps({"type": "mute.all"}))
        async for raw in ws:
            message = json.loads(raw)
            if message["type"] == "error":
                return message["code"]
    return ""


def _cell(page, column: str):
    return page.locator(f'[data-section="meetings"] tbody td[data-label="{column}"]').first


def test_the_status_page_follows_a_running_meeting(browser, status_deployment, artifacts):
    demo, base_url, worker = status_deployment
    fac = facilitator_page(browser, demo, base_url)
    heron = admitted_peer(browser, base_url, demo, fac, "Calm Heron")
    people = TextPeers(base_url, demo.meeting_id, demo.peer_invite)
    staff = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    try:
        people.add(MARKER)  # waits in the lobby
        staff.goto(f"{base_url}/accounts/login/?next=/ops/status/")
        staff.get_by_label("Username").fill(servers.STATUS_OPERATOR[0])
        staff.get_by_label("Password").fill(servers.STATUS_OPERATOR[1])
        staff.get_by_role("button", name="Sign in").click()
        expect(staff.get_by_role("heading", name="Service status")).to_be_visible()
        expect(_cell(staff, "In the room")).to_have_text("2")
        expect(_cell(staff, "In the lobby")).to_have_text("1")
        expect(_cell(staff, "Media worker")).to_have_text(worker, timeout=15_000)

        # Things change while the page stays open: its script brings the new figures.
        fac.get_by_role("button", name=f"Admit {MARKER}").click()
        joined = servers.join_over_http(base_url, demo.peer_invite, "Bold Wren", "text_only")
        refusal = _refused_once(base_url, demo.meeting_id, joined["token"])
        code = asyncio.run_coroutine_threadsafe(refusal, people.loop).result(20)
        assert code
        expect(_cell(staff, "In the room")).to_have_text("3", timeout=15_000)
        expect(_cell(staff, "Text only")).to_have_text("1")
        streams = staff.locator('[data-section="workers"] tbody td[data-label="Streams forwarded"]')
        expect(streams).to_have_text("4")  # two cameras: each gets the other's audio and video
        errors = staff.locator('[data-section="errors"] tbody')
        expect(errors).to_contain_text(code, timeout=25_000)  # flushed within 5 s, shown within 10
        for name in (MARKER, "Calm Heron", "Facilitator Fern", "Bold Wren"):
            assert name not in staff.content()
        staff.screenshot(path=artifacts / "ops-status-1280x800.png", full_page=True)

        phone = browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
        ).new_page()
        phone.context.add_cookies(staff.context.cookies())
        phone.goto(f"{base_url}/ops/status/")
        expect(
            phone.locator('[data-section="meetings"] td[data-label="In the room"]')
        ).to_be_visible()
        width = phone.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
        phone.screenshot(path=artifacts / "ops-status-390x844.png", full_page=True)
        phone.context.close()
    finally:
        people.close()
        staff.context.close()
        heron.context.close()
        fac.context.close()
