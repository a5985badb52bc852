"""Facilitation through services: what is stored, what a later load sees, races."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from rooms import breakouts, moderation, selectors, state
from rooms.events import ToFacilitators, ToParticipant, ToSpace
from rooms.models import Breakout, ChatMessage, Meeting, Participant
from rooms.services import breakouts as breakout_services
from rooms.services import chat, meetings, unit
from tests.factories import make_meeting, make_participant

pytestmark = pytest.mark.django_db(transaction=True)


def chat_send(**kwargs):
    return chat.chat_send(**kwargs).events


def breakout_tick(**kwargs):
    return breakout_services.breakout_tick(**kwargs).events


def _meeting_with(*names, lobby_enabled=False):
    meeting = make_meeting(lobby_enabled=lobby_enabled)
    fac, _ = make_participant(meeting, "Facilitator Fern", role="facilitator")
    peers = [make_participant(meeting, name)[0] for name in names]
    return str(meeting.id), str(fac.id), [str(p.id) for p in peers]


def _apply(mid, operation):
    return unit.apply(mid, operation).events


def _load(mid):
    return selectors.room_load(meeting=Meeting.objects.get(id=mid))


def test_mute_settings_and_requests_are_stored_and_drive_media_plans():
    mid, fac, (heron,) = _meeting_with("Calm Heron")
    _apply(mid, lambda r: moderation.configure(r, fac, allow_self_unmute=False, locked=True))
    _apply(mid, lambda r: moderation.mute(r, fac, heron, state.AUDIO))
    _apply(mid, lambda r: moderation.ask_unmute(r, fac, heron, state.AUDIO))
    _apply(mid, lambda r: moderation.mute(r, heron, heron, state.VIDEO))

    room = _load(mid)
    member = room.members[heron]
    assert (member.muted_by, member.video_stopped_by, member.asked_audio) == (
        "facilitator",
        "self",
        True,
    )
    assert (room.locked, room.allow_self_unmute) == (True, False)
    plan = selectors.media_plans(meeting_id=mid)[heron]
    assert (plan.audio, plan.video) == (False, False)
    with pytest.raises(state.RoomError) as refused:
        _apply(mid, lambda r: moderation.unmute(r, heron, state.AUDIO))
    assert refused.value.code == "self_unmute_disabled"
    _apply(mid, lambda r: moderation.answer_unmute(r, heron, state.AUDIO, True))
    assert selectors.media_plans(meeting_id=mid)[heron].audio is True


def test_locked_meeting_refuses_new_peers_but_not_facilitators_or_the_lobby():
    meeting = make_meeting(lobby_enabled=True)
    fac, _ = make_participant(meeting, "Facilitator Fern", role="facilitator")
    waiting, _ = make_participant(meeting, "Waiting Willow")
    mid = str(meeting.id)
    _apply(mid, lambda r: moderation.configure(r, str(fac.id), locked=True))
    meeting.refresh_from_db()
    with pytest.raises(state.RoomError) as refused:
        make_participant(meeting, "Late Lark")
    assert refused.value.code == "meeting_locked"
    make_participant(meeting, "Co Otter", role="cofacilitator")
    _apply(mid, lambda r: r.admit(str(fac.id), str(waiting.id)))
    assert Participant.objects.get(id=waiting.id).status == "admitted"


def test_ban_refuses_the_same_browser_only():
    meeting = make_meeting(lobby_enabled=False)
    fac, _ = make_participant(meeting, "Facilitator Fern", role="facilitator")
    heron, _ = meetings.participant_create(
        meeting=meeting,
        display_name="Calm Heron",
        media="camera_mic",
        role="peer",
        agreement_accepted=True,
        device="dev-1",
    )
    assert Participant.objects.get(id=heron.id).device_hash not in ("", "dev-1")
    _apply(str(meeting.id), lambda r: moderation.remove(r, str(fac.id), str(heron.id), ban=True))
    with pytest.raises(state.RoomError) as refused:
        meetings.participant_create(
            meeting=meeting,
            display_name="Other Name",
            media="text_only",
            role="peer",
            agreement_accepted=True,
            device="dev-1",
        )
    assert refused.value.code == "banned"
    # another browser gets in: pseudonymous joins cannot be banned for certain
    meetings.participant_create(
        meeting=meeting,
        display_name="Someone",
        media="text_only",
        role="peer",
        agreement_accepted=True,
        device="dev-2",
    )


def test_removed_without_ban_may_join_again_but_old_token_is_dead():
    meeting = make_meeting(lobby_enabled=False)
    fac, _ = make_participant(meeting, "Facilitator Fern", role="facilitator")
    heron, token = meetings.participant_create(
        meeting=meeting,
        display_name="Calm Heron",
        media="camera_mic",
        role="peer",
        agreement_accepted=True,
        device="dev",
    )
    _apply(str(meeting.id), lambda r: moderation.remove(r, str(fac.id), str(heron.id)))
    assert selectors.participant_by_token(meeting_id=str(meeting.id), token=token) is None
    meetings.participant_create(
        meeting=meeting,
        display_name="Calm Heron",
        media="camera_mic",
        role="peer",
        agreement_accepted=True,
        device="dev",
    )


def test_end_marks_the_meeting_ended_and_late_arrivals_are_refused():
    mid, fac, (heron,) = _meeting_with("Calm Heron")
    _apply(mid, lambda r: moderation.end(r, fac))
    meeting = Meeting.objects.get(id=mid)
    assert meeting.ended_at is not None
    assert selectors.media_plans(meeting_id=mid) == {}
    with pytest.raises(state.RoomError) as refused:
        make_participant(meeting, "Late Lark")
    assert refused.value.code == "meeting_ended"
    with pytest.raises(state.RoomError) as after:
        _apply(mid, lambda r: moderation.mute(r, fac, heron, state.AUDIO))
    assert after.value.code == "meeting_ended"


def test_breakouts_are_stored_and_chat_is_kept_per_room():
    mid, fac, (heron, wren) = _meeting_with("Calm Heron", "Bold Wren")
    chat_send(meeting_id=mid, sender_id=fac, text="before breakouts", audience="room")
    _apply(mid, lambda r: breakouts.create(r, fac, names=["Sharing", "Listening"]))
    sharing, listening = (str(b.id) for b in Breakout.objects.order_by("position"))
    _apply(mid, lambda r: breakouts.move(r, fac, heron, sharing))
    assert str(Participant.objects.get(id=heron).breakout_id) == sharing
    assert selectors.media_plans(meeting_id=mid)[heron].room == f"{mid}/{sharing}"

    events = chat_send(meeting_id=mid, sender_id=heron, text="only for Sharing", audience="room")
    assert events[0].to == ToSpace(sharing)
    chat_send(meeting_id=mid, sender_id=wren, text="main room meanwhile", audience="room")
    private = chat_send(
        meeting_id=mid, sender_id=heron, text="to facilitators", audience="facilitators"
    )
    assert {e.to for e in private} == {ToFacilitators(), ToParticipant(heron)}

    def texts(viewer, room, facilitates=False):
        history = selectors.chat_history(
            meeting_id=mid, viewer_id=viewer, viewer_facilitates=facilitates, space=room
        )
        return [m["text"] for m in history]

    assert texts(heron, sharing) == ["only for Sharing", "to facilitators"]
    assert texts(wren, "main") == ["before breakouts", "main room meanwhile"]
    assert texts(fac, "main", facilitates=True) == [
        "before breakouts",
        "main room meanwhile",
        "to facilitators",
    ]

    _apply(mid, lambda r: breakouts.close_all(r, fac))
    assert Breakout.objects.filter(closed_at__isnull=True).count() == 0
    assert Participant.objects.get(id=heron).breakout_id is None
    assert texts(heron, "main")[:2] == ["before breakouts", "main room meanwhile"]
    assert ChatMessage.objects.get(text="only for Sharing").room == sharing
    with pytest.raises(state.RoomError) as refused:
        _apply(mid, lambda r: breakouts.move(r, fac, wren, listening))
    assert refused.value.code == "breakout_closed"


def test_a_timer_missed_while_no_process_counted_is_applied_by_the_next_action():
    mid, fac, (heron,) = _meeting_with("Calm Heron")
    _apply(mid, lambda r: breakouts.create(r, fac, count=1))
    _apply(mid, lambda r: breakouts.assign_automatically(r, fac))
    _apply(mid, lambda r: breakouts.set_timer(r, fac, 60, timezone.now()))
    assert selectors.breakout_next_deadline(meeting_id=mid) is not None
    # the process that counted stopped; the deadline passed meanwhile
    Meeting.objects.filter(id=mid).update(breakout_ends_at=timezone.now() - timedelta(seconds=1))

    events = _apply(mid, lambda r: r.raise_hand(heron))
    assert [e.type for e in events] == ["breakouts.closed", "breakouts.updated", "hands.updated"]
    assert Participant.objects.get(id=heron).breakout_id is None
    meeting = Meeting.objects.get(id=mid)
    assert meeting.breakout_ends_at is None and meeting.breakout_warn_at is None
    assert selectors.breakout_next_deadline(meeting_id=mid) is None
    assert breakout_tick(meeting_id=mid) == []


def test_a_refused_action_rolls_back_the_timer_catch_up_too():
    mid, fac, (heron,) = _meeting_with("Calm Heron")
    _apply(mid, lambda r: breakouts.create(r, fac, count=1))
    _apply(mid, lambda r: breakouts.set_timer(r, fac, 60, timezone.now()))
    Meeting.objects.filter(id=mid).update(breakout_ends_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(state.RoomError):
        _apply(mid, lambda r: moderation.end(r, heron))
    assert Breakout.objects.filter(closed_at__isnull=True).count() == 1  # no split state
    caught_up = [e.type for e in breakout_tick(meeting_id=mid)]
    assert caught_up == ["breakouts.closed", "breakouts.updated"]


def test_two_facilitators_closing_and_moving_at_once_leave_one_consistent_state():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL behaviour; SQLite serialises writes anyway")
    meeting = make_meeting(lobby_enabled=False)
    mid = str(meeting.id)
    fern, _ = make_participant(meeting, "Facilitator Fern", role="facilitator")
    otter, _ = make_participant(meeting, "Co Otter", role="cofacilitator")
    peers = [str(make_participant(meeting, f"Peer {i}")[0].id) for i in range(6)]
    _apply(mid, lambda r: breakouts.create(r, str(fern.id), count=2))
    _apply(mid, lambda r: breakouts.assign_automatically(r, str(fern.id)))
    first = str(Breakout.objects.order_by("position").first().id)

    def act(job):
        actor, kind = job
        try:
            if kind == "close_all":
                return [e.type for e in _apply(mid, lambda r: breakouts.close_all(r, actor))]
            return [
                e.type for e in _apply(mid, lambda r: breakouts.move(r, actor, peers[0], first))
            ]
        except state.RoomError as exc:
            return exc.code
        finally:
            connections.close_all()

    jobs = [(str(fern.id), "close_all"), (str(otter.id), "close_all"), (str(otter.id), "move")]
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(act, jobs))
    closes = [r for r in results[:2] if r]
    assert closes == [["breakouts.closed", "breakouts.updated"]]  # one did it, one had nothing
    assert results[2] in ("breakout_closed", [], ["breakouts.updated"])
    assert Breakout.objects.filter(closed_at__isnull=True).count() == 0
    assert not Participant.objects.filter(breakout__isnull=False).exists()


def test_whether_media_changed_is_computed_from_the_plans():
    from rooms.services import facilitation, participants

    mid, fac, (heron,) = _meeting_with("Calm Heron")
    assert not participants.hand_raise(meeting_id=mid, actor_id=heron).media_changed
    assert not chat.chat_send(
        meeting_id=mid, sender_id=heron, text="hi", audience="room"
    ).media_changed
    muted = facilitation.mute(meeting_id=mid, actor_id=fac, target_id=heron, kind="audio")
    assert muted.media_changed
    assert muted.directives == []
    again = facilitation.mute(meeting_id=mid, actor_id=fac, target_id=heron, kind="audio")
    assert not again.media_changed  # already muted: nothing to re-sync


def test_the_domain_names_whose_socket_must_act():
    from rooms.events import ChangeSpace, Close
    from rooms.services import facilitation

    mid, fac, (heron, wren) = _meeting_with("Calm Heron", "Bold Wren")
    _apply(mid, lambda r: breakouts.create(r, fac, count=1))
    (room_id,) = (str(b.id) for b in Breakout.objects.all())
    moved = breakout_services.breakout_move(
        meeting_id=mid, actor_id=fac, target_id=heron, breakout_id=room_id
    )
    assert moved.directives == [ChangeSpace(heron)] and moved.media_changed
    removed = facilitation.participant_remove(meeting_id=mid, actor_id=fac, target_id=wren)
    assert removed.directives == [Close(wren, "removed"), Close(wren, "left")]
    ended = facilitation.meeting_end(meeting_id=mid, actor_id=fac)
    assert set(ended.directives) == {Close(fac, "ended"), Close(heron, "ended")}
