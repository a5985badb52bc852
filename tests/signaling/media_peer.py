"""An aiortc participant that negotiates with the relay through its signaling socket,
exactly as docs/protocol.md tells a browser to."""

from __future__ import annotations

import asyncio
import contextlib
import json

from media import Renegotiate
from tests.media import media_peers
from tests.signaling.client import Client


class SocketMediaPeer(media_peers.Client):
    def __init__(self, socket: Client, number: int, **kwargs) -> None:
        super().__init__(None, socket.participant_id, room="", number=number, **kwargs)
        self.socket = socket
        self.inbox: asyncio.Queue[dict] = asyncio.Queue()
        self.ready: dict | None = None
        self.close_code: int | None = None
        self._ready = asyncio.Event()
        self._answers: asyncio.Queue[str] = asyncio.Queue()
        self._pump = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        # The only reader of this socket from now on; a timeout would kill the app.
        while True:
            output = await self.socket.ws.receive_output(3600)
            if output["type"] == "websocket.close":
                self.close_code = output.get("code")
                return
            message = json.loads(output["text"])
            match message["type"]:
                case "media.offer":
                    tracks = {
                        mid: {"participant": t["participant_id"], "kind": t["kind"]}
                        for mid, t in message["tracks"].items()
                    }
                    self._renegotiations.put_nowait(Renegotiate(self.id, message["sdp"], tracks))
                case "media.answer":
                    self._answers.put_nowait(message["sdp"])
                case "media.ready":
                    self.ready = message
                    self._ready.set()
                case _:
                    self.inbox.put_nowait(message)

    async def _join_relay(self) -> None:
        self._ready.clear()
        await self.socket.send({"type": "media.join", "receive_video": self.receive_video})
        await asyncio.wait_for(self._ready.wait(), 5)

    async def _offer(self, sdp: str) -> str:
        await self.socket.send({"type": "media.offer", "sdp": sdp})
        return await asyncio.wait_for(self._answers.get(), 5)

    async def _answer(self, sdp: str) -> None:
        await self.socket.send({"type": "media.answer", "sdp": sdp})

    async def expect(self, type_: str, timeout: float = 5, **match) -> dict:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                message = await asyncio.wait_for(self.inbox.get(), max(remaining, 0.001))
            except TimeoutError:
                raise AssertionError(f"no {type_} {match} within {timeout}s") from None
            if message["type"] == type_ and all(message.get(k) == v for k, v in match.items()):
                return message

    async def close(self) -> None:
        self._pump.cancel()
        with contextlib.suppress(BaseException):
            await self._pump
        await super().close()


class MediaMeeting:
    """Peers of one signaling test meeting, attributing received pictures by their counters."""

    def __init__(self) -> None:
        self.peers: list[SocketMediaPeer] = []

    def add(self, socket: Client, **kwargs) -> SocketMediaPeer:
        peer = SocketMediaPeer(socket, number=len(self.peers) + 1, **kwargs)
        peer.owner_of = self.owner_of
        self.peers.append(peer)
        return peer

    def owner_of(self, counter: int) -> str | None:
        for peer in self.peers:
            if peer.number == counter // media_peers.COUNTER_RANGE:
                return peer.id
        return None

    async def close(self) -> None:
        for peer in self.peers:
            await peer.close()
