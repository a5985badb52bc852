"""PostgreSQL kills the server's connections (pg_terminate_backend, as a failover or an
operator does) again and again while people say hello and chat. Each hello ends in the room
or in the retry close 4500 (never an open socket without a welcome); each chat is either
stored and delivered or refused and not stored (nothing half-written); the moment the
killing stops, everything works again."""

import asyncio
import contextlib
import dataclasses
import threading
import time
from collections.abc import AsyncIterator
from urllib.parse import urlparse

import psycopg
import pytest
import websockets

from tests import servers
from tests.integration.peers import Peer, connect

STORM_SECONDS = 4
ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def _kill_connections_until(stop: threading.Event, database: str) -> int:
    killed = 0
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        while not stop.is_set():
            rows = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            ).fetchall()
            killed += len(rows)
            time.sleep(0.01)
    return killed


async def _chat_outcome(peer, text: str) -> str:
    seen = []
    async with asyncio.timeout(10):
        while True:
            try:
                message = await asyncio.wait_for(peer.messages.get(), 9)
            except TimeoutError:
                raise AssertionError(f"{text}: {seen} closed={peer.ws.close_code}") from None
            seen.append(message["type"])
            if message["type"] == "error":
                return "refused"
            if message["type"] == "chat.message" and message["message"]["text"] == text:
                return "delivered"


async def _hello_outcome(server: str, meeting_id: str, token: str) -> str:
    try:
        peer = await connect(server, meeting_id, token, expect=None)
    except websockets.ConnectionClosed as closed:  # before the hello went: opening failed
        assert closed.rcvd is not None and closed.rcvd.code == 4500, closed
        return "retry"
    async with asyncio.timeout(10):
        while True:
            if peer.reader.done() and peer.messages.empty():
                assert peer.ws.close_code == 4500, peer.ws.close_code
                return "retry"
            try:
                message = await asyncio.wait_for(peer.messages.get(), 0.2)
            except TimeoutError:
                continue
            if message["type"] == "room.state":
                await peer.ws.close()
                return "in"
            assert message["type"] in ("welcome", "checkin.state"), message


def _stored_texts(database_url: str) -> set[str]:
    with psycopg.connect(database_url.replace("postgres://", "postgresql://")) as c:
        return {row[0] for row in c.execute("SELECT text FROM rooms_chatmessage").fetchall()}


@dataclasses.dataclass
class _Room:
    server: str
    env: dict
    meeting_id: str
    database: str
    talker: Peer  # in the room
    comer_token: str  # joined over HTTP, no socket yet


@contextlib.asynccontextmanager
async def _room_on_postgres(tmp_path) -> AsyncIterator[_Room]:
    """One web process on its own PostgreSQL database and Redis, with someone in the room."""
    with (
        servers.seeded_on_redis(MEDIA_ENABLED="false") as (env, demo),
        servers.daphne(env, tmp_path / "a.log") as server,
    ):
        join = servers.facilitator_over_http
        talker_joined = await asyncio.to_thread(join, server, demo, "Talking Tern")
        comer = await asyncio.to_thread(join, server, demo, "Coming Crane")
        talker = await connect(server, demo.meeting_id, talker_joined["token"])
        await talker.expect("checkin.state")
        database = urlparse(env["DATABASE_URL"]).path.lstrip("/")
        yield _Room(server, env, demo.meeting_id, database, talker, comer["token"])


@pytest.mark.timeout(120)
async def test_killed_database_connections_leave_nothing_half_done_and_recover_at_once(tmp_path):
    async with _room_on_postgres(tmp_path) as room:
        server, talker = room.server, room.talker
        await asyncio.sleep(1)  # the rest of the hello (e.g. the breakout timer's check) done

        stop = threading.Event()
        storm = asyncio.create_task(asyncio.to_thread(_kill_connections_until, stop, room.database))
        chats: dict[str, str] = {}
        hellos: list[str] = []
        started = time.monotonic()
        i = 0
        try:
            while time.monotonic() - started < STORM_SECONDS:
                text = f"storm {i}"
                await talker.send("chat.send", text=text)
                chats[text] = await _chat_outcome(talker, text)
                hellos.append(await _hello_outcome(server, room.meeting_id, room.comer_token))
                i += 1
        finally:
            stop.set()
        killed = await storm
        assert killed > 0
        assert "retry" in hellos or "refused" in chats.values(), "the storm touched nothing"

        stored = await asyncio.to_thread(_stored_texts, room.env["DATABASE_URL"])
        for text, outcome in chats.items():
            assert (text in stored) == (outcome == "delivered"), (text, outcome)
        # recovery at once: the first hello and chat after the storm go through
        assert await _hello_outcome(server, room.meeting_id, room.comer_token) == "in"
        await talker.send("chat.send", text="calm again")
        assert await _chat_outcome(talker, "calm again") == "delivered"
        log = (tmp_path / "a.log").read_text()
        assert "Exception inside application" not in log, log[-3000:]


def _kill_all_once(database: str) -> int:
    """Every connection to `database` killed in one sweep (a failover, a restart); returns
    once those backends are gone (the server may already be making new ones)."""
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        pids = [
            pid
            for pid, killed in admin.execute(
                "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            ).fetchall()
            if killed
        ]
        for _ in range(100):
            left = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)
            ).fetchone()
            if left == (0,):
                break
            time.sleep(0.01)
    return len(pids)


@pytest.mark.timeout(120)
async def test_after_every_pooled_connection_dies_the_next_hello_gets_in(tmp_path):
    """A failover or restart: every idle connection in the web process's pool is dead, and
    the next person to say hello gets in (before, they waited out the pool's 3 s and were
    told to reconnect)."""
    async with _room_on_postgres(tmp_path) as room:
        server, talker = room.server, room.talker
        # several hellos at once: the web process holds several pooled connections
        hellos = [_hello_outcome(server, room.meeting_id, room.comer_token) for _ in range(8)]
        assert set(await asyncio.gather(*hellos)) == {"in"}
        await asyncio.sleep(1)  # the rest of those hellos done: the connections back, idle

        assert await asyncio.to_thread(_kill_all_once, room.database) >= 3
        # no reconnect: the pool finds its dead connections at once, not one a second
        assert await _hello_outcome(server, room.meeting_id, room.comer_token) == "in"
        await talker.send("chat.send", text="after the failover")
        assert await _chat_outcome(talker, "after the failover") == "delivered"
