"""`manage.py purge` on the real database: what goes, what stays, and that nothing else moves."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from rooms import selectors
from rooms.models import (
    AttentionItem,
    ChatMessage,
    CheckinAnswer,
    CheckinPrompt,
    Meeting,
    Participant,
)
from rooms.services import chat, facilitation, support
from rooms.services import checkins as checkin_services
from rooms.services import meetings as meeting_services
from tests.factories import make_facilitator_user, make_participant

pytestmark = pytest.mark.django_db(transaction=True)

DAY = timedelta(days=1)


def full_meeting(owner, *, title="Tuesday circle"):
    """A meeting with everything a purge is about: chat of every kind, named and anonymous
    answers (a mood scale, free text) and participants who joined from a browser."""
    meeting = meeting_services.meeting_create(owner=owner, title=title, lobby_enabled=False)
    fac, _ = make_participant(meeting, "Facilitator Fern", role="facilitator")
    heron, _ = meeting_services.participant_create(
        meeting=meeting,
        display_name="Calm Heron",
        media="text_only",
        role="peer",
        agreement_accepted=True,
        device="b1",
    )
    wren, _ = meeting_services.participant_create(
        meeting=meeting,
        display_name="Bold Wren",
        media="camera_mic",
        role="peer",
        agreement_accepted=True,
        device="b2",
    )
    mid = str(meeting.id)
    chat.chat_send(meeting_id=mid, sender_id=str(heron.id), text="I relapsed", audience="room")
    chat.chat_send(
        meeting_id=mid, sender_id=str(wren.id), text="only for you", audience="facilitators"
    )
    chat.help_request(meeting_id=mid, actor_id=str(wren.id), note="please call me")
    support.support_request(meeting_id=mid, actor_id=str(heron.id), note="dark thoughts")
    support.report_send(
        meeting_id=mid,
        actor_id=str(heron.id),
        reason="hurtful",
        note="mean",
        participant_id=str(wren.id),
    )

    def post(**spec):
        spec = {"kind": "scale", "question": "How are you?", "options": [],
                "anonymous": True, "moment": None, **spec}  # fmt: skip
        outcome = checkin_services.checkin_post(meeting_id=mid, actor_id=str(fac.id), **spec)
        return outcome.events[0].data["prompt"]["id"]

    def answer_and_close(prompt_id, answers):
        for person, value in answers:
            checkin_services.checkin_answer(
                meeting_id=mid, actor_id=str(person.id), prompt_id=prompt_id, **value
            )
        checkin_services.checkin_close(meeting_id=mid, actor_id=str(fac.id), prompt_id=prompt_id)

    answer_and_close(post(moment="check_in"), [(heron, {"scale": 2}), (wren, {"scale": 3})])
    answer_and_close(post(moment="check_out"), [(heron, {"scale": 4}), (wren, {"scale": 5})])
    answer_and_close(
        post(kind="text", question="One word?"),
        [(heron, {"text": "my sister's name"}), (wren, {"text": "tired"})],
    )
    answer_and_close(
        post(kind="single", question="Again next week?", options=["yes", "no"], anonymous=False),
        [(heron, {"choices": [0]}), (wren, {"choices": [1]})],
    )
    return meeting, fac


def end(meeting, fac, *, days_ago):
    facilitation.meeting_end(meeting_id=str(meeting.id), actor_id=str(fac.id))
    Meeting.objects.filter(id=meeting.id).update(ended_at=timezone.now() - days_ago * DAY)


def everything_of(meeting) -> dict:
    """Every stored value of the meeting's rows, to show that a purge did not touch them."""
    return {
        "meeting": list(Meeting.objects.filter(id=meeting.id).values()),
        "participants": list(Participant.objects.filter(meeting=meeting).order_by("id").values()),
        "chat": list(ChatMessage.objects.filter(meeting=meeting).order_by("id").values()),
        "attention": list(AttentionItem.objects.filter(meeting=meeting).order_by("seq").values()),
        "prompts": list(CheckinPrompt.objects.filter(meeting=meeting).order_by("id").values()),
        "answers": list(
            CheckinAnswer.objects.filter(prompt__meeting=meeting).order_by("id").values()
        ),
    }


def run_purge() -> dict:
    out = StringIO()
    call_command("purge", stdout=out)
    return json.loads(out.getvalue())


def test_purge_deletes_exactly_the_personal_data_of_meetings_past_retention(settings):
    settings.RETENTION_DAYS = 30
    owner = make_facilitator_user()
    old, old_fac = full_meeting(owner)
    end(old, old_fac, days_ago=31)
    recent, recent_fac = full_meeting(owner)
    end(recent, recent_fac, days_ago=29)
    running, _ = full_meeting(owner, title="Still running")
    mood_before = selectors.meeting_mood(meeting=old)
    untouched = {m.id: everything_of(m) for m in (recent, running)}

    report = run_purge()

    assert report["retention_days"] == 30
    assert {
        k: report[k] for k in ("meetings", "chat_messages", "attention_items", "named_answers")
    } == {"meetings": 1, "chat_messages": 3, "attention_items": 3, "named_answers": 2}
    assert report["participants"] == 3 and report["free_text_prompts"] == 1
    # What went.
    assert not ChatMessage.objects.filter(meeting=old).exists()
    assert not AttentionItem.objects.filter(meeting=old).exists()
    assert not CheckinAnswer.objects.filter(prompt__meeting=old).exists()
    people = Participant.objects.filter(meeting=old)
    assert people.count() == 3
    assert set(people.values_list("display_name", flat=True)) == {""}
    assert set(people.values_list("device_hash", flat=True)) == {""}
    dump = repr(everything_of(old))
    for trace in (
        "Heron",
        "Wren",
        "Fern",
        "relapsed",
        "sister",
        "tired",
        "call me",
        "dark",
        "mean",
    ):
        assert trace not in dump
    # What stays: roles, counters, and the mood change drawn from them.
    assert sorted(people.values_list("role", flat=True)) == ["facilitator", "peer", "peer"]
    named = CheckinPrompt.objects.get(meeting=old, kind="single")
    assert named.tally["counts"] == [1, 1] and named.tally["answers"] == 2
    texts = CheckinPrompt.objects.get(meeting=old, kind="text")
    assert texts.tally["answers"] == 2 and texts.tally["texts"] == []
    assert selectors.meeting_mood(meeting=old)["change"] == mood_before["change"] == 2.0
    # Meetings still within retention: not one value changed.
    assert {m.id: everything_of(m) for m in (recent, running)} == untouched


def test_purge_run_again_changes_nothing_and_reports_zeros(settings):
    settings.RETENTION_DAYS = 30
    old, fac = full_meeting(make_facilitator_user())
    end(old, fac, days_ago=40)
    run_purge()
    after_first = everything_of(old)
    second = run_purge()
    assert {k: v for k, v in second.items() if k not in ("purged_at", "retention_days")} == {
        "meetings": 0,
        "chat_messages": 0,
        "attention_items": 0,
        "named_answers": 0,
        "free_text_prompts": 0,
        "participants": 0,
    }
    assert everything_of(old) == after_first


def test_a_meeting_nobody_ended_is_purged_once_it_has_been_quiet_for_the_period(settings):
    settings.RETENTION_DAYS = 30
    owner = make_facilitator_user()
    quiet, _ = full_meeting(owner, title="Forgotten")
    busy, _ = full_meeting(owner, title="Weekly, same link")
    long_ago = timezone.now() - 45 * DAY
    for meeting in (quiet, busy):
        Meeting.objects.filter(id=meeting.id).update(created_at=long_ago)
        Participant.objects.filter(meeting=meeting).update(created_at=long_ago)
        ChatMessage.objects.filter(meeting=meeting).update(sent_at=long_ago)
    # Someone joined the weekly meeting last week: its data is still in use.
    Participant.objects.filter(meeting=busy).update(disconnected_at=timezone.now() - 7 * DAY)
    busy_before = everything_of(busy)

    report = run_purge()

    assert report["meetings"] == 1
    assert not ChatMessage.objects.filter(meeting=quiet).exists()
    assert everything_of(busy) == busy_before


def test_a_go_round_nobody_ended_goes_with_the_purge(settings):
    settings.RETENTION_DAYS = 30
    meeting, _ = full_meeting(make_facilitator_user(), title="Forgotten")
    heron = Participant.objects.get(meeting=meeting, display_name="Calm Heron")
    turn = {
        "participant_id": str(heron.id),
        "outcome": "speaking",
        "started_at": None,
        "ended_at": None,
    }
    long_ago = timezone.now() - 45 * DAY
    Meeting.objects.filter(id=meeting.id).update(
        created_at=long_ago, goround={"turns": [turn], "seconds": 120, "current": 0}
    )
    Participant.objects.filter(meeting=meeting).update(created_at=long_ago)
    ChatMessage.objects.filter(meeting=meeting).update(sent_at=long_ago)

    run_purge()

    assert Meeting.objects.get(id=meeting.id).goround is None


def test_the_retention_period_comes_from_the_setting(settings):
    old, fac = full_meeting(make_facilitator_user())
    end(old, fac, days_ago=8)
    settings.RETENTION_DAYS = 10
    assert run_purge()["chat_messages"] == 0
    settings.RETENTION_DAYS = 7
    assert run_purge()["chat_messages"] == 3


def test_the_same_browser_has_unrelated_device_hashes_in_two_meetings():
    owner = make_facilitator_user()
    hashes = []
    for title in ("Monday", "Thursday"):
        meeting = meeting_services.meeting_create(owner=owner, title=title)
        person, _ = meeting_services.participant_create(
            meeting=meeting, display_name="Calm Heron", media="text_only", role="peer", agreement_accepted=True,
            device="the-same-cookie",
        )  # fmt: skip
        hashes.append(person.device_hash)
    assert hashes[0] and hashes[1] and hashes[0] != hashes[1]
    assert selectors.token_digest("the-same-cookie") not in hashes


def test_purge_keeps_who_was_turned_away_apart_so_attendance_counts_do_not_change(settings):
    from rooms.services import participants

    settings.RETENTION_DAYS = 30
    owner = make_facilitator_user()
    meeting = meeting_services.meeting_create(owner=owner, title="Counts", lobby_enabled=True)
    fac, _ = make_participant(meeting, "Facilitator Fern", role="facilitator")
    came, _ = make_participant(meeting, "Calm Heron")
    refused, _ = make_participant(meeting, "Bold Wren")
    mid = str(meeting.id)
    participants.lobby_admit(meeting_id=mid, actor_id=str(fac.id), target_id=str(came.id))
    participants.lobby_deny(meeting_id=mid, actor_id=str(fac.id), target_id=str(refused.id))
    end(meeting, fac, days_ago=31)

    def came_or_refused():
        rows = Participant.objects.filter(meeting=meeting).values_list("role", "status")
        return sorted((role, status == "denied") for role, status in rows)

    before = came_or_refused()
    assert before == [("facilitator", False), ("peer", False), ("peer", True)]
    run_purge()
    assert came_or_refused() == before
