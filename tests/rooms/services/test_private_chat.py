"""Private threads with the facilitators, content notes and removal, on the real database.

Each refusal is a typed RoomError and leaves the chat as it was.
"""

import pytest

from rooms import events, state
from rooms.models import ChatMessage, Participant
from rooms.selectors.chat import chat_history
from rooms.services import chat
from tests.factories import make_meeting, make_participant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def room():
    meeting = make_meeting(lobby_enabled=False)
    host, _ = make_participant(meeting, "Host", role="facilitator")
    alice, _ = make_participant(meeting, "Alice")
    bob, _ = make_participant(meeting, "Bob")
    return meeting, str(host.id), str(alice.id), str(bob.id)


def send(meeting, sender, text="hi", audience="facilitators", **extra):
    return chat.chat_send(
        meeting_id=str(meeting.id), sender_id=sender, text=text, audience=audience, **extra
    )


def history(meeting, viewer, facilitates=False):
    return chat_history(
        meeting_id=str(meeting.id), viewer_id=viewer, viewer_facilitates=facilitates
    )


def recipients(outcome, type_="chat.message"):
    return [e.to for e in outcome.events if e.type == type_]


def refused(code, action):
    before = list(ChatMessage.objects.values_list("id", "text", "removed_at"))
    with pytest.raises(state.RoomError) as error:
        action()
    assert error.value.code == code
    assert list(ChatMessage.objects.values_list("id", "text", "removed_at")) == before


def test_a_facilitator_reply_in_a_thread_reaches_the_facilitators_and_that_peer_only(room):
    meeting, host, alice, bob = room
    outcome = send(meeting, host, "We're here for you", thread_id=alice, client_id="r1")
    message = outcome.events[-1].data["message"]
    assert message["thread_id"] == alice and message["audience"] == "facilitators"
    assert recipients(outcome) == [events.ToFacilitators(), events.ToParticipant(alice)]
    assert [m["text"] for m in history(meeting, alice)] == ["We're here for you"]
    assert history(meeting, bob) == []
    assert [m["text"] for m in history(meeting, host, facilitates=True)] == ["We're here for you"]


def test_a_peers_private_message_joins_their_own_thread(room):
    meeting, _host, alice, bob = room
    outcome = send(meeting, alice, "Hard day", client_id="a1")
    assert outcome.events[-1].data["message"]["thread_id"] == alice
    assert recipients(outcome) == [events.ToFacilitators(), events.ToParticipant(alice)]
    send(meeting, alice, "Still here", thread_id=alice, client_id="a2")  # naming it is fine
    assert [m["text"] for m in history(meeting, alice)] == ["Hard day", "Still here"]
    assert history(meeting, bob) == []


def test_a_help_request_opens_the_askers_thread(room):
    meeting, _host, alice, _bob = room
    chat.help_request(meeting_id=str(meeting.id), actor_id=alice, note="struggling")
    (message,) = history(meeting, alice)
    assert message["kind"] == "help" and message["thread_id"] == alice


def test_facilitators_notes_to_each_other_have_no_thread_and_no_peer_sees_them(room):
    meeting, host, alice, bob = room
    cohost, _ = make_participant(meeting, "Cohost", role="cofacilitator")
    Participant.objects.filter(id=cohost.id).update(status="admitted")
    outcome = send(meeting, host, "Alice may need a check-in", client_id="n1")
    assert outcome.events[-1].data["message"].get("thread_id") is None
    assert recipients(outcome) == [events.ToFacilitators()]
    assert history(meeting, alice) == history(meeting, bob) == []


def test_a_peer_cannot_write_into_another_peers_thread(room):
    meeting, _host, alice, bob = room
    refused("not_your_thread", lambda: send(meeting, bob, "psst", thread_id=alice))


def test_a_peer_cannot_reply_on_behalf_of_the_facilitators_in_a_room_message(room):
    meeting, _host, alice, bob = room
    refused("thread_is_private", lambda: send(meeting, bob, "hi", audience="room", thread_id=alice))


def test_a_thread_is_with_a_peer_who_is_in_the_room(room):
    meeting, host, _alice, bob = room
    refused("not_a_peer", lambda: send(meeting, host, "hi", thread_id=host))
    waiting, _ = make_participant(meeting, "Waiting")
    Participant.objects.filter(id=waiting.id).update(status="lobby")
    refused("not_in_room", lambda: send(meeting, host, "hi", thread_id=str(waiting.id)))
    Participant.objects.filter(id=bob).update(status="left")
    refused("not_found", lambda: send(meeting, host, "hi", thread_id=bob))
    elsewhere, _ = make_participant(make_meeting(lobby_enabled=False), "Elsewhere")
    refused("not_found", lambda: send(meeting, host, "hi", thread_id=str(elsewhere.id)))


def test_a_content_note_is_stored_trimmed_and_an_empty_one_is_none(room):
    meeting, _host, alice, bob = room
    noted = send(meeting, alice, "text", audience="room", content_note="  mentions self-harm ")
    assert noted.events[-1].data["message"]["content_note"] == "mentions self-harm"
    plain = send(meeting, alice, "text", audience="room", content_note="   ")
    assert plain.events[-1].data["message"].get("content_note") is None
    assert [m["content_note"] for m in history(meeting, bob)] == ["mentions self-harm", None]


def test_a_content_note_over_60_characters_is_refused(room):
    meeting, _host, alice, _bob = room
    refused(
        "content_note_too_long",
        lambda: send(meeting, alice, "text", audience="room", content_note="x" * 61),
    )


def test_a_facilitator_removes_a_room_message_its_text_is_gone_from_the_row(room):
    meeting, host, alice, bob = room
    message_id = send(meeting, alice, "something hurtful", audience="room", content_note="note")
    message_id = message_id.events[-1].data["message"]["id"]
    outcome = chat.chat_remove(meeting_id=str(meeting.id), actor_id=host, message_id=message_id)
    assert [(e.type, e.to, e.data) for e in outcome.events] == [
        ("chat.removed", events.ToSpace(None), {"message_id": message_id})
    ]
    row = ChatMessage.objects.get(id=message_id)
    assert (row.text, row.content_note) == ("", "") and row.removed_at is not None
    (late,) = history(meeting, bob)
    assert late["removed"] is True and late["text"] == "" and late["content_note"] is None


def test_a_resend_of_a_removed_message_is_delivered_as_its_tombstone(room):
    meeting, host, alice, _bob = room
    first = send(meeting, alice, "oops", audience="room", client_id="c1")
    message_id = first.events[-1].data["message"]["id"]
    chat.chat_remove(meeting_id=str(meeting.id), actor_id=host, message_id=message_id)
    again = send(meeting, alice, "oops", audience="room", client_id="c1").events[-1]
    assert again.data["message"]["id"] == message_id
    assert again.data["message"]["removed"] is True and again.data["message"]["text"] == ""


def test_removing_a_private_message_tells_the_facilitators_and_the_thread_only(room):
    meeting, host, alice, _bob = room
    message_id = send(meeting, alice, "private").events[-1].data["message"]["id"]
    outcome = chat.chat_remove(meeting_id=str(meeting.id), actor_id=host, message_id=message_id)
    assert recipients(outcome, "chat.removed") == [
        events.ToFacilitators(),
        events.ToParticipant(alice),
    ]


def test_removing_twice_changes_nothing_and_tells_no_one(room):
    meeting, host, alice, _bob = room
    message_id = send(meeting, alice, "x", audience="room").events[-1].data["message"]["id"]
    chat.chat_remove(meeting_id=str(meeting.id), actor_id=host, message_id=message_id)
    removed_at = ChatMessage.objects.get(id=message_id).removed_at
    again = chat.chat_remove(meeting_id=str(meeting.id), actor_id=host, message_id=message_id)
    assert again.events == []
    assert ChatMessage.objects.get(id=message_id).removed_at == removed_at


def test_a_peer_cannot_remove_a_message_not_even_their_own(room):
    meeting, _host, alice, bob = room
    message_id = send(meeting, alice, "x", audience="room").events[-1].data["message"]["id"]
    for actor in (alice, bob):
        refused(
            "forbidden",
            lambda actor=actor: chat.chat_remove(
                meeting_id=str(meeting.id), actor_id=actor, message_id=message_id
            ),
        )


def test_removing_a_message_of_another_meeting_or_none_is_refused(room):
    meeting, host, _alice, _bob = room
    other = make_meeting(lobby_enabled=False)
    stranger, _ = make_participant(other, "Stranger")
    elsewhere = send(other, str(stranger.id), "x", audience="room").events[-1]
    for message_id in (elsewhere.data["message"]["id"], 999999):
        refused(
            "message_not_found",
            lambda message_id=message_id: chat.chat_remove(
                meeting_id=str(meeting.id), actor_id=host, message_id=message_id
            ),
        )
