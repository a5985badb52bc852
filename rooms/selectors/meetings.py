"""Reads about meetings and participants, as the pages and the socket handshake need them."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from uuid import UUID

from django.contrib.auth.models import User
from django.db.models import Count, Q

from rooms.models import Meeting, Participant
from rooms.persistence import GONE


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_digest(*, salt: str, device: str) -> str:
    """The browser cookie as this meeting knows it: keyed with the meeting's own salt, so
    the same browser's hashes in two meetings cannot be matched (salt "" = older meetings)."""
    if not salt:
        return token_digest(device)
    return hmac.new(salt.encode(), device.encode(), hashlib.sha256).hexdigest()


def meeting_open(*, meeting_id: str) -> Meeting | None:
    """The meeting a socket may connect to: it exists and has not ended (None otherwise)."""
    try:
        UUID(meeting_id)
    except ValueError:
        return None
    return Meeting.objects.filter(id=meeting_id, ended_at__isnull=True).first()


def participant_by_token(*, meeting_id: str, token: str) -> Participant | None:
    return (
        Participant.objects.filter(meeting_id=meeting_id, token_hash=token_digest(token))
        .exclude(status__in=GONE)
        .first()
    )


def participant_breakout(*, participant_id: str) -> str | None:
    """The breakout this participant is in now (None: the main room)."""
    row = Participant.objects.filter(id=participant_id).values_list("breakout_id", flat=True)
    found = row.first()
    return str(found) if found else None


def device_banned(*, meeting_id: str, device_hash: str) -> bool:
    if not device_hash:
        return False
    return Participant.objects.filter(
        meeting_id=meeting_id, banned=True, device_hash=device_hash
    ).exists()


def meetings_owned(*, user: User) -> list[Meeting]:
    return list(Meeting.objects.filter(owner=user).order_by("-created_at"))


@dataclass(frozen=True)
class MeetingSummary:
    meeting: Meeting
    present: int  # admitted and connected (or reconnecting) now


_IN_ROOM = (Participant.Connection.ONLINE, Participant.Connection.RECONNECTING)


def meeting_present(*, meeting: Meeting) -> int:
    """How many people are in the meeting room now (reconnecting ones count)."""
    return meeting.participants.filter(
        status=Participant.Status.ADMITTED, connection__in=_IN_ROOM
    ).count()


def meetings_overview(*, user: User) -> dict[str, list[MeetingSummary]]:
    """The owner's meetings in three parts: `live` (not ended, someone in it now),
    `upcoming` (not ended, nobody in it; soonest start first, those without one last)
    and `ended` (latest first)."""
    present = Q(
        participants__status=Participant.Status.ADMITTED, participants__connection__in=_IN_ROOM
    )
    rows = Meeting.objects.filter(owner=user).annotate(
        present=Count("participants", filter=present)
    )
    parts: dict[str, list[MeetingSummary]] = {"live": [], "upcoming": [], "ended": []}
    for meeting in rows:
        summary = MeetingSummary(meeting, meeting.present)
        if meeting.ended_at is not None:
            parts["ended"].append(summary)
        elif summary.present:
            parts["live"].append(summary)
        else:
            parts["upcoming"].append(summary)
    parts["live"].sort(key=lambda s: s.meeting.created_at, reverse=True)
    parts["upcoming"].sort(
        key=lambda s: (s.meeting.starts_at is None, s.meeting.starts_at or s.meeting.created_at)
    )
    parts["ended"].sort(key=lambda s: s.meeting.ended_at or s.meeting.created_at, reverse=True)
    return parts
