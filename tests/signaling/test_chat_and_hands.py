import pytest
from asgiref.sync import sync_to_async

from rooms.models import ChatMessage
from rooms.services import invites
from rooms.services import meetings as meeting_services
from tests.signaling.client import Client

pytestmark = pytest.mark.django_db(transaction=True)


async def test_room_chat_reaches_everyone_and_is_stored_first(room):
    peer = await room.admitted_peer("Calm Heron")

    await peer.send({"type": "chat.send", "text": "  Hello everyone  "})

    for client in (peer, room.facilitator):
        message = (await client.expect("chat.message"))["message"]
        assert (message["sender_name"], message["text"], message["audience"]) == (
            "Calm Heron",
            "Hello everyone",
            "room",
        )
    stored = await sync_to_async(list)(ChatMessage.objects.values_list("text", flat=True))
    assert stored == ["Hello everyone"]


async def test_private_message_reaches_only_facilitators_and_its_sender(room):
    sender = await room.admitted_peer("Calm Heron")
    bystander = await room.admitted_peer("Bold Wren")
    await sender.expect("participant.joined")

    await sender.send(
        {"type": "chat.send", "text": "I'm struggling today", "audience": "facilitators"}
    )

    seen_by_facilitator = (await room.facilitator.expect("chat.message"))["message"]
    assert seen_by_facilitator["audience"] == "facilitators"
    assert (await sender.expect("chat.message"))["message"]["text"] == "I'm struggling today"
    await bystander.nothing_more()


async def test_late_joiner_gets_last_200_messages_oldest_first_without_others_private(room):
    peer = await room.admitted_peer("Calm Heron")
    await sync_to_async(_store_messages)(room.meeting, peer.participant_id, 205)
    await peer.send({"type": "chat.send", "text": "private note", "audience": "facilitators"})
    await peer.expect("chat.message")

    late = await room.admitted_peer("Late Lark")
    history = next(m for m in late.seen if m["type"] == "room.state")["chat"]
    assert len(history) == 200
    assert history[0]["text"] == "message 5"
    assert history[-1]["text"] == "message 204"

    owner_view = await room.connect("Owner Again", role="facilitator")  # the owner's second seat
    state = await owner_view.expect("room.state")
    assert state["chat"][-1]["text"] == "private note"


async def test_cofacilitator_confirmed_later_does_not_get_earlier_private_messages(room):
    peer = await room.admitted_peer("Calm Heron")
    present = await room.connect("Early Elm", role="cofacilitator")
    await present.expect("room.state")
    await peer.send({"type": "chat.send", "text": "before you came", "audience": "facilitators"})
    assert (await present.expect("chat.message"))["message"]["text"] == "before you came"

    link = await sync_to_async(invites.link_new)(meeting=room.meeting, role="cofacilitator")
    participant, token = await sync_to_async(meeting_services.participant_create)(
        meeting=room.meeting, display_name="Late Larch", media="text_only",
        role="cofacilitator", agreement_accepted=True, link=link,
    )  # fmt: skip
    late = Client(room.meeting.id, token)
    room.track(late)
    await late.open()
    await late.expect("lobby.waiting")
    await room.facilitator.send({"type": "lobby.admit", "participant_id": str(participant.id)})
    history = (await late.expect("room.state"))["chat"]
    assert [m["text"] for m in history if m["audience"] == "facilitators"] == []

    await peer.send({"type": "chat.send", "text": "after you came", "audience": "facilitators"})
    assert (await late.expect("chat.message"))["message"]["text"] == "after you came"
    again = await room.connect("Late Larch Again", role="facilitator")  # the owner's own seat
    owner_history = (await again.expect("room.state"))["chat"]
    assert [m["text"] for m in owner_history] == ["before you came", "after you came"]


async def test_peer_promoted_after_a_private_message_does_not_get_it_in_history(room):
    sender = await room.admitted_peer("Calm Heron")
    promoted = await room.admitted_peer("Kind Otter")
    await sender.send({"type": "chat.send", "text": "only for you two", "audience": "facilitators"})
    await sender.expect("chat.message")

    await room.facilitator.send(
        {"type": "role.set", "participant_id": promoted.participant_id, "role": "cofacilitator"}
    )
    fresh = await promoted.expect("room.state")
    assert [m["text"] for m in fresh["chat"]] == []

    await sender.send({"type": "chat.send", "text": "now for you too", "audience": "facilitators"})
    await promoted.expect("chat.message")
    again = Client(room.meeting.id, promoted.token)  # the same person, from a new socket
    room.track(again)
    await again.open()
    assert [m["text"] for m in (await again.expect("room.state"))["chat"]] == ["now for you too"]


def _store_messages(meeting, sender_id, count):
    ChatMessage.objects.bulk_create(
        ChatMessage(meeting=meeting, sender_id=sender_id, text=f"message {i}") for i in range(count)
    )


async def test_hand_queue_keeps_raise_order_and_facilitator_can_lower(room):
    first = await room.admitted_peer("First Fern")
    second = await room.admitted_peer("Second Sparrow")

    await second.send({"type": "hand.raise"})
    await room.facilitator.expect("hands.updated", queue=[second.participant_id])
    await first.send({"type": "hand.raise"})
    queue = (await room.facilitator.expect("hands.updated"))["queue"]
    assert queue == [second.participant_id, first.participant_id]

    await second.send({"type": "hand.raise"})  # raising again keeps the place
    await room.facilitator.send({"type": "hand.lower", "participant_id": second.participant_id})
    update = await first.expect("hands.updated", queue=[first.participant_id])
    assert update["queue"] == [first.participant_id]


async def test_peer_cannot_lower_someone_elses_hand(room):
    first = await room.admitted_peer("First Fern")
    second = await room.admitted_peer("Second Sparrow")
    await first.send({"type": "hand.raise"})
    await second.expect("hands.updated")
    await first.drain()

    await second.send({"type": "hand.lower", "participant_id": first.participant_id})

    assert (await second.expect("error"))["code"] == "forbidden"
    await first.nothing_more()


async def test_lobby_peer_cannot_chat_or_raise_hand(room):
    waiting = await room.connect("Waiting Willow")
    await waiting.expect("lobby.waiting")
    await waiting.send({"type": "chat.send", "text": "hi"})
    assert (await waiting.expect("error"))["code"] == "not_admitted"
    await waiting.send({"type": "hand.raise"})
    assert (await waiting.expect("error"))["code"] == "not_admitted"
    await room.facilitator.expect("lobby.updated")
    # the arrival is a knock in the facilitators' queue; what was refused adds nothing
    assert (await room.facilitator.expect("attention.item"))["item"]["kind"] == "knock"
    await room.facilitator.nothing_more()


async def test_leaving_tells_the_room_and_clears_the_hand(room):
    peer = await room.admitted_peer("Leaving Lark")
    await peer.send({"type": "hand.raise"})
    await room.facilitator.expect("hands.updated", queue=[peer.participant_id])

    await peer.send({"type": "leave"})

    left = await room.facilitator.expect("participant.left")
    assert left == {
        "type": "participant.left",
        "participant_id": peer.participant_id,
        "reason": "left",
    }
    assert (await room.facilitator.expect("hands.updated"))["queue"] == []
    assert await peer.expect_close() == 4410


async def test_help_request_reaches_facilitators_and_the_asker_as_a_help_message(room):
    asker = await room.admitted_peer("Calm Heron")
    bystander = await room.admitted_peer("Bold Wren")
    await asker.expect("participant.joined")

    await asker.send({"type": "help.request", "note": "  I need a moment  "})

    for client in (room.facilitator, asker):
        message = (await client.expect("chat.message"))["message"]
        assert (message["kind"], message["audience"], message["text"]) == (
            "help",
            "facilitators",
            "I need a moment",
        )
    await bystander.nothing_more()
    await asker.send({"type": "help.request"})  # the note is optional
    assert (await room.facilitator.expect("chat.message"))["message"]["text"] == ""

    late = await room.connect("Owner Again", role="facilitator")  # the owner's second seat
    history = (await late.expect("room.state"))["chat"]
    assert [(m["kind"], m["text"]) for m in history] == [("help", "I need a moment"), ("help", "")]
    co = await room.connect("Co Cedar", role="cofacilitator")  # came after both requests
    assert (await co.expect("room.state"))["chat"] == []


async def test_help_request_works_from_a_breakout_and_ordinary_chat_is_kind_text(room):
    asker = await room.admitted_peer("Calm Heron")
    await room.facilitator.send({"type": "breakout.create", "count": 1})
    rooms = (await room.facilitator.expect("breakouts.updated"))["rooms"]
    await room.facilitator.send(
        {
            "type": "breakout.move",
            "participant_id": asker.participant_id,
            "breakout_id": rooms[0]["id"],
        }
    )
    await asker.expect("room.state")
    await asker.send({"type": "help.request", "note": "x" * 1901})
    await asker.expect("error", code="message_too_long")
    await asker.send({"type": "help.request", "note": "stuck"})
    assert (await room.facilitator.expect("chat.message"))["message"]["kind"] == "help"
    assert (await asker.expect("chat.message"))["message"]["kind"] == "help"  # the asker's copy
    await asker.send({"type": "chat.send", "text": "hello room"})
    assert (await asker.expect("chat.message"))["message"]["kind"] == "text"
