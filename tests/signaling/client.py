"""A test-side participant socket speaking the protocol through WebsocketCommunicator."""

from __future__ import annotations

import asyncio
import json
import uuid

from channels.testing import WebsocketCommunicator

from meetings.asgi import application


class Client:
    def __init__(self, meeting_id, token: str | None = None, address: str | None = None) -> None:
        self.token = token
        self.ws = WebsocketCommunicator(
            application,
            f"/ws/meetings/{meeting_id}/",
            headers=[(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")],
        )
        if address is not None:  # as daphne sets it; without one, nothing is counted per address
            self.ws.scope["client"] = (address, 50000)
        self.seen: list[dict] = []

    async def open(self, hello: bool = True) -> Client:
        connected, _ = await self.ws.connect()
        assert connected
        if hello:
            await self.send({"type": "hello", "version": 1, "token": self.token})
        return self

    async def send(self, message: dict) -> None:
        if message["type"] == "chat.send" and "client_id" not in message:
            # like the page: a fresh id for each message, unless the test names one
            message = {**message, "client_id": uuid.uuid4().hex}
        await self.ws.send_to(text_data=json.dumps(message))

    async def send_raw(self, text: str) -> None:
        await self.ws.send_to(text_data=text)

    async def next(self, timeout: float = 2) -> dict:
        output = await self.ws.receive_output(timeout)
        if output["type"] == "websocket.close":
            raise ConnectionClosed(output.get("code"))
        message = json.loads(output["text"])
        self.seen.append(message)
        return message

    async def expect(self, type_: str, timeout: float = 2, **match) -> dict:
        """Skips other messages until one of this type (and matching fields) arrives."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise AssertionError(f"no {type_} {match} within {timeout}s; saw {self.seen[-5:]}")
            message = await self.next(remaining)
            if message["type"] == type_ and all(message.get(k) == v for k, v in match.items()):
                return message

    async def expect_close(self, timeout: float = 3) -> int | None:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                await self.next(max(0.01, deadline - asyncio.get_running_loop().time()))
            except ConnectionClosed as closed:
                return closed.code

    async def drain(self, quiet: float = 0.3) -> list[dict]:
        """Everything that arrives until the socket has been quiet for `quiet` seconds."""
        drained = []
        while not await self.ws.receive_nothing(quiet):
            drained.append(await self.next())
        return drained

    async def nothing_more(self, wait: float = 0.3) -> None:
        while not await self.ws.receive_nothing(wait):
            message = await self.next()
            # heartbeat pings come whenever a slow machine lets a test idle past them, and a
            # facilitator's share of voice every few seconds while the meeting has media
            assert message["type"] in ("ping", "voice.share"), f"unexpected: {message}"

    async def close(self) -> None:
        await self.ws.disconnect()


class ConnectionClosed(Exception):
    def __init__(self, code) -> None:
        super().__init__(code)
        self.code = code
