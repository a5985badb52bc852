"""Text-only participants over a real WebSocket: the cheapest real people that get a tile.

Each joins over HTTP as the join page does, says hello with its token, answers pings and
otherwise just listens; they live on one event loop in a background thread."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
import time

import websockets

from tests import servers


class TextPeers:
    def __init__(self, base_url: str, meeting_id: str, invite: str) -> None:
        self.base_url, self.meeting_id, self.invite = base_url, meeting_id, invite
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.tasks: list = []

    def add(self, name: str) -> None:
        """Joins `name` and returns once the server has answered its hello."""
        token = servers.join_over_http(self.base_url, self.invite, name, "text_only")["token"]
        greeted = concurrent.futures.Future()
        task = asyncio.run_coroutine_threadsafe(self._run(token, greeted), self.loop)
        self.tasks.append(task)
        try:
            greeted.result(timeout=20)
        except concurrent.futures.TimeoutError:
            raise AssertionError(
                f"{name} got no answer: {task.exception(0) if task.done() else 'still waiting'}"
            ) from None

    async def _run(self, token: str, greeted: concurrent.futures.Future) -> None:
        url = self.base_url.replace("http", "ws", 1) + f"/ws/meetings/{self.meeting_id}/"
        async with websockets.connect(url, origin=self.base_url) as ws:
            await ws.send(json.dumps({"type": "hello", "version": 1, "token": token}))
            async for raw in ws:
                message = json.loads(raw)
                if not greeted.done():
                    greeted.set_result(message["type"])
                if message["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong"}))

    def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        time.sleep(0.2)  # the sockets close before the loop stops
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
