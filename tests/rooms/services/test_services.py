"""Services against the real database (PostgreSQL when DATABASE_URL points at it)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from rooms import selectors, state
from rooms.models import ChatMessage, Meeting, Participant
from rooms.services import chat, participants
from tests.factories import make_meeting, make_participant

pytestmark = pytest.mark.django_db(transaction=True)


def chat_send(**kwargs):
    return chat.chat_send(**kwargs).events


def participant_connect(**kwargs):
    outcome, replaced = participants.participant_connect(**kwargs)
    return outcome.events, replaced


def participant_disconnect(**kwargs):
    return participants.participant_disconnect(**kwargs).events


def test_suite_runs_on_the_configured_database():
    import os

    expected = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    )
    assert connection.vendor == expected


def test_join_stores_only_a_hash_of_the_token():
    meeting = make_meeting()
    participant, token = make_participant(meeting, "Calm Heron")
    stored = Participant.objects.get(id=participant.id)
    assert token not in stored.token_hash
    assert selectors.participant_by_token(meeting_id=str(meeting.id), token=token) == stored


def test_lobby_decides_where_a_new_participant_starts():
    with_lobby = make_meeting(lobby_enabled=True)
    without = make_meeting(lobby_enabled=False)
    assert make_participant(with_lobby, "A")[0].status == "lobby"
    assert make_participant(with_lobby, "Co", role="cofacilitator")[0].status == "admitted"
    assert make_participant(without, "B")[0].status == "admitted"


@pytest.mark.parametrize(
    ("name", "code"), [("", "invalid_name"), ("   ", "invalid_name"), ("x" * 41, "invalid_name")]
)
def test_bad_names_are_refused_and_nothing_is_stored(name, code):
    meeting = make_meeting()
    with pytest.raises(state.RoomError) as refused:
        make_participant(meeting, name)
    assert refused.value.code == code
    assert not Participant.objects.exists()


def test_chat_is_committed_before_its_event_is_returned():
    meeting = make_meeting(lobby_enabled=False)
    sender, _ = make_participant(meeting, "Calm Heron")
    events = chat_send(
        meeting_id=str(meeting.id), sender_id=str(sender.id), text="hello", audience="room"
    )
    message_id = events[0].data["message"]["id"]
    # A second connection (another thread) sees the row: it is committed, not pending.
    with ThreadPoolExecutor(1) as pool:
        seen = pool.submit(_exists_in_new_connection, message_id).result()
    assert seen


def _exists_in_new_connection(message_id: int) -> bool:
    try:
        return ChatMessage.objects.filter(id=message_id).exists()
    finally:
        connections.close_all()


def test_refused_chat_stores_nothing():
    meeting = make_meeting(lobby_enabled=True)
    waiting, _ = make_participant(meeting, "Waiting Willow")
    with pytest.raises(state.RoomError):
        chat_send(meeting_id=str(meeting.id), sender_id=str(waiting.id), text="hi", audience="room")
    assert not ChatMessage.objects.exists()


def test_concurrent_hand_raises_get_distinct_places():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL behaviour; SQLite serialises writes anyway")
    meeting = make_meeting(lobby_enabled=False)
    people = [make_participant(meeting, f"Peer {i}")[0] for i in range(8)]

    def raise_hand(pid: str) -> None:
        try:
            participants.hand_raise(meeting_id=str(meeting.id), actor_id=pid)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(raise_hand, [str(p.id) for p in people]))
    seqs = list(Participant.objects.values_list("hand_raised_seq", flat=True))
    assert sorted(seqs) == list(range(1, 9))
    assert Meeting.objects.get(id=meeting.id).hand_counter == 8


def test_reconnect_from_a_stale_socket_does_not_mark_the_new_one_reconnecting():
    meeting = make_meeting(lobby_enabled=False)
    p, _ = make_participant(meeting, "Twin Tide")
    mid, pid = str(meeting.id), str(p.id)
    participant_connect(meeting_id=mid, participant_id=pid, channel_name="old", grace_seconds=30)
    _, replaced = participant_connect(
        meeting_id=mid, participant_id=pid, channel_name="new", grace_seconds=30
    )
    assert replaced == "old"
    assert participant_disconnect(meeting_id=mid, participant_id=pid, channel_name="old") == []
    assert Participant.objects.get(id=pid).connection == "online"


def test_reconnecting_participant_left_behind_by_a_stopped_server_expires_on_next_join():
    meeting = make_meeting(lobby_enabled=False)
    gone, _ = make_participant(meeting, "Gone Juniper")
    arriving, _ = make_participant(meeting, "New Lark")
    mid = str(meeting.id)
    participant_connect(
        meeting_id=mid, participant_id=str(gone.id), channel_name="a", grace_seconds=30
    )
    participant_disconnect(meeting_id=mid, participant_id=str(gone.id), channel_name="a")
    Participant.objects.filter(id=gone.id).update(
        disconnected_at=timezone.now() - timedelta(seconds=31)
    )

    events, _ = participant_connect(
        meeting_id=mid, participant_id=str(arriving.id), channel_name="b", grace_seconds=30
    )

    assert ("participant.left", {"participant_id": str(gone.id), "reason": "timeout"}) in [
        (e.type, e.data) for e in events
    ]
    assert Participant.objects.get(id=gone.id).status == "left"


def test_sweep_reads_who_is_online_where_and_expires_only_lapsed_reconnects():
    meeting = make_meeting(lobby_enabled=False)
    staying, _ = make_participant(meeting, "Still Fern")
    lapsed, _ = make_participant(meeting, "Lapsed Moss")
    recent, _ = make_participant(meeting, "Recent Reed")
    mid = str(meeting.id)
    for p, channel in ((staying, "specific.a!1"), (lapsed, "specific.b!2"), (recent, "c")):
        participant_connect(
            meeting_id=mid, participant_id=str(p.id), channel_name=channel, grace_seconds=30
        )
    participants.hand_raise(meeting_id=mid, actor_id=str(lapsed.id))
    for p, channel in ((lapsed, "specific.b!2"), (recent, "c")):
        participant_disconnect(meeting_id=mid, participant_id=str(p.id), channel_name=channel)
    Participant.objects.filter(id=lapsed.id).update(
        disconnected_at=timezone.now() - timedelta(seconds=31)
    )

    assert selectors.online_sockets() == [
        selectors.OnlineSocket(mid, str(staying.id), "specific.a!1")
    ]
    cutoff = timezone.now() - timedelta(seconds=30)
    assert selectors.meetings_with_lapsed_reconnects(disconnected_before=cutoff) == [mid]
    events = participants.participants_expire_lapsed(meeting_id=mid, grace_seconds=30).events

    assert [(e.type, e.data) for e in events] == [
        ("participant.left", {"participant_id": str(lapsed.id), "reason": "timeout"}),
        ("hands.updated", {"queue": []}),
    ]
    assert Participant.objects.get(id=recent.id).connection == "reconnecting"
    assert selectors.meetings_with_lapsed_reconnects(disconnected_before=cutoff) == []
