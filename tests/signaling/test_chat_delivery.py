"""Chat a sender can rely on: every chat.send is acknowledged, and a resend is stored once."""

import json

import pytest
from asgiref.sync import sync_to_async

from rooms.models import ChatMessage
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
