"""An aiortc participant that negotiates with the relay through its signaling socket,
exactly as docs/protocol.md tells a browser to."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import websockets

from media import Renegotiate
from media.aiortc_private.ice import use_host_addresses
from tests.media import media_peers
from tests.signaling.client import Client

# aiortc logs a warning per undecodable frame while a page waits for a keyframe
logging.getLogger("aiortc").setLevel(logging.ERROR)


class CommunicatorTransport:
    """A test Client's in-process socket."""

    def __init__(self, client: Client) -> None:
        self.client = client

    async def send(self, message: dict) -> None:
        await self.client.send(message)

    async def receive(self) -> dict | None:
        # A timeout would kill the app, so wait (nearly) for ever; cancelled at close.
        output = await self.client.ws.receive_output(3600)
        if output["type"] == "websocket.close":
            return None
        return json.loads(output["text"])


class WebsocketTransport:
    """A real socket to a daphne process (the `websockets` library)."""

    def __init__(self, ws) -> None:
        self.ws = ws

    async def send(self, message: dict) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self) -> dict | None:
        try:
            return json.loads(await self.ws.recv())
        except websockets.ConnectionClosed:
            return None


class SocketMediaPeer(media_peers.Client):
    def __init__(self, socket, participant_id: str, number: int, **kwargs) -> None:
        # Test traffic stays on loopback: aioice would gather on eth0 too (and the relay
        # may live in another process, where its own setting does not reach us).
        use_host_addresses(["127.0.0.1"])
        super().__init__(None, participant_id, room="", number=number, **kwargs)
        self.socket = socket
        self.inbox: asyncio.Queue[dict] = asyncio.Queue()
        self.ready: dict | None = None
        self.seen: list = []  # what arrived, for failure messages
        self._ready = asyncio.Event()
        self._answers: asyncio.Queue[str] = asyncio.Queue()
        self.restarts = 0
        self._rejoining: asyncio.Future | None = None
        self._pump = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        # The only reader of this socket from now on.
        while True:
            message = await self.socket.receive()
            if message is None:
                return
            self.seen.append(message["type"] if message["type"] != "error" else message)
            match message["type"]:
                case "media.offer":
                    tracks = {
                        mid: {
                            "participant": t["participant_id"],
                            "kind": t["kind"],
                            "source": t["source"],
                        }
                        for mid, t in message["tracks"].items()
                    }
                    self._renegotiations.put_nowait(Renegotiate(self.id, message["sdp"], tracks))
                case "media.answer":
                    self._answers.put_nowait(message["sdp"])
                case "media.ready":
                    self.ready = message
                    self._ready.set()
                case "media.restart":
                    # what frontend/static/js/media.js does: a new connection, at once
                    self.restarts += 1
                    self._rejoining = asyncio.ensure_future(self.rejoin())
                case _:
                    self.inbox.put_nowait(message)

    async def _join_relay(self) -> None:
        self._ready.clear()
        await self.socket.send({"type": "media.join", "receive_video": self.receive_video})
        try:
            await asyncio.wait_for(self._ready.wait(), 10)
        except TimeoutError:
            raise AssertionError(f"no media.ready; saw {self.seen}") from None

    async def _offer(self, sdp: str) -> str:
        await self.socket.send({"type": "media.offer", "sdp": sdp})
        try:
            return await asyncio.wait_for(self._answers.get(), 10)
        except TimeoutError:
            raise AssertionError(f"no media.answer; saw {self.seen}") from None

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

    async def rejoin(self) -> None:
        """Starts media over on a new peer connection, publishing the same counters on."""
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        await self.pc.close()
        self.pc = self._new_pc()
        if self.video is not None:
            self.video = media_peers.CounterVideoTrack(first=self.video.counter)
        if self.audio is not None:
            self.audio = media_peers.ToneAudioTrack(self.audio.amplitude)
        self.mids, self._previous = {}, {}
        self._renegotiations = asyncio.Queue()
        self._answers = asyncio.Queue()
        await self.join()

    async def close(self) -> None:
        if self._rejoining is not None:
            self._rejoining.cancel()
        self._pump.cancel()
        with contextlib.suppress(BaseException):
            await self._pump
        await super().close()


class MediaMeeting:
    """Peers of one signaling test meeting, attributing received pictures by their counters."""

    def __init__(self) -> None:
        self.peers: list[SocketMediaPeer] = []

    def add(self, socket: Client, **kwargs) -> SocketMediaPeer:
        return self.add_transport(CommunicatorTransport(socket), socket.participant_id, **kwargs)

    async def facilitator_and_peer(
        self,
        room,
        name: str = "Calm Heron",
        *,
        media: str = "camera_mic",
        facilitator: dict | None = None,
        peer: dict | None = None,
    ) -> tuple[Client, SocketMediaPeer, SocketMediaPeer]:
        """``name`` admitted to ``room`` taking part as ``media``; then the facilitator's page
        and theirs (``facilitator`` / ``peer``: their SocketMediaPeer options) join media, in
        that order. The peer's socket and both pages."""
        peer_socket = await room.admitted_peer(name, media=media)
        fern = self.add(room.facilitator, **(facilitator or {}))
        their = self.add(peer_socket, **(peer or {}))
        await fern.join()
        await their.join()
        return peer_socket, fern, their

    def add_transport(self, transport, participant_id: str, **kwargs) -> SocketMediaPeer:
        peer = SocketMediaPeer(transport, participant_id, number=len(self.peers) + 1, **kwargs)
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
