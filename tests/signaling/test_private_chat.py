"""Private threads, content notes and removal over the socket."""

import pytest
from asgiref.sync import sync_to_async

from rooms.models import ChatMessage
from tests.signaling.client import Client

pytestmark = pytest.mark.django_db(transaction=True)


async def _two_peers(room):
    alice = await room.admitted_peer("Alice")
    bob = await room.admitted_peer("Bob")
    await alice.expect("participant.joined")
    return alice, bob


def _texts(state):
    return [m["text"] for m in state["chat"]]


async def test_a_private_reply_reaches_that_peer_and_the_facilitators_not_another_peer(room):
    alice, bob = await _two_peers(room)
    await room.facilitator.send(
        {
            "type": "chat.send",
            "text": "Thanks for saying. Want to talk after?",
            "audience": "facilitators",
            "thread_id": alice.participant_id,
            "client_id": "reply-1",
        }
    )
    ack = await room.facilitator.expect("chat.ack")
    assert ack["client_id"] == "reply-1"
    mine = (await room.facilitator.expect("chat.message"))["message"]
    got = (await alice.expect("chat.message"))["message"]
    assert got == mine and got["thread_id"] == alice.participant_id
    await bob.nothing_more()

    await alice.send({"type": "chat.send", "text": "Yes please", "audience": "facilitators"})
    answer = (await room.facilitator.expect("chat.message"))["message"]
    assert (answer["thread_id"], answer["text"]) == (alice.participant_id, "Yes please")
    await bob.nothing_more()

    # history after a reconnect: each sees only the threads they may
    alice_again = Client(room.meeting.id, alice.token)
    room.track(alice_again)
    await alice_again.open()
    assert _texts(await alice_again.expect("room.state")) == [got["text"], "Yes please"]
    bob_again = Client(room.meeting.id, bob.token)
    room.track(bob_again)
    await bob_again.open()
    assert _texts(await bob_again.expect("room.state")) == []


async def test_a_peer_cannot_post_into_another_peers_thread(room):
    alice, bob = await _two_peers(room)
    await bob.send(
        {
            "type": "chat.send",
            "text": "pretending",
            "audience": "facilitators",
            "thread_id": alice.participant_id,
            "client_id": "b1",
        }
    )
    error = await bob.expect("error")
    assert (error["code"], error["ref"]) == ("not_your_thread", "b1")
    await alice.nothing_more()
    await room.facilitator.nothing_more()
    assert not await sync_to_async(ChatMessage.objects.exists)()


async def test_a_room_message_with_a_thread_is_refused(room):
    alice, bob = await _two_peers(room)
    await bob.send(
        {"type": "chat.send", "text": "x", "audience": "room", "thread_id": alice.participant_id}
    )
    assert (await bob.expect("error"))["code"] == "thread_is_private"
    await alice.nothing_more()


async def test_a_content_note_travels_with_the_message_to_everyone(room):
    alice, bob = await _two_peers(room)
    await alice.send(
        {"type": "chat.send", "text": "hard week", "content_note": "mentions self-harm"}
    )
    for client in (alice, bob, room.facilitator):
        message = (await client.expect("chat.message"))["message"]
        assert (message["content_note"], message["text"]) == ("mentions self-harm", "hard week")


async def test_a_content_note_too_long_is_refused_and_not_stored(room):
    alice, bob = await _two_peers(room)
    await alice.send({"type": "chat.send", "text": "x", "content_note": "n" * 61})
    assert (await alice.expect("error"))["code"] == "content_note_too_long"
    await bob.nothing_more()
    assert not await sync_to_async(ChatMessage.objects.exists)()


async def test_a_removed_message_is_a_tombstone_live_and_for_a_late_joiner(room):
    alice, bob = await _two_peers(room)
    await alice.send({"type": "chat.send", "text": "something unkind"})
    message_id = (await bob.expect("chat.message"))["message"]["id"]
    await room.facilitator.expect("chat.message")

    await room.facilitator.send({"type": "chat.remove", "message_id": message_id})
    for client in (alice, bob, room.facilitator):
        assert (await client.expect("chat.removed"))["message_id"] == message_id

    late = await room.admitted_peer("Late Lark")
    (tombstone,) = next(m for m in late.seen if m["type"] == "room.state")["chat"]
    assert (tombstone["id"], tombstone["removed"], tombstone["text"]) == (message_id, True, "")
    stored = await sync_to_async(ChatMessage.objects.get)(id=message_id)
    assert stored.text == ""


async def test_a_peer_cannot_remove_a_message(room):
    alice, bob = await _two_peers(room)
    await alice.send({"type": "chat.send", "text": "mine"})
    message_id = (await bob.expect("chat.message"))["message"]["id"]
    await alice.expect("chat.message")
    await alice.send({"type": "chat.remove", "message_id": message_id})
    assert (await alice.expect("error"))["code"] == "forbidden"
    await bob.nothing_more()
    stored = await sync_to_async(ChatMessage.objects.get)(id=message_id)
    assert (stored.text, stored.removed_at) == ("mine", None)


async def test_removing_an_unknown_message_is_refused(room):
    await room.facilitator.send({"type": "chat.remove", "message_id": 424242})
    assert (await room.facilitator.expect("error"))["code"] == "message_not_found"


async def test_a_removed_private_message_is_announced_to_its_thread_only(room):
    alice, bob = await _two_peers(room)
    await alice.send({"type": "chat.send", "text": "private", "audience": "facilitators"})
    message_id = (await room.facilitator.expect("chat.message"))["message"]["id"]
    await alice.expect("chat.message")
    await room.facilitator.send({"type": "chat.remove", "message_id": message_id})
    assert (await alice.expect("chat.removed"))["message_id"] == message_id
    assert (await room.facilitator.expect("chat.removed"))["message_id"] == message_id
    await bob.nothing_more()


async def test_a_resent_private_reply_is_stored_once_and_redelivered_to_its_thread(room):
    alice, bob = await _two_peers(room)
    reply = {
        "type": "chat.send",
        "text": "We're here",
        "audience": "facilitators",
        "thread_id": alice.participant_id,
        "client_id": "same-1",
    }
    await room.facilitator.send(reply)
    first = (await alice.expect("chat.message"))["message"]["id"]
    await room.facilitator.send(reply)  # the ack was lost: the page sends it again
    assert (await room.facilitator.expect("chat.ack", client_id="same-1"))["message_id"] == first
    assert (await alice.expect("chat.message"))["message"]["id"] == first
    await bob.nothing_more()
    assert await sync_to_async(ChatMessage.objects.count)() == 1
