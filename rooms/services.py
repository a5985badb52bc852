"""Writes: every change to a meeting goes through here, inside one transaction.

Each room operation locks the meeting row, loads the pure room state, applies the
operation, writes back what changed and returns the events. The caller delivers the
events after this function returns, i.e. after the commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from rooms import breakouts, selectors, state
from rooms.models import Breakout, ChatMessage, Meeting, Participant

MAX_CHAT_CHARS = 2000
MAX_NAME_CHARS = 40


def meeting_create(
    *, owner, title: str, starts_at: datetime | None = None, lobby_enabled: bool = True
) -> Meeting:
    title = title.strip()
    if not title:
        raise state.RoomError("invalid_title", "A meeting needs a title.")
    return Meeting.objects.create(
        owner=owner, title=title[:120], starts_at=starts_at, lobby_enabled=lobby_enabled
    )


def clean_display_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise state.RoomError("invalid_name", "Please choose a display name.")
    if len(name) > MAX_NAME_CHARS:
        raise state.RoomError("invalid_name", f"Names can be at most {MAX_NAME_CHARS} characters.")
    return name


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
    device_hash = selectors.token_digest(device) if device else ""
    if selectors.device_banned(meeting_id=str(meeting.id), device_hash=device_hash):
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
        token_hash=selectors.token_digest(token),
        device_hash=device_hash,
    )
    return participant, token


_MEMBER_FIELDS = {
    "role": "role",
    "status": "status",
    "connection": "connection",
    "hand_seq": "hand_raised_seq",
    "disconnected_at": "disconnected_at",
    "muted_by": "muted_by",
    "video_stopped_by": "video_stopped_by",
    "asked_audio": "asked_audio",
    "asked_video": "asked_video",
    "breakout": "breakout_id",
    "banned": "banned",
}

_ROOM_FIELDS = {
    "hand_counter": "hand_counter",
    "locked": "locked",
    "allow_self_unmute": "allow_self_unmute",
    "self_select": "breakout_self_select",
    "breakout_ends_at": "breakout_ends_at",
    "breakout_warn_at": "breakout_warn_at",
    "breakout_warned": "breakout_warned",
}


def room_apply(
    *, meeting_id: str, operation: Callable[[state.Room], list[state.Event]]
) -> list[state.Event]:
    """Runs one room operation under the meeting's row lock and writes back what changed.

    The breakout timer is caught up first, so a deadline that passed while nobody was
    counting (a restarted process) takes effect before anything else happens.
    """
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(id=meeting_id)
        room = selectors.room_load(meeting=meeting)
        before = {pid: _member_fields(m) for pid, m in room.members.items()}
        before_room = _room_fields(room)
        before_breakouts = {bid: b.open for bid, b in room.breakouts.items()}
        events = breakouts.tick(room, timezone.now())
        events += operation(room)
        now = timezone.now()
        _write_breakouts(meeting, room, before_breakouts, now)
        for pid, member in room.members.items():
            after = _member_fields(member)
            changed = {k: v for k, v in after.items() if before.get(pid, {}).get(k) != v}
            if changed:
                Participant.objects.filter(id=pid).update(**changed)
        changed_room = {k: v for k, v in _room_fields(room).items() if before_room.get(k) != v}
        if room.ended and meeting.ended_at is None:
            changed_room["ended_at"] = now
        if changed_room:
            Meeting.objects.filter(id=meeting_id).update(**changed_room)
    return events


def _member_fields(member: state.Member) -> dict:
    return {column: getattr(member, attr) for attr, column in _MEMBER_FIELDS.items()}


def _room_fields(room: state.Room) -> dict:
    return {column: getattr(room, attr) for attr, column in _ROOM_FIELDS.items()}


def _write_breakouts(meeting: Meeting, room: state.Room, before: dict, now: datetime) -> None:
    new = [b for bid, b in room.breakouts.items() if bid not in before]
    Breakout.objects.bulk_create(
        Breakout(id=b.id, meeting=meeting, name=b.name, position=b.position, closed_at=None)
        for b in new
    )
    closed = [bid for bid, b in room.breakouts.items() if before.get(bid) and not b.open]
    if closed:
        Breakout.objects.filter(id__in=closed).update(closed_at=now)


def breakout_tick(*, meeting_id: str) -> list[state.Event]:
    """The breakout timer's warning or automatic close, if one is due (room_apply ticks)."""
    return room_apply(meeting_id=meeting_id, operation=lambda room: [])


def participant_connect(
    *, meeting_id: str, participant_id: str, channel_name: str, grace_seconds: float
) -> tuple[list[state.Event], str]:
    """Marks the participant online on this socket; returns the events and the socket it replaced."""
    replaced: list[str] = []

    def operation(room: state.Room) -> list[state.Event]:
        row = Participant.objects.filter(id=participant_id)
        replaced.extend(row.values_list("channel_name", flat=True))
        row.update(channel_name=channel_name)
        stale = room.expire_stale(timezone.now() - timedelta(seconds=grace_seconds))
        return stale + room.connect(participant_id)

    events = room_apply(meeting_id=meeting_id, operation=operation)
    previous = replaced[0] if replaced else ""
    return events, previous if previous != channel_name else ""


def participant_disconnect(*, meeting_id: str, participant_id: str, channel_name: str) -> list:
    """Marks a dropped socket as reconnecting, unless a newer socket already took over."""

    def operation(room: state.Room) -> list[state.Event]:
        current = Participant.objects.filter(id=participant_id).values_list(
            "channel_name", flat=True
        )
        if list(current) != [channel_name]:
            return []
        return room.disconnect(participant_id, timezone.now())

    return room_apply(meeting_id=meeting_id, operation=operation)


def participant_expire(*, meeting_id: str, participant_id: str, grace_seconds: float) -> list:
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    return room_apply(meeting_id=meeting_id, operation=lambda r: r.expire(participant_id, cutoff))


def chat_send(*, meeting_id: str, sender_id: str, text: str, audience: str) -> list[state.Event]:
    """Stores a chat message and returns its event; the message is committed before delivery.

    Room chat belongs to the room the sender is in (main or their breakout) and reaches
    only the people there; private messages to the facilitators reach them wherever they are.
    """
    text = text.strip()
    if not text:
        raise state.RoomError("empty_message", "A message needs some text.")
    if len(text) > MAX_CHAT_CHARS:
        raise state.RoomError(
            "message_too_long", f"Messages can be at most {MAX_CHAT_CHARS} characters."
        )
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(id=meeting_id)
        room = selectors.room_load(meeting=meeting)
        sender = room.check_can_chat(sender_id)
        message = ChatMessage.objects.create(
            meeting_id=meeting_id,
            sender_id=sender_id,
            audience=audience,
            text=text,
            room=sender.breakout or state.MAIN_ROOM,
        )
        message.sender = Participant(id=sender_id, display_name=sender.name)
    payload = {"message": selectors.chat_message_public(message)}
    if audience == ChatMessage.Audience.FACILITATORS:
        events = [state.Event("chat.message", payload, state.TO_FACILITATORS)]
        if not sender.facilitates:
            events.append(state.Event("chat.message", payload, state.to_participant(sender_id)))
        return events
    return [state.Event("chat.message", payload, state.to_breakout(sender.breakout))]
