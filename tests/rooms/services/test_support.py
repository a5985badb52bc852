"""The attention queue on the real database: it lasts the meeting, reports, knocks."""

import pytest

from rooms import selectors, state
from rooms.models import AttentionItem, Participant
from rooms.services import chat, facilitation, participants, support
from rooms.services import meetings as meeting_services
from tests.factories import make_meeting, make_participant

pytestmark = pytest.mark.django_db(transaction=True)


def setup():
    meeting = make_meeting(lobby_enabled=False)
    fac, _ = make_participant(meeting, "Fern", role="facilitator")
    heron, _ = make_participant(meeting, "Heron", media="text_only")
    wren, _ = make_participant(meeting, "Wren")
    return str(meeting.id), str(fac.id), str(heron.id), str(wren.id)


def refused(code, fn, **kwargs):
    with pytest.raises(state.RoomError) as caught:
        fn(**kwargs)
    assert caught.value.code == code


def test_the_queue_is_kept_for_a_facilitator_who_joins_later_or_reloads():
    mid, fac, heron, wren = setup()
    chat.help_request(meeting_id=mid, actor_id=wren, note="stuck")
    support.support_request(meeting_id=mid, actor_id=heron, note="not ok")
    item = AttentionItem.objects.get(kind="support")
    support.attention_handle(meeting_id=mid, actor_id=fac, item_id=str(item.id))
    late = meeting_services.participant_create(
        meeting=item.meeting,
        display_name="Cora",
        media="camera_mic",
        role="cofacilitator",
        agreement_accepted=True,
    )[0]
    seen = selectors.room_state(meeting_id=mid, viewer_id=str(late.id))["attention"]
    assert [(i["kind"], i["name"], i["state"]) for i in seen] == [
        ("help", "Wren", "open"),
        ("support", "Heron", "handled"),
    ]
    assert seen[1]["handled_by_name"] == "Fern" and seen[0]["message_id"]
    assert selectors.room_state(meeting_id=mid, viewer_id=heron)["support"]["state"] == "handled"
    assert "attention" not in selectors.room_state(meeting_id=mid, viewer_id=wren)


def test_a_peer_cannot_handle_and_nothing_changes():
    mid, _fac, heron, wren = setup()
    support.support_request(meeting_id=mid, actor_id=heron)
    item = AttentionItem.objects.get()
    refused(
        "forbidden", support.attention_handle, meeting_id=mid, actor_id=wren, item_id=str(item.id)
    )
    assert AttentionItem.objects.get().state == "open"


def test_report_a_room_message_but_not_a_private_one():
    mid, _fac, heron, wren = setup()
    said = chat.chat_send(meeting_id=mid, sender_id=wren, text="you're weak", audience="room")
    said_id = said.events[0].data["message"]["id"]
    private = chat.chat_send(meeting_id=mid, sender_id=wren, text="x", audience="facilitators")
    private_id = private.events[0].data["message"]["id"]
    outcome = support.report_send(
        meeting_id=mid, actor_id=heron, reason="hurtful", message_id=said_id
    )
    item = outcome.events[0].data["item"]
    assert (item["subject_name"], item["message_text"], item["name"]) == (
        "Wren",
        "you're weak",
        "Heron",
    )
    refused(
        "message_not_found", support.report_send,
        meeting_id=mid, actor_id=heron, reason="hurtful", message_id=private_id,
    )  # fmt: skip
    refused(
        "nothing_to_report", support.report_send,
        meeting_id=mid, actor_id=heron, reason="hurtful", message_id=said_id, participant_id=wren,
    )  # fmt: skip
    assert AttentionItem.objects.count() == 1


def test_a_removed_message_cannot_be_reported():
    mid, fac, heron, wren = setup()
    said = chat.chat_send(meeting_id=mid, sender_id=wren, text="gone soon", audience="room")
    said_id = said.events[0].data["message"]["id"]
    chat.chat_remove(meeting_id=mid, actor_id=fac, message_id=said_id)
    refused(
        "message_removed", support.report_send,
        meeting_id=mid, actor_id=heron, reason="hurtful", message_id=said_id,
    )  # fmt: skip
    assert AttentionItem.objects.count() == 0


def test_a_latecomer_knocks_on_a_locked_meeting_and_is_let_in():
    mid, fac, _heron, _wren = setup()
    facilitation.room_configure(meeting_id=mid, actor_id=fac, locked=True)
    meeting = Participant.objects.get(id=fac).meeting
    with pytest.raises(state.RoomError) as refused_join:
        make_participant(meeting, "Late Lark")
    assert refused_join.value.code == "meeting_locked"
    lark, _ = meeting_services.participant_create(
        meeting=meeting,
        display_name="Late Lark",
        media="text_only",
        role="peer",
        knock=True,
        agreement_accepted=True,
    )
    assert (lark.status, lark.latecomer) == ("lobby", True)  # lobby off, but a latecomer waits
    outcome, _ = participants.participant_connect(
        meeting_id=mid, participant_id=str(lark.id), channel_name="c1", grace_seconds=30
    )
    assert [e.type for e in outcome.events] == ["lobby.updated", "attention.item"]
    participants.lobby_admit(meeting_id=mid, actor_id=fac, target_id=str(lark.id))
    knock = AttentionItem.objects.get(kind="knock")
    assert (knock.state, knock.handled_by_id) == ("handled", Participant.objects.get(id=fac).id)
    assert knock.outcome == "admitted"


def test_a_knock_keeps_its_marks_for_a_facilitator_who_reloads():
    meeting = make_meeting(lobby_enabled=True)
    fac, _ = make_participant(meeting, "Fern", role="facilitator")
    mid = str(meeting.id)
    heron, _ = make_participant(meeting, "Heron")
    facilitation.room_configure(meeting_id=mid, actor_id=str(fac.id), locked=True)
    meeting.refresh_from_db()
    lark, _ = meeting_services.participant_create(
        meeting=meeting, display_name="Late Lark", media="text_only", role="peer",
        knock=True, agreement_accepted=True,
    )  # fmt: skip
    for who in (heron, lark):
        participants.participant_connect(
            meeting_id=mid, participant_id=str(who.id), channel_name=str(who.id), grace_seconds=30
        )
    seen = selectors.room_state(meeting_id=mid, viewer_id=str(fac.id))["attention"]
    assert [(i["kind"], i["name"], i["latecomer"], i["state"]) for i in seen] == [
        ("knock", "Heron", False, "open"),
        ("knock", "Late Lark", True, "open"),
    ]


def test_a_facilitator_who_reloads_still_reads_who_was_admitted_and_who_turned_away():
    meeting = make_meeting(lobby_enabled=True)
    fac, _ = make_participant(meeting, "Fern", role="facilitator")
    mid = str(meeting.id)
    heron, _ = make_participant(meeting, "Heron")
    wren, _ = make_participant(meeting, "Wren")
    for who in (heron, wren):
        participants.participant_connect(
            meeting_id=mid, participant_id=str(who.id), channel_name=str(who.id), grace_seconds=30
        )
    participants.lobby_admit(meeting_id=mid, actor_id=str(fac.id), target_id=str(heron.id))
    participants.lobby_deny(meeting_id=mid, actor_id=str(fac.id), target_id=str(wren.id))
    seen = selectors.room_state(meeting_id=mid, viewer_id=str(fac.id))["attention"]
    assert [(i["name"], i["outcome"], i["handled_by_name"]) for i in seen] == [
        ("Heron", "admitted", "Fern"),
        ("Wren", "turned_away", "Fern"),
    ]
