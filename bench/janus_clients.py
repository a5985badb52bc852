"""The benchmark's synthetic participants (synthetic_clients.py) joined to a Janus VideoRoom.

Same replayed VP8/Opus, same counting of what arrives; only the signalling differs. Janus
gives every participant two peer connections, as its VideoRoom does for a browser: a
publisher handle that receives the participant's camera and microphone, and one
subscriber handle (multistream, Janus 1.x) carrying every other publisher's audio and
video. Driven like synthetic_clients.py: prints "FLOWING", then "mark" / "report".
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import websockets
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcconfiguration import RTCBundlePolicy
from encoded_media import load
from receive_batching import ReceiveBatcher
from synthetic_clients import (
    BATCH,
    BATCH_INTERVAL,
    Participant,
    answer_commands,
    participants_parser,
)

from media.aiortc_private.ice import use_host_addresses
from media.aiortc_private.sender import route_keyframe_requests
from media.aiortc_private.transport import install_fast_receive

VIDEOROOM = "janus.plugin.videoroom"
KEEPALIVE_SECONDS = 20.0


class JanusError(RuntimeError):
    pass


class JanusSession:
    """One Janus session over the WebSocket API; requests are matched to replies by
    transaction (an asynchronous plugin request's reply is the event after its "ack")."""

    def __init__(self, socket) -> None:
        self.socket = socket
        self.transactions = (f"t{i}" for i in itertools.count())
        self.pending: dict[str, asyncio.Future] = {}
        self.session_id: int | None = None
        self.reading = asyncio.ensure_future(self._read_forever())
        self.keeping_alive: asyncio.Future | None = None

    @classmethod
    async def connect(cls, url: str) -> JanusSession:
        socket = await websockets.connect(
            url, subprotocols=["janus-protocol"], max_size=None, ping_interval=None
        )
        return cls(socket)

    @classmethod
    async def open(cls, url: str) -> JanusSession:
        session = await cls.connect(url)
        reply = await session.request({"janus": "create"})
        session.session_id = reply["data"]["id"]
        session.keeping_alive = asyncio.ensure_future(session._keep_alive())
        return session

    async def _read_forever(self) -> None:
        async for raw in self.socket:
            message = json.loads(raw)
            future = self.pending.get(message.get("transaction", ""))
            if future is None or message.get("janus") == "ack":
                continue  # ack of an asynchronous request, or webrtcup/media/slowlink notices
            del self.pending[message["transaction"]]
            if not future.done():
                future.set_result(message)

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(KEEPALIVE_SECONDS)
            await self.request({"janus": "keepalive"}, wait=False)

    async def request(self, message: dict, wait: bool = True) -> dict:
        transaction = next(self.transactions)
        message = {**message, "transaction": transaction}
        if self.session_id is not None:
            message["session_id"] = self.session_id
        future = asyncio.get_running_loop().create_future()
        if wait:
            self.pending[transaction] = future
        await self.socket.send(json.dumps(message))
        if not wait:
            return {}
        reply = await asyncio.wait_for(future, 30)
        if reply.get("janus") == "error":
            raise JanusError(f"{message['janus']}: {reply['error']}")
        return reply

    async def attach(self) -> int:
        reply = await self.request({"janus": "attach", "plugin": VIDEOROOM})
        return reply["data"]["id"]

    async def message(self, handle: int, body: dict, jsep: dict | None = None) -> dict:
        """A VideoRoom request; returns (plugin data, jsep or None)."""
        request = {"janus": "message", "handle_id": handle, "body": body}
        if jsep is not None:
            request["jsep"] = jsep
        reply = await self.request(request)
        data = reply.get("plugindata", {}).get("data", {})
        if "error" in data:
            raise JanusError(f"{body.get('request')}: {data['error']}")
        return {"data": data, "jsep": reply.get("jsep")}

    async def trickle_done(self, handle: int) -> None:
        # aiortc puts every candidate in its SDP: nothing trickles after it
        await self.request(
            {"janus": "trickle", "handle_id": handle, "candidate": {"completed": True}},
            wait=False,
        )

    async def close(self) -> None:
        if self.keeping_alive is not None:
            self.keeping_alive.cancel()
        with contextlib.suppress(websockets.ConnectionClosed):
            await self.request({"janus": "destroy"}, wait=False)
        self.reading.cancel()
        await self.socket.close()


class Control:
    """What synthetic_clients.Participant expects of its control connection."""

    def __init__(self, janus: JanusSession, room: int) -> None:
        self.janus = janus
        self.room = room
        self.participants: dict[str, JanusParticipant] = {}
        self.tasks: set[asyncio.Future] = set()
        self.batcher = ReceiveBatcher(BATCH_INTERVAL) if BATCH else None


class JanusParticipant(Participant):
    control: Control

    def __init__(self, pid, video, audio, control: Control) -> None:
        super().__init__(pid, video, audio, control)
        self.subscriber_pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self.feed_id: int | None = None

    @property
    def receiving_pc(self) -> RTCPeerConnection:
        return self.subscriber_pc

    async def _join(self) -> None:
        """Publish camera and microphone."""
        janus, room = self.control.janus, self.control.room
        self.join_started = time.time()
        handle = await janus.attach()
        joined = await janus.message(
            handle, {"request": "join", "ptype": "publisher", "room": room, "display": self.id}
        )
        self.feed_id = joined["data"]["id"]
        for track in (self.audio, self.video):
            transceiver = self.pc.addTransceiver(track, direction="sendonly")
            if track.kind == "video":
                route_keyframe_requests(transceiver.sender, track.keyframe)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = {"type": "offer", "sdp": self.pc.localDescription.sdp}
        reply = await janus.message(
            handle, {"request": "configure", "audio": True, "video": True}, offer
        )
        await janus.trickle_done(handle)
        await self.pc.setRemoteDescription(RTCSessionDescription(reply["jsep"]["sdp"], "answer"))
        self.join_done = time.time()

    async def subscribe(self, feeds: list[int]) -> None:
        """Receive every other publisher's audio and video on one connection."""
        janus, room = self.control.janus, self.control.room
        handle = await janus.attach()
        body = {
            "request": "join",
            "ptype": "subscriber",
            "room": room,
            "streams": [{"feed": feed} for feed in feeds],
        }
        attached = await janus.message(handle, body)
        self.mids = {
            s["mid"]: {"participant": s.get("feed_display", str(s.get("feed_id")))}
            for s in attached["data"]["streams"]
        }
        pc = self.subscriber_pc
        await pc.setRemoteDescription(RTCSessionDescription(attached["jsep"]["sdp"], "offer"))
        self._hook_receivers()
        await pc.setLocalDescription(await pc.createAnswer())
        for transport in {t.receiver.transport for t in pc.getTransceivers()}:
            install_fast_receive(transport, self.control.batcher.add if BATCH else None)
        answer = {"type": "answer", "sdp": pc.localDescription.sdp}
        await janus.message(handle, {"request": "start"}, answer)
        await janus.trickle_done(handle)

    async def close(self) -> None:
        await self.pc.close()
        await self.subscriber_pc.close()


async def publisher_feeds(janus: JanusSession, room: int, total: int) -> dict[str, int]:
    """display -> feed id, once all ``total`` participants publish (other processes too)."""
    handle = await janus.attach()
    while True:
        reply = await janus.message(handle, {"request": "listparticipants", "room": room})
        publishing = {
            p["display"]: p["id"] for p in reply["data"]["participants"] if p.get("publisher")
        }
        if len(publishing) >= total:
            return publishing
        await asyncio.sleep(0.2)


async def run(args) -> None:
    use_host_addresses(["127.0.0.1"])
    video, audio = load(Path(args.media))
    janus = await JanusSession.open(args.janus)
    control = Control(janus, args.room)
    ids = args.ids.split(",")
    for pid in ids:
        control.participants[pid] = JanusParticipant(pid, video, audio, control)
    for pid in ids:
        await control.participants[pid].join()
    feeds = await publisher_feeds(janus, args.room, args.total)
    for pid, participant in control.participants.items():
        await participant.subscribe([feed for name, feed in feeds.items() if name != pid])

    await answer_commands(control, args.total - 1)
    for p in control.participants.values():
        await p.close()
    await janus.close()


def main() -> None:
    parser = participants_parser()
    parser.add_argument("--janus", required=True, help="Janus WebSocket API, ws://HOST:PORT")
    parser.add_argument("--room", type=int, required=True)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
