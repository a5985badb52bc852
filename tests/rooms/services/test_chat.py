"""The chat path on the real database: no meeting lock, the sender's right checked from their row."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from rooms import state
from rooms.models import ChatMessage, Meeting
from rooms.services import chat
from rooms.services.unit import locked_room
from tests.factories import make_meeting, make_participant

pytestmark = pytest.mark.django_db(transaction=True)


def test_chat_goes_through_while_a_room_operation_holds_the_meeting_lock():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL behaviour; SQLite serialises all writes")
    meeting = make_meeting(lobby_enabled=False)
    sender, _ = make_participant(meeting, "Calm Heron")
    locked, release = threading.Event(), threading.Event()

    def hold_the_meeting_lock() -> None:
        try:
            with locked_room(str(meeting.id)):
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    def send() -> int:
        try:
            outcome = chat.chat_send(
                meeting_id=str(meeting.id), sender_id=str(sender.id), text="hi", audience="room"
            )
            return outcome.events[0].data["message"]["id"]
        finally:
            connections.close_all()

    with ThreadPoolExecutor(2) as pool:
        holder = pool.submit(hold_the_meeting_lock)
        assert locked.wait(5)
        message_id = pool.submit(send).result(timeout=5)  # would wait for the lock before
        release.set()
        holder.result()
    assert ChatMessage.objects.filter(id=message_id, text="hi").exists()


def test_chat_in_an_ended_meeting_is_refused_and_not_stored():
    meeting = make_meeting(lobby_enabled=False)
    sender, _ = make_participant(meeting, "Calm Heron")
    Meeting.objects.filter(id=meeting.id).update(ended_at=timezone.now())
    with pytest.raises(state.RoomError) as refused:
        chat.chat_send(
            meeting_id=str(meeting.id), sender_id=str(sender.id), text="hi", audience="room"
        )
    assert refused.value.code == "meeting_ended"
    assert not ChatMessage.objects.exists()


def test_someone_from_another_meeting_cannot_chat_here():
    meeting, other = make_meeting(lobby_enabled=False), make_meeting(lobby_enabled=False)
    stranger, _ = make_participant(other, "Far Away")
    with pytest.raises(state.RoomError) as refused:
        chat.chat_send(
            meeting_id=str(meeting.id), sender_id=str(stranger.id), text="hi", audience="room"
        )
    assert refused.value.code == "not_found"
    assert not ChatMessage.objects.exists()


def test_a_resend_returns_the_stored_message_and_the_database_refuses_a_second_row():
    meeting = make_meeting(lobby_enabled=False)
    sender, _ = make_participant(meeting, "Calm Heron")
    send = {"meeting_id": str(meeting.id), "sender_id": str(sender.id), "audience": "room"}
    first = chat.chat_send(**send, text="once", client_id="abc").events
    again = chat.chat_send(**send, text="once", client_id="abc").events
    assert [e.type for e in first] == [e.type for e in again] == ["chat.ack", "chat.message"]
    assert first[0].data == again[0].data  # the same stored id is acknowledged
    assert ChatMessage.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        ChatMessage.objects.create(
            meeting=meeting, sender=sender, text="twice", client_id="abc", room="main"
        )
