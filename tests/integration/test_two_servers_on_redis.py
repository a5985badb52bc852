"""Two daphne processes sharing the real Redis and PostgreSQL: the room spans both."""

import asyncio
import json

import pytest
import websockets

from tests import servers


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    logs = tmp_path_factory.mktemp("servers")
    with (
        servers.seeded_on_redis() as (env, demo),
        servers.daphne(env, logs / "a.log") as a,
        servers.daphne(env, logs / "b.log") as b,
    ):
        yield demo, a, b


class Socket:
    def __init__(self, ws) -> None:
        self.ws = ws

    async def expect(self, type_: str, timeout: float = 5) -> dict:
        async with asyncio.timeout(timeout):
            while True:
                message = json.loads(await self.ws.recv())
                if message["type"] == type_:
                    return message


async def open_socket(base_url: str, meeting_id: str, token: str) -> Socket:
    ws_url = base_url.replace("http://", "ws://") + f"/ws/meetings/{meeting_id}/"
    ws = await websockets.connect(ws_url, origin=base_url)
    await ws.send(json.dumps({"type": "hello", "version": 1, "token": token}))
    return Socket(ws)


async def test_admit_and_chat_cross_between_two_server_processes(two_servers):
    demo, server_a, server_b = two_servers
    cofac = await asyncio.to_thread(servers.facilitator_over_http, server_a, demo, "Co Cedar")
    peer = await asyncio.to_thread(servers.join_over_http, server_b, demo.peer_invite, "Calm Heron")
    assert peer["status"] == "lobby"

    on_a = await open_socket(server_a, demo.meeting_id, cofac["token"])
    await on_a.expect("room.state")
    on_b = await open_socket(server_b, demo.meeting_id, peer["token"])
    await on_b.expect("lobby.waiting")

    lobby = await on_a.expect("lobby.updated")
    assert [p["name"] for p in lobby["lobby"]] == ["Calm Heron"]
    await on_a.ws.send(
        json.dumps({"type": "lobby.admit", "participant_id": peer["participant_id"]})
    )
    await on_b.expect("lobby.admitted")
    await on_b.expect("room.state")

    await on_b.ws.send(
        json.dumps({"type": "chat.send", "text": "hello from server B", "client_id": "b-1"})
    )
    received = await on_a.expect("chat.message")
    assert received["message"]["text"] == "hello from server B"
    assert received["message"]["sender_name"] == "Calm Heron"

    await on_a.ws.close()
    await on_b.ws.close()
