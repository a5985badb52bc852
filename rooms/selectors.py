"""Reads: meetings, participants and chat history, as the room and the transport need them."""

from __future__ import annotations

import hashlib

from rooms import state
from rooms.models import ChatMessage, Meeting, Participant

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


def chat_history(*, meeting_id: str, viewer_id: str, viewer_facilitates: bool) -> list[dict]:
    """The last messages the viewer may see, oldest first."""
    messages = ChatMessage.objects.filter(meeting_id=meeting_id, room="main")
    if not viewer_facilitates:
        messages = messages.filter(audience=ChatMessage.Audience.ROOM) | messages.filter(
            audience=ChatMessage.Audience.FACILITATORS, sender_id=viewer_id
        )
    latest = messages.select_related("sender").order_by("-id")[:CHAT_HISTORY_LIMIT]
    return [chat_message_public(m) for m in reversed(list(latest))]


def meetings_owned(*, user) -> list[Meeting]:
    return list(Meeting.objects.filter(owner=user).order_by("-created_at"))


def media_plans(*, meeting_id: str) -> dict[str, state.MediaPlan]:
    meeting = Meeting.objects.filter(id=meeting_id, ended_at__isnull=True).first()
    if meeting is None:
        return {}
    return room_load(meeting=meeting).media_plans()
