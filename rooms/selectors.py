"""Reads: meetings, participants and chat history, as the room and the transport need them."""

from __future__ import annotations

import hashlib

from rooms import breakouts, state
from rooms.models import Breakout, ChatMessage, Meeting, Participant

CHAT_HISTORY_LIMIT = 200
_GONE = (Participant.Status.LEFT, Participant.Status.DENIED)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def meeting_by_invite(*, invite: str) -> tuple[Meeting, str] | None:
    """Returns the meeting and the role the invite grants, or None for an unknown invite."""
    meeting = Meeting.objects.filter(peer_invite=invite).first()
    if meeting is not None:
        return meeting, state.PEER
    meeting = Meeting.objects.filter(cofacilitator_invite=invite).first()
    if meeting is not None:
        return meeting, state.COFACILITATOR
    return None


def participant_by_token(*, meeting_id: str, token: str) -> Participant | None:
    return (
        Participant.objects.filter(meeting_id=meeting_id, token_hash=token_digest(token))
        .exclude(status__in=_GONE)
        .first()
    )


def room_load(*, meeting: Meeting) -> state.Room:
    room = state.Room(
        meeting_id=str(meeting.id),
        lobby_enabled=meeting.lobby_enabled,
        hand_counter=meeting.hand_counter,
        locked=meeting.locked,
        allow_self_unmute=meeting.allow_self_unmute,
        ended=meeting.ended_at is not None,
        self_select=meeting.breakout_self_select,
        breakout_ends_at=meeting.breakout_ends_at,
        breakout_warn_at=meeting.breakout_warn_at,
        breakout_warned=meeting.breakout_warned,
    )
    for b in Breakout.objects.filter(meeting=meeting).order_by("position"):
        room.breakouts[str(b.id)] = state.Breakout(
            id=str(b.id), name=b.name, position=b.position, open=b.closed_at is None
        )
    for p in meeting.participants.exclude(status__in=_GONE).order_by("created_at"):
        room.members[str(p.id)] = member_from_row(p)
    return room


def member_from_row(p: Participant) -> state.Member:
    return state.Member(
        id=str(p.id),
        name=p.display_name,
        role=p.role,
        media=p.media,
        status=p.status,
        connection=p.connection,
        hand_seq=p.hand_raised_seq,
        disconnected_at=p.disconnected_at,
        muted_by=p.muted_by,
        video_stopped_by=p.video_stopped_by,
        asked_audio=p.asked_audio,
        asked_video=p.asked_video,
        breakout=str(p.breakout_id) if p.breakout_id else None,
        banned=p.banned,
    )


def chat_message_public(message: ChatMessage) -> dict:
    return {
        "id": message.id,
        "sender_id": str(message.sender_id),
        "sender_name": message.sender.display_name,
        "audience": message.audience,
        "text": message.text,
        "sent_at": message.sent_at.isoformat(),
    }


def chat_history(
    *, meeting_id: str, viewer_id: str, viewer_facilitates: bool, room: str = state.MAIN_ROOM
) -> list[dict]:
    """The last messages the viewer may see in `room` (main or a breakout id), oldest first.

    Private messages to the facilitators belong to no room: they follow the viewer.
    """
    messages = ChatMessage.objects.filter(meeting_id=meeting_id)
    in_room = messages.filter(room=room, audience=ChatMessage.Audience.ROOM)
    private = messages.filter(audience=ChatMessage.Audience.FACILITATORS)
    if not viewer_facilitates:
        private = private.filter(sender_id=viewer_id)
    messages = in_room | private
    latest = messages.select_related("sender").order_by("-id")[:CHAT_HISTORY_LIMIT]
    return [chat_message_public(m) for m in reversed(list(latest))]


def participant_breakout(*, participant_id: str) -> str | None:
    """The breakout this participant is in now (None: the main room)."""
    row = Participant.objects.filter(id=participant_id).values_list("breakout_id", flat=True)
    found = row.first()
    return str(found) if found else None


def breakout_next_deadline(*, meeting_id: str):
    """When the meeting's breakout timer next has something to do, or None."""
    meeting = Meeting.objects.filter(id=meeting_id).first()
    if meeting is None or meeting.breakout_ends_at is None:
        return None
    return breakouts.next_deadline(room_load(meeting=meeting))


def device_banned(*, meeting_id: str, device_hash: str) -> bool:
    if not device_hash:
        return False
    return Participant.objects.filter(
        meeting_id=meeting_id, banned=True, device_hash=device_hash
    ).exists()


def meetings_owned(*, user) -> list[Meeting]:
    return list(Meeting.objects.filter(owner=user).order_by("-created_at"))


def media_plans(*, meeting_id: str) -> dict[str, state.MediaPlan]:
    meeting = Meeting.objects.filter(id=meeting_id, ended_at__isnull=True).first()
    if meeting is None:
        return {}
    return room_load(meeting=meeting).media_plans()
