"""Many sockets of one web process closing at the same moment (a network blip, a tab-closing
evening) with far fewer Redis connections than goodbyes in flight: every goodbye waits for a
free connection instead of failing (redis-py's own pool raised MaxConnectionsError and left
about half of 500 people online), so everyone is marked reconnecting by their own socket."""

import asyncio
import time

import psycopg
import pytest

from tests import servers
from tests.integration.peers import connect

PEOPLE = 150


def _online_count(database_url: str) -> int:
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as c:
        return c.execute(
            "SELECT count(*) FROM rooms_participant WHERE connection = 'online'"
        ).fetchone()[0]


@pytest.mark.timeout(180)
async def test_every_goodbye_of_many_sockets_closing_together_is_recorded(tmp_path):
    with (
        servers.seeded_on_redis(
            MEDIA_ENABLED="false",
            REDIS_MAX_CONNECTIONS="4",
            JOIN_RATE_PER_ADDRESS="100000/m",
            JOIN_RATE_PER_DEVICE="100000/m",
        ) as (env, demo),
        servers.daphne(env, tmp_path / "a.log") as server,
    ):
        tokens = [
            (await asyncio.to_thread(servers.join_over_http, server, demo.peer_invite, f"Pal {i}"))[
                "token"
            ]
            for i in range(PEOPLE)
        ]
        peers = [
            await connect(server, demo.meeting_id, token, expect="lobby.waiting")
            for token in tokens
        ]
        assert await asyncio.to_thread(_online_count, env["DATABASE_URL"]) == PEOPLE

        await asyncio.gather(*(peer.ws.close() for peer in peers))
        closed = time.monotonic()
        while await asyncio.to_thread(_online_count, env["DATABASE_URL"]):
            assert time.monotonic() - closed < 20, "people left online"
            await asyncio.sleep(0.2)
        log = (tmp_path / "a.log").read_text()
        for trouble in ("goodbye failed", "leaving groups failed", "retrying", "Exception"):
            assert trouble not in log, log[-3000:]
