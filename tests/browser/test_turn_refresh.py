"""The page renews its short-lived TURN credentials by itself and keeps its connection."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests import servers
from tests.browser import pages


@pytest.fixture(scope="module")
def server_with_turn(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("turn")
    env = servers.server_env(
        DATABASE_URL=f"sqlite:///{workdir / 'meetings.sqlite3'}",
        # nothing listens there: the page only has to carry the credentials, not use them
        TURN_URLS="turn:127.0.0.1:9?transport=udp",
        TURN_SECRET="browser-test-secret",
        TURN_CREDENTIAL_SECONDS="3",
    )
    servers.manage(env, "migrate", "-v0")
    demo = servers.seed_demo(env)
    with servers.daphne(env, workdir / "daphne.log") as base_url:
        yield demo, base_url


@pytest.mark.timeout(120)
def test_page_asks_for_fresh_credentials_before_they_expire(server_with_turn, browser):
    demo, base_url = server_with_turn
    sent: list[str] = []
    received: list[dict] = []
    errors: list[str] = []
    context = browser.new_context(viewport=pages.VIEWPORT)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))

    def watch(ws):
        ws.on("framesent", lambda f: sent.append(json.loads(f)["type"]))
        ws.on("framereceived", lambda f: received.append(json.loads(f)))

    page.on("websocket", watch)
    page.goto(f"{base_url}/accounts/login/?next=/meetings/{demo.meeting_id}/room/")
    page.get_by_label("Username").fill(demo.username)
    page.get_by_label("Password").fill(demo.password)
    page.get_by_role("button", name="Sign in").click()
    pages.join(page, "Facilitator Fern", "camera_mic")
    expect(page.locator("#room")).to_be_visible(timeout=pages.JOIN_TIMEOUT_MS)

    # 3-second credentials: renewed about every 2.4 s
    page.wait_for_timeout(8000)
    ready = next(m for m in received if m["type"] == "media.ready")
    assert ready["ice_ttl_seconds"] == 3
    assert sent.count("media.ice") >= 2, sent
    fresh = [m for m in received if m["type"] == "media.ice"]
    assert len(fresh) >= 2
    usernames = {s["username"] for m in fresh for s in m["ice_servers"] if "username" in s}
    assert len(usernames) >= 2  # each answer is a new credential, not the first one again
    assert errors == []
    expect(page.locator("#self-connection")).not_to_have_attribute("data-state", "failed")
