"""What the media worker tells one person arrives in the order it was produced, over the
Redis channel layer: the relay's first offer never overtakes the answer to the person's own
offer, even when sending that answer is slow (a busy Redis connection, a slow round trip).

Real parts: the Redis channel layer, signaling's GroupOutbox, the worker and its relay,
aiortc peers. The plans (who may join) are a stand-in: no database is exercised here."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from channels_redis.core import RedisChannelLayer

from media import RelayConfig
from media.aiortc_private.ice import restore_host_addresses
from media.commands import command_message
from media.worker import MediaWorker
from signaling.groups import participant_group
from signaling.media_bridge import GroupOutbox
from tests.fakes import FakeChannels, FakePlans, Plan
from tests.media.media_peers import wait_for
from tests.signaling.media_peer import MediaMeeting

MEETING = str(uuid.uuid4())


class SlowAnswers:
    """The real layer, with every media.answer taking 150 ms longer to send than the rest."""

    def __init__(self, layer: RedisChannelLayer) -> None:
        self.layer = layer

    async def group_send(self, group: str, message: dict) -> None:
        if message["message"]["type"] == "media.answer":
            await asyncio.sleep(0.15)
        await self.layer.group_send(group, message)


class WorkerTransport:
    """A page's socket, reduced to media: frames become worker commands, and what the
    worker sends to the person's group comes back in arrival order."""

    def __init__(self, layer, commands: FakeChannels, participant_id: str) -> None:
        self.layer, self.commands, self.pid = layer, commands, participant_id
        self.channel: str | None = None
        self.arrived: list[str] = []

    async def open(self) -> None:
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(participant_group(self.pid), self.channel)

    async def send(self, message: dict) -> None:
        op = message["type"].removeprefix("media.")
        data = {k: v for k, v in message.items() if k != "type"}
        await self.commands.send("media-relay-t", command_message(MEETING, op, self.pid, **data))

    async def receive(self) -> dict:
        message = (await self.layer.receive(self.channel))["message"]
        self.arrived.append(message["type"])
        return message


@pytest.fixture
async def deployment():
    layer = RedisChannelLayer(
        hosts=["redis://127.0.0.1:6379/0"], prefix=f"test-rel-media-{uuid.uuid4().hex[:8]}"
    )
    commands = FakeChannels()
    fern, lark = str(uuid.uuid4()), str(uuid.uuid4())
    plans = FakePlans({MEETING: {fern: Plan(f"{MEETING}/main"), lark: Plan(f"{MEETING}/main")}})
    worker = MediaWorker(
        ["media-relay-t"],
        RelayConfig(host_addresses=["127.0.0.1"]),
        plans=plans,
        outbox=GroupOutbox(SlowAnswers(layer)),
        receive=commands.receive,
    )
    worker.start()
    meeting = MediaMeeting()
    yield layer, commands, meeting, fern, lark
    await meeting.close()
    await worker.stop()
    await layer.flush()
    restore_host_addresses()


async def test_the_relays_first_offer_never_overtakes_the_answer_to_your_offer(deployment):
    layer, commands, meeting, fern, lark = deployment
    peers = {}
    for pid in (fern, lark):
        transport = WorkerTransport(layer, commands, pid)
        await transport.open()
        peers[pid] = (meeting.add_transport(transport, pid), transport)
    (fern_peer, fern_socket), (lark_peer, lark_socket) = peers[fern], peers[lark]
    await fern_peer.join()
    # lark joins a room where fern already publishes: the relay offers lark fern's
    # tracks right after answering lark's own offer
    await lark_peer.join()
    await wait_for(lambda: len(lark_peer.counters_from(fern)) > 5, timeout=15)
    await wait_for(lambda: len(fern_peer.counters_from(lark)) > 5, timeout=15)
    for socket in (fern_socket, lark_socket):
        negotiation = [t for t in socket.arrived if t in ("media.answer", "media.offer")]
        assert negotiation[0] == "media.answer", socket.arrived
