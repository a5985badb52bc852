"""A scripted page for integration tests: one socket, every message kept in arrival order,
pings answered as the page answers them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid

import websockets

from tests import servers


class Peer:
    def __init__(self, ws) -> None:
        self.ws = ws
        self.messages: asyncio.Queue[dict] = asyncio.Queue()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for frame in self.ws:
                message = json.loads(frame)
                if message["type"] == "ping":
                    await self.ws.send(json.dumps({"type": "pong"}))
                await self.messages.put(message)

    async def send(self, type_: str, **fields) -> None:
        if type_ == "chat.send":
            fields.setdefault("client_id", uuid.uuid4().hex)  # as the page: new for each message
        await self.ws.send(json.dumps({"type": type_, **fields}))

    async def expect(self, type_: str, timeout: float = 10, where=lambda m: True) -> dict:
        async with asyncio.timeout(timeout):
            while True:
                message = await self.messages.get()
                if message["type"] == type_ and where(message):
                    return message

    async def closed(self, timeout: float = 10) -> int | None:
        """Waits for the server to close the socket; its close code."""
        async with asyncio.timeout(timeout):
            await self.reader
        return self.ws.close_code


async def connect(base_url: str, meeting_id: str, token: str, expect="room.state") -> Peer:
    ws_url = base_url.replace("http://", "ws://") + f"/ws/meetings/{meeting_id}/"
    ws = await websockets.connect(ws_url, origin=base_url)
    await ws.send(json.dumps({"type": "hello", "version": 1, "token": token}))
    peer = Peer(ws)
    if expect:
        await peer.expect(expect)
    return peer


async def watcher_and_two_to_move(
    server_a: str, server_b: str, demo: servers.Demo, names: tuple[str, str]
) -> tuple[Peer, dict, dict]:
    """Watch Wren joins on ``server_b`` and connects there, to see what the others go
    through; the two ``names`` join over HTTP on ``server_a`` (their sockets are the
    test's to open). Wren's socket and the two joins."""
    join = servers.facilitator_over_http
    wren = await asyncio.to_thread(join, server_b, demo, "Watch Wren")
    first = await asyncio.to_thread(join, server_a, demo, names[0])
    second = await asyncio.to_thread(join, server_a, demo, names[1])
    watcher = await connect(server_b, demo.meeting_id, wren["token"])
    return watcher, first, second
