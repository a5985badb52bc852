"""A participant's own life in the meeting: connect, drop, expire, leave; lobby, roles, hands."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from rooms.models import Participant
from rooms.services.unit import Outcome, apply, locked_room


def participant_connect(
    *, meeting_id: str, participant_id: str, channel_name: str, grace_seconds: float
) -> tuple[Outcome, str]:
    """Marks the participant online on this socket; returns the outcome and the socket it
    replaced ("" if none)."""
    with locked_room(meeting_id) as unit:
        row = Participant.objects.filter(id=participant_id)
        replaced = list(row.values_list("channel_name", flat=True))
        row.update(channel_name=channel_name)
        cutoff = timezone.now() - timedelta(seconds=grace_seconds)
        unit.events += unit.room.expire_stale(cutoff)
        unit.events += unit.room.connect(participant_id)
    previous = replaced[0] if replaced else ""
    return unit.outcome, previous if previous != channel_name else ""


def participant_disconnect(*, meeting_id: str, participant_id: str, channel_name: str) -> Outcome:
    """Marks a dropped socket as reconnecting, unless a newer socket already took over."""
    with locked_room(meeting_id) as unit:
        current = Participant.objects.filter(id=participant_id).values_list(
            "channel_name", flat=True
        )
        if list(current) == [channel_name]:
            unit.events += unit.room.disconnect(participant_id, timezone.now())
    return unit.outcome


def participant_expire(*, meeting_id: str, participant_id: str, grace_seconds: float) -> Outcome:
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    return apply(meeting_id, lambda room: room.expire(participant_id, cutoff))


def participants_expire_lapsed(*, meeting_id: str, grace_seconds: float) -> Outcome:
    """Counts as gone everyone whose grace ran out, whichever process's timer was lost."""
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    return apply(meeting_id, lambda room: room.expire_stale(cutoff))


def participant_leave(
    *, meeting_id: str, actor_id: str, hand_over_to: str | None = None
) -> Outcome:
    """Leaves the meeting; a facilitator may hand it over to someone present first."""
    return apply(meeting_id, lambda room: room.leave(actor_id, hand_over_to))


def hand_raise(*, meeting_id: str, actor_id: str) -> Outcome:
    return apply(meeting_id, lambda room: room.raise_hand(actor_id))


def hand_lower(*, meeting_id: str, actor_id: str, target_id: str | None = None) -> Outcome:
    """Lowers the actor's own hand, or (a facilitator) someone else's."""
    target = target_id or actor_id
    return apply(meeting_id, lambda room: room.lower_hand(actor_id, target))


def lobby_admit(*, meeting_id: str, actor_id: str, target_id: str) -> Outcome:
    return apply(meeting_id, lambda room: room.admit(actor_id, target_id))


def lobby_admit_all(*, meeting_id: str, actor_id: str) -> Outcome:
    return apply(meeting_id, lambda room: room.admit_all(actor_id))


def lobby_deny(*, meeting_id: str, actor_id: str, target_id: str) -> Outcome:
    return apply(meeting_id, lambda room: room.deny(actor_id, target_id))


def role_set(*, meeting_id: str, actor_id: str, target_id: str, role: str) -> Outcome:
    return apply(meeting_id, lambda room: room.set_role(actor_id, target_id, role))
