"""Chat a sender can rely on: every chat.send is acknowledged, and a resend is stored once."""

import json

import pytest
from asgiref.sync import sync_to_async

from rooms import events
from rooms.models import ChatMessage
from rooms.services.unit import Outcome
from signaling import delivery
from tests.factories import make_participant
from tests.signaling.client import Client

pytestmark = pytest.mark.django_db(transaction=True)


async def test_chat_send_is_acknowledged_with_the_id_everyone_sees(room):
    peer = await room.admitted_peer("Calm Heron")

    await peer.send({"type": "chat.send", "text": "hello", "client_id": "m-1"})

    ack = await peer.expect("chat.ack")
    assert ack["client_id"] == "m-1"
    mine = (await peer.expect("chat.message"))["message"]
    theirs = (await room.facilitator.expect("chat.message"))["message"]
    assert mine["id"] == theirs["id"] == ack["message_id"]
    assert theirs["text"] == "hello"


async def test_a_resend_after_a_dropped_socket_is_stored_once_and_acknowledged_again(room):
    peer = await room.admitted_peer("Calm Heron")
    await peer.send({"type": "chat.send", "text": "did this arrive?", "client_id": "m-7"})
    first = await peer.expect("chat.ack")
    await room.facilitator.expect("chat.message")
    await peer.close()

    back = Client(room.meeting.id, peer.token)
    await back.open()
    await back.expect("room.state")
    await back.send({"type": "chat.send", "text": "did this arrive?", "client_id": "m-7"})

    again = await back.expect("chat.ack")
    assert again["message_id"] == first["message_id"]
    redelivered = (await room.facilitator.expect("chat.message"))["message"]
    assert redelivered["id"] == first["message_id"]  # a page that has this id shows it once
    stored = await sync_to_async(list)(ChatMessage.objects.values_list("text", flat=True))
    assert stored == ["did this arrive?"]
    await back.close()


async def test_the_same_client_id_from_two_people_is_two_messages(room):
    one = await room.admitted_peer("Calm Heron")
    two = await room.admitted_peer("Bold Wren")
    await one.send({"type": "chat.send", "text": "from one", "client_id": "same"})
    await two.send({"type": "chat.send", "text": "from two", "client_id": "same"})
    ids = {
        (await one.expect("chat.ack"))["message_id"],
        (await two.expect("chat.ack"))["message_id"],
    }
    assert len(ids) == 2
    assert await sync_to_async(ChatMessage.objects.count)() == 2


async def test_chat_send_without_a_client_id_is_refused_and_not_stored(room):
    peer = await room.admitted_peer("Calm Heron")
    await peer.send_raw(json.dumps({"type": "chat.send", "text": "no id"}))
    assert (await peer.expect("error"))["code"] == "invalid_message"
    assert not await sync_to_async(ChatMessage.objects.exists)()


async def test_a_batching_client_gets_a_burst_of_room_events_in_order_in_fewer_frames(room):
    peer = await room.admitted_peer("Calm Heron")
    _, token = await sync_to_async(make_participant)(room.meeting, "Co Cedar", role="cofacilitator")
    batcher = Client(room.meeting.id, token)
    await batcher.ws.connect()
    await batcher.send({"type": "hello", "version": 1, "token": token, "batch": True})
    frames = []
    while not any('"room.state"' in f for f in frames):
        frames.append((await batcher.ws.receive_output(2))["text"])
    await batcher.ws.receive_nothing(0.3)  # checkin.state, participant.updated

    # one outcome with several events (as closing breakouts has): due within microseconds
    burst = [
        events.ChatMessage(
            message={
                "id": 1000 + n,
                "sender_id": peer.participant_id,
                "sender_name": "Calm Heron",
                "audience": "room",
                "kind": "text",
                "text": f"burst {n}",
                "sent_at": "2026-12-05T18:00:00+00:00",
            },
            to=events.ToMeeting(),
        )
        for n in range(8)
    ]
    await delivery.deliver(str(room.meeting.id), Outcome(events=burst))
    texts: list[str] = []
    arrays = 0
    while len(texts) < 8:
        parsed = json.loads((await batcher.ws.receive_output(3))["text"])
        arrays += isinstance(parsed, list)
        messages = parsed if isinstance(parsed, list) else [parsed]
        texts += [m["message"]["text"] for m in messages if m["type"] == "chat.message"]
    assert texts == [f"burst {n}" for n in range(8)]
    assert arrays >= 1  # at least two of them went out as one frame

    # a client that did not ask for batches gets the same burst one message a frame
    plain = [await peer.expect("chat.message") for _ in range(8)]
    assert [m["message"]["text"] for m in plain] == [f"burst {n}" for n in range(8)]
    await batcher.close()
