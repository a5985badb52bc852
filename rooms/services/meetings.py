"""Creating meetings and participants (the pages' use-cases; the socket never creates)."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.contrib.auth.models import User

from rooms import state
from rooms.models import Meeting, Participant
from rooms.names import clean_label
from rooms.selectors.meetings import device_banned, token_digest

MAX_NAME_CHARS = 40
MAX_TITLE_CHARS = 120


def meeting_create(
    *,
    owner: User,
    title: str,
    starts_at: datetime | None = None,
    lobby_enabled: bool = True,
) -> Meeting:
    title = clean_label(
        title, what="meeting title", code="invalid_title", max_chars=MAX_TITLE_CHARS
    )
    return Meeting.objects.create(
        owner=owner, title=title, starts_at=starts_at, lobby_enabled=lobby_enabled
    )


def clean_display_name(name: str) -> str:
    return clean_label(name, what="display name", code="invalid_name", max_chars=MAX_NAME_CHARS)


def participant_create(
    *, meeting: Meeting, display_name: str, media: str, role: str, device: str = ""
) -> tuple[Participant, str]:
    """Creates a participant and returns it with its bearer token (shown once, stored hashed).

    `device` is a random value the browser keeps in a cookie (see meetings.views.api_join):
    someone removed with "may not rejoin" is refused when they come back from the same
    browser. A pseudonymous join cannot be banned for certain: another browser, a private
    window or cleared cookies get through.
    """
    if meeting.ended_at is not None:
        raise state.RoomError("meeting_ended", "This meeting has ended.")
    if meeting.locked and role == state.PEER:
        raise state.RoomError(
            "meeting_locked", "This meeting is not taking new participants right now."
        )
    device_hash = token_digest(device) if device else ""
    if device_banned(meeting_id=str(meeting.id), device_hash=device_hash):
        raise state.RoomError("banned", "A facilitator has asked that you not rejoin this meeting.")
    if media not in Participant.Media.values:
        raise state.RoomError("invalid_media", "Choose camera & microphone or text only.")
    name = clean_display_name(display_name)
    skips_lobby = role in state.FACILITATING_ROLES or not meeting.lobby_enabled
    token = secrets.token_urlsafe(32)
    participant = Participant.objects.create(
        meeting=meeting,
        display_name=name,
        role=role,
        media=media,
        status=Participant.Status.ADMITTED if skips_lobby else Participant.Status.LOBBY,
        token_hash=token_digest(token),
        device_hash=device_hash,
    )
    return participant, token
