"""Production's shape: two web processes without media, one media worker process, real Redis
and PostgreSQL. Two people on different web processes see each other through the worker."""

import asyncio

import pytest

from tests import servers
from tests.integration.media_pages import two_pages_with_media
from tests.integration.test_two_servers_on_redis import open_socket
from tests.media.media_peers import wait_for
from tests.signaling.media_peer import MediaMeeting, WebsocketTransport


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    logs = tmp_path_factory.mktemp("deployment")
    with (
        servers.seeded_on_redis(MEDIA_IN_PROCESS="false", MEDIA_HOST_ADDRESSES="127.0.0.1") as (
            env,
            demo,
        ),
        servers.media_worker({**env, "LOG_LEVEL": "INFO"}, logs / "media.log"),
        servers.daphne(env, logs / "a.log") as a,
        servers.daphne(env, logs / "b.log") as b,
    ):
        yield demo, a, b, logs


async def test_people_on_two_web_processes_see_each_other_through_the_media_worker(deployment):
    demo, server_a, server_b, logs = deployment
    try:
        pages = await two_pages_with_media(demo, server_a, server_b)
        a, b = pages.a, pages.b
        try:
            assert a.mislabelled == b.mislabelled == 0
            # leaving on web process B reaches the relay in the worker process
            await pages.sockets[1].ws.send('{"type": "leave"}')
            await wait_for(lambda: a.mid_of(b.id, "video") is None, timeout=10)
        finally:
            await pages.close()
    except AssertionError as failure:
        worker_log = (logs / "media.log").read_text()[-3000:]
        raise AssertionError(f"{failure}\nmedia worker log:\n{worker_log}") from None


async def test_relays_inside_two_web_processes_on_redis_share_each_meeting(tmp_path):
    """MEDIA_IN_PROCESS (the default) with two web processes on Redis: each process's relay
    registers like a worker, so a meeting has one relay whichever process its people use."""
    with (
        servers.seeded_on_redis(MEDIA_HOST_ADDRESSES="127.0.0.1") as (env, demo),
        servers.daphne(env, tmp_path / "a.log") as server_a,
        servers.daphne(env, tmp_path / "b.log") as server_b,
    ):
        people = []
        for server, name in ((server_a, "Co Cedar"), (server_b, "Co Heron")):
            joined = await asyncio.to_thread(servers.facilitator_over_http, server, demo, name)
            socket = await open_socket(server, demo.meeting_id, joined["token"])
            await socket.expect("room.state")
            people.append((socket, joined["participant_id"]))
        meeting = MediaMeeting()
        try:
            a, b = (meeting.add_transport(WebsocketTransport(s.ws), pid) for s, pid in people)
            await a.join()
            await b.join()
            await wait_for(lambda: len(a.counters_from(b.id)) > 5, timeout=15)
            await wait_for(lambda: len(b.counters_from(a.id)) > 5, timeout=15)
            assert a.mislabelled == b.mislabelled == 0
        finally:
            await meeting.close()
            for socket, _ in people:
                await socket.ws.close()
