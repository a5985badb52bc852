"""Two media worker processes on real Redis and PostgreSQL, two web processes, real aiortc
peers negotiating through their sockets: the meeting's worker dies (kill -9) or is stopped
(SIGTERM), and media flows again on the other worker without anyone reloading."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
import uuid
from collections import Counter

import pytest
from redis.asyncio import Redis

from media.registry import Registry
from tests import servers
from tests.integration.media_pages import two_pages_with_media
from tests.integration.test_two_servers_on_redis import open_socket
from tests.media.media_peers import wait_for
from tests.signaling.media_peer import MediaMeeting, WebsocketTransport

REDIS_URL = "redis://127.0.0.1:6379/0"


@contextlib.contextmanager
def deployment(tmp_path):
    with (
        servers.seeded_on_redis(MEDIA_IN_PROCESS="false", MEDIA_HOST_ADDRESSES="127.0.0.1") as (
            env,
            demo,
        ),
        servers.media_worker({**env, "LOG_LEVEL": "INFO"}, tmp_path / "w1.log") as w1,
        servers.media_worker({**env, "LOG_LEVEL": "INFO"}, tmp_path / "w2.log") as w2,
        servers.daphne(env, tmp_path / "a.log") as a,
        servers.daphne(env, tmp_path / "b.log") as b,
    ):
        workers = {
            servers.worker_id(tmp_path / "w1.log"): (w1, tmp_path / "w1.log"),
            servers.worker_id(tmp_path / "w2.log"): (w2, tmp_path / "w2.log"),
        }
        yield env, demo, workers, a, b


async def meeting_worker(env: dict, meeting_id: str) -> str:
    client = Redis.from_url(REDIS_URL)
    try:
        placed = await client.get(f"{env['CHANNEL_PREFIX']}:media:m:{meeting_id}")
    finally:
        await client.aclose()
    assert placed is not None, "the meeting was never placed on a worker"
    return placed.decode()


async def media_flows_again(a, b, since: float) -> float:
    """Seconds from ``since`` until each peer got 5 new pictures from the other."""

    def fresh(peer, publisher) -> int:
        received = peer.received.get(publisher)
        return sum(1 for at, _ in received.counters if at > since) if received else 0

    await wait_for(lambda: fresh(a, b.id) >= 5 and fresh(b, a.id) >= 5, timeout=10)
    return time.monotonic() - since


def logs_of(workers) -> str:
    return "\n".join(f"--- {log}:\n{log.read_text()[-2500:]}" for _, log in workers.values())


@pytest.mark.parametrize("how", ["kill", "sigterm"])
async def test_media_comes_back_within_10_s_when_the_meetings_worker_goes(tmp_path, how):
    with deployment(tmp_path) as (env, demo, workers, server_a, server_b):
        pages = await two_pages_with_media(demo, server_a, server_b)
        a, b = pages.a, pages.b
        try:
            first = await meeting_worker(env, demo.meeting_id)
            process, _ = workers[first]
            gone = time.monotonic()
            if how == "kill":
                process.send_signal(signal.SIGKILL)
            else:
                process.send_signal(signal.SIGTERM)
            took = await media_flows_again(a, b, gone)
            print(f"media back after {how}: {took:.1f} s")
            assert a.restarts >= 1 and b.restarts >= 1  # nobody reloaded: told by the server
            assert a.mislabelled == b.mislabelled == 0
            second = await meeting_worker(env, demo.meeting_id)
            assert second != first and second in workers
            if how == "sigterm":
                # the stopped worker handed over and exited within 10 s
                await asyncio.to_thread(process.wait, 10 - (time.monotonic() - gone))
                assert process.returncode == 0
        except AssertionError as failure:
            raise AssertionError(f"{failure}\n{logs_of(workers)}") from None
        finally:
            await pages.close()


async def test_media_comes_back_when_the_only_worker_is_killed_and_started_again(tmp_path):
    """docker-compose's shape: one worker, restarted by its supervisor after a crash."""
    with (
        servers.seeded_on_redis(MEDIA_IN_PROCESS="false", MEDIA_HOST_ADDRESSES="127.0.0.1") as (
            env,
            demo,
        ),
        servers.media_worker(env, tmp_path / "old.log") as old,
        servers.daphne(env, tmp_path / "a.log") as server_a,
        servers.daphne(env, tmp_path / "b.log") as server_b,
    ):
        pages = await two_pages_with_media(demo, server_a, server_b)
        a, b = pages.a, pages.b
        try:
            old.send_signal(signal.SIGKILL)
            await asyncio.to_thread(old.wait, 5)
            restarted = time.monotonic()
            with servers.media_worker(env, tmp_path / "new.log"):
                took = await media_flows_again(a, b, restarted)
                print(f"media back {took:.1f} s after the new worker started")
                assert a.restarts >= 1 and b.restarts >= 1
                new_id = servers.worker_id(tmp_path / "new.log")
                assert await meeting_worker(env, demo.meeting_id) == new_id
        finally:
            await pages.close()


async def test_two_workers_share_new_meetings_and_each_meeting_stays_put(tmp_path):
    with (
        servers.seeded_on_redis(MEDIA_IN_PROCESS="false") as (env, _),
        servers.media_worker(env, tmp_path / "w1.log"),
        servers.media_worker(env, tmp_path / "w2.log"),
    ):
        ids = {servers.worker_id(tmp_path / "w1.log"), servers.worker_id(tmp_path / "w2.log")}
        # what a web process does for each command (signaling.media_bridge.registry)
        registry = Registry(lambda: Redis.from_url(REDIS_URL), env["CHANNEL_PREFIX"])
        meetings = [str(uuid.uuid4()) for _ in range(6)]
        try:
            placed = [(await registry.place(m)).worker for m in meetings]
            assert set(placed) == ids and sorted(Counter(placed).values()) == [3, 3]
            await asyncio.sleep(1.5)  # both renew their leases meanwhile
            assert [(await registry.place(m)).worker for m in meetings] == placed
        finally:
            await registry.close()


async def test_a_web_process_dies_with_the_meetings_relay_and_media_moves_to_another(tmp_path):
    """Relays inside the web processes (MEDIA_IN_PROCESS) on Redis: the process whose relay
    carries the meeting is killed; the person on the other process gets media back by
    themselves, and the one whose socket died comes back through the survivor."""
    with (
        servers.seeded_on_redis(MEDIA_HOST_ADDRESSES="127.0.0.1") as (env, demo),
        servers.daphne(env, tmp_path / "a.log") as server_a,
        servers.daphne_process(env, tmp_path / "b.log") as (server_b, b_process),
    ):
        joined = {}
        for name, server in (("heron", server_b), ("cedar", server_a)):
            joined[name] = await asyncio.to_thread(
                servers.facilitator_over_http, server, demo, name.title()
            )
        sockets = {}
        for name, server in (("heron", server_b), ("cedar", server_a)):
            sockets[name] = await open_socket(server, demo.meeting_id, joined[name]["token"])
            await sockets[name].expect("room.state")
        meeting = MediaMeeting()
        try:
            heron = meeting.add_transport(
                WebsocketTransport(sockets["heron"].ws), joined["heron"]["participant_id"]
            )
            cedar = meeting.add_transport(
                WebsocketTransport(sockets["cedar"].ws), joined["cedar"]["participant_id"]
            )
            await heron.join()  # first media command: B's relay starts and takes the meeting
            await cedar.join()
            await wait_for(lambda: len(cedar.counters_from(heron.id)) > 5, timeout=15)
            b_process.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            # heron's page reconnects, to the surviving process, and starts media again
            socket = await open_socket(server_a, demo.meeting_id, joined["heron"]["token"])
            await socket.expect("room.state")
            sockets["heron again"] = socket
            heron_again = meeting.add_transport(WebsocketTransport(socket.ws), heron.id)
            await heron_again.join()
            took = await media_flows_again(cedar, heron_again, killed)
            print(f"media back {took:.1f} s after the web process with the relay was killed")
            assert cedar.restarts >= 1  # cedar never reconnected: told by the server
        finally:
            await meeting.close()
            for socket in sockets.values():
                await socket.ws.close()
