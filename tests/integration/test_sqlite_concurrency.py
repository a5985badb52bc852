"""The embedded default (SQLite, one daphne) with a dozen people joining and leaving at once."""

import asyncio
import json
import sqlite3

import pytest
import websockets

from tests import servers

PEOPLE = 12


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("embedded")
    database = tmp / "meetings.sqlite3"
    env = servers.server_env(
        DATABASE_URL=f"sqlite://{database}",
        RECONNECT_GRACE_SECONDS="30",
        JOIN_RATE_PER_ADDRESS="1000/m",
    )
    servers.manage(env, "migrate", "-v0")
    demo = servers.seed_demo(env)
    # everyone comes in from the peer link, straight into the room (no lobby)
    servers.manage(
        env, "shell", "-c",
        f"from rooms.models import Meeting; "
        f"Meeting.objects.filter(id='{demo.meeting_id}').update(lobby_enabled=False)",
    )  # fmt: skip
    with servers.daphne(env, tmp / "daphne.log") as base_url:
        yield base_url, demo, database


async def _session(base_url: str, meeting_id: str, token: str):
    """Opens a socket and says hello; returns it with what came before room.state."""
    ws_url = base_url.replace("http://", "ws://") + f"/ws/meetings/{meeting_id}/"
    ws = await websockets.connect(ws_url, origin=base_url)
    await ws.send(json.dumps({"type": "hello", "version": 1, "token": token}))
    seen = []
    async with asyncio.timeout(20):
        while True:
            message = json.loads(await ws.recv())
            seen.append(message)
            if message["type"] in ("room.state", "error"):
                return ws, seen


def _online(database) -> set[str]:
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT id FROM rooms_participant WHERE connection = 'online'")
        return {row[0].replace("-", "") for row in rows}


async def test_a_dozen_join_and_leave_at_once_without_internal_errors(embedded):
    base_url, demo, database = embedded
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)

    async def arrive(i: int):
        joined = await asyncio.to_thread(
            servers.join_over_http, base_url, demo.peer_invite, f"Person {i}"
        )
        session = await _session(base_url, demo.meeting_id, joined["token"])
        return joined, session

    # Everyone joins and enters at once.
    arrivals = await asyncio.gather(*(arrive(i) for i in range(PEOPLE)))
    tokens = [joined["token"] for joined, _ in arrivals]
    ids = [joined["participant_id"].replace("-", "") for joined, _ in arrivals]
    first = [session for _, session in arrivals]
    for _ws, seen in first:
        assert seen[-1]["type"] == "room.state", seen
        assert not [m for m in seen if m["type"] == "error"], seen

    # Half leave while the other half drop and come back, and everyone chats meanwhile.
    leaving, staying = first[: PEOPLE // 2], first[PEOPLE // 2 :]
    for i, (ws, _) in enumerate(staying):
        await ws.send(json.dumps({"type": "chat.send", "text": "still here", "client_id": f"c{i}"}))
    closes = [ws.close() for ws, _ in leaving + staying]
    again = [_session(base_url, demo.meeting_id, t) for t in tokens[PEOPLE // 2 :]]
    results = await asyncio.gather(*closes, *again)
    second = results[len(closes) :]
    for _ws, seen in second:
        assert seen[-1]["type"] == "room.state", seen
        assert not [m for m in seen if m["type"] == "error"], seen

    # Those with no socket are not online; those with one are.
    async with asyncio.timeout(10):
        while _online(database) != set(ids[PEOPLE // 2 :]):
            await asyncio.sleep(0.1)
    for ws, _ in second:
        await ws.close()
    # Well within the 30 s grace, so this is the goodbyes being recorded (or a lost one
    # found by the process's presence sweep), not the grace expiring.
    async with asyncio.timeout(10):
        while _online(database):
            await asyncio.sleep(0.1)
