"""The page and the server's retry close: a web process that lets go of its sockets with 4503
(shutting down, or its presence lease lost) gets every page back at once, as the same
participant, instead of after the usual backoff; the others never see them leave."""

import pytest
import redis
from playwright.sync_api import expect

from tests import servers
from tests.browser import pages


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    logs = tmp_path_factory.mktemp("redis-server")
    with (
        servers.seeded_on_redis(MEDIA_ENABLED="false") as (env, demo),
        servers.daphne(env, logs / "daphne.log") as base_url,
    ):
        yield demo, base_url, env["CHANNEL_PREFIX"]


@pytest.mark.timeout(120)
def test_a_4503_close_brings_the_page_back_at_once_as_the_same_person(redis_server, browser):
    demo, base_url, prefix = redis_server
    fac = pages.facilitator_page(browser, demo, base_url, media="text_only")
    heron = pages.admitted_peer(browser, base_url, demo, fac, "Calm Heron", media="text_only")
    try:
        heron_id = pages.participant_id(heron)
        heron.evaluate(
            """() => { const c = window.peerMeeting.connection; const first = c.socket;
                       window.firstSocket = first;
                       first.addEventListener('close', (e) => {
                         window.closedWith = { code: e.code, at: performance.now() }; });
                       const open = c.open.bind(c);
                       c.open = () => { window.reopenedAt = performance.now(); open(); }; }"""
        )
        # the server process loses its lease (as after a Redis restart): it lets go of its
        # sockets with 4503, as it does on SIGTERM
        client = redis.Redis(host="127.0.0.1", port=6379)
        for key in client.scan_iter(f"{prefix}:lease:*"):
            client.delete(key)
        heron.wait_for_function("() => window.closedWith !== undefined", timeout=10_000)
        heron.wait_for_function(
            """() => { const s = window.peerMeeting.connection.socket;
                       return s !== window.firstSocket && s.readyState === WebSocket.OPEN; }""",
            timeout=10_000,
        )
        closed = heron.evaluate("() => window.closedWith")
        assert closed["code"] == 4503
        # at once: not the one-second first step of the backoff
        assert heron.evaluate("() => window.reopenedAt") - closed["at"] < 500
        expect(heron.locator("#room")).to_be_visible()
        assert pages.participant_id(heron) == heron_id
        expect(fac.locator(f'#grid [data-participant-id="{heron_id}"]')).to_have_attribute(
            "data-connection", "online", timeout=10_000
        )
    finally:
        for page in (heron, fac):
            page.context.close()
