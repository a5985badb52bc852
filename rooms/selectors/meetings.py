"""Reads about meetings and participants, as the pages and the socket handshake need them."""

from __future__ import annotations

import hashlib
import hmac
from uuid import UUID

from django.contrib.auth.models import User

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
