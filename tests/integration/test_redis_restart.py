"""Redis restarted under two web processes (a Redis of the test's own, without persistence:
it comes back empty, its groups and leases gone). Nobody's socket crashes; each process
notices its lease is gone and asks its pages to reconnect (4503); they do, and chat flows
again, with no manual step."""

import asyncio
import time

import pytest

from tests import servers
from tests.integration.peers import connect


@pytest.mark.timeout(120)
async def test_after_a_redis_restart_pages_are_asked_to_reconnect_and_chat_flows(tmp_path):
    port = servers.free_port()
    redis_log = tmp_path / "redis.log"
    with (
        servers.own_redis(port, redis_log) as first_redis,
        servers.seeded_on_redis(redis_url=f"redis://127.0.0.1:{port}/0", MEDIA_ENABLED="false") as (
            env,
            demo,
        ),
        servers.daphne(env, tmp_path / "a.log") as server_a,
        servers.daphne(env, tmp_path / "b.log") as server_b,
    ):
        join = servers.facilitator_over_http
        who = {
            "talker": (server_a, await asyncio.to_thread(join, server_a, demo, "Talking Tern")),
            "watcher": (server_b, await asyncio.to_thread(join, server_b, demo, "Watch Wren")),
        }
        peers = {
            name: await connect(s, demo.meeting_id, p["token"]) for name, (s, p) in who.items()
        }
        await peers["talker"].send("chat.send", text="before")
        await peers["watcher"].expect(
            "chat.message", where=lambda m: m["message"]["text"] == "before"
        )

        first_redis.terminate()
        first_redis.wait(5)
        await asyncio.sleep(3)
        with servers.own_redis(port, redis_log):
            restarted = time.monotonic()
            for name, peer in peers.items():
                assert await peer.closed(timeout=10) == 4503, name
                server, joined = who[name]
                peers[name] = await connect(server, demo.meeting_id, joined["token"])
            await peers["talker"].send("chat.send", text="after")
            await peers["watcher"].expect(
                "chat.message", where=lambda m: m["message"]["text"] == "after"
            )
            assert time.monotonic() - restarted < 15
        for name in ("a.log", "b.log"):
            log = (tmp_path / name).read_text()
            assert "Exception inside application" not in log, log[-3000:]
