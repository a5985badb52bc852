"""Production's layout (two media workers, Redis, PostgreSQL) with real Chromium pages: the
meeting's media worker is killed (kill -9) and both pages get video again by themselves,
on a new peer connection, without a reload."""

import signal
import time

import pytest
from redis import Redis

from tests import servers
from tests.browser import pages


def meeting_worker(env: dict, meeting_id: str) -> str:
    with Redis.from_url("redis://127.0.0.1:6379/0") as client:
        placed = client.get(f"{env['CHANNEL_PREFIX']}:media:m:{meeting_id}")
    assert placed is not None, "the meeting was never placed on a worker"
    return placed.decode()


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    logs = tmp_path_factory.mktemp("failover")
    with (
        servers.seeded_on_redis(MEDIA_IN_PROCESS="false", MEDIA_HOST_ADDRESSES="127.0.0.1") as (
            env,
            demo,
        ),
        servers.media_worker({**env, "LOG_LEVEL": "INFO"}, logs / "w1.log") as w1,
        servers.media_worker({**env, "LOG_LEVEL": "INFO"}, logs / "w2.log") as w2,
        servers.daphne(env, logs / "web.log") as base_url,
    ):
        workers = {servers.worker_id(logs / "w1.log"): w1, servers.worker_id(logs / "w2.log"): w2}
        yield env, demo, base_url, workers


@pytest.mark.timeout(180)
def test_pages_rejoin_media_by_themselves_when_the_meetings_worker_is_killed(
    production, browser, artifacts
):
    env, demo, base_url, workers = production
    fac = pages.facilitator_page(browser, demo, base_url)
    heron = pages.admitted_peer(browser, base_url, demo, fac, "Calm Heron")
    people = {"fac": fac, "heron": heron}
    try:
        ids = {key: pages.participant_id(page) for key, page in people.items()}
        pages.wait_receiving_video(fac, ids["heron"])
        pages.wait_receiving_video(heron, ids["fac"])
        for page in people.values():
            page.evaluate("() => { window.oldPc = window.peerMeeting.media.pc; }")
            page.evaluate("() => { window.reloaded = false; }")  # gone if the page reloads

        first = meeting_worker(env, demo.meeting_id)
        killed = time.monotonic()
        workers[first].send_signal(signal.SIGKILL)

        for me, page in people.items():
            other = ids["heron" if me == "fac" else "fac"]
            pages.poll(
                page,
                """async (pid) => {
                    const media = window.peerMeeting.media;
                    if (!media.pc || media.pc === window.oldPc) return false;
                    const stats = await media.inboundStats();
                    return (stats[pid]?.video?.framesDecoded ?? 0) > 10;
                }""",
                other,
                timeout_ms=int((10 - (time.monotonic() - killed)) * 1000),
                what=f"{me} decoding video again on a new connection",
            )
        took = time.monotonic() - killed
        print(f"pages decoding video again {took:.1f} s after kill -9")
        for page in people.values():
            assert page.evaluate("() => window.reloaded") is False
        assert meeting_worker(env, demo.meeting_id) != first
        pages.wait_receiving_video(heron, ids["fac"])
        heron.screenshot(path=str(artifacts / "media-failover-heron.png"))
    finally:
        for page in people.values():
            page.context.close()
