"""Reads of chat: one message as the wire shows it, and the history a viewer may see."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q

from rooms import state
from rooms.models import ChatMessage, Participant

CHAT_HISTORY_LIMIT = 200


def chat_message_public(message: ChatMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "sender_id": str(message.sender_id),
        "sender_name": message.sender.display_name,
        "audience": message.audience,
        "kind": message.kind,
        "text": message.text,
        "sent_at": message.sent_at.isoformat(),
        "thread_id": str(message.thread_id) if message.thread_id else None,
        "content_note": message.content_note or None,
        "removed": message.removed_at is not None,
    }


def chat_history(
    *, meeting_id: str, viewer_id: str, viewer_facilitates: bool, space: str = state.MAIN_SPACE
) -> list[dict[str, Any]]:
    """The last messages the viewer may see in `space` (main or a breakout id), oldest first.

    Private messages to the facilitators belong to no space: they follow the viewer. Everyone
    sees their own and those of their own thread with the facilitators; never another peer's
    thread. Beyond those, the meeting's facilitator (the owner's signed-in seat) sees all of
    them; a co-facilitator only those sent since they began to facilitate, because a peer
    wrote each one to the facilitators who were present then. Removed messages come as
    tombstones (their text is gone from the row).
    """
    messages = ChatMessage.objects.filter(meeting_id=meeting_id)
    in_room = messages.filter(room=space, audience=ChatMessage.Audience.ROOM)
    private = messages.filter(audience=ChatMessage.Audience.FACILITATORS)
    own = Q(sender_id=UUID(viewer_id)) | Q(thread_id=UUID(viewer_id))
    if viewer_facilitates:
        viewer = Participant.objects.only("role", "facilitates_since").get(id=viewer_id)
        if viewer.role != Participant.Role.FACILITATOR:
            since = viewer.facilitates_since
            private = private.filter(own | Q(sent_at__gte=since)) if since else private.filter(own)
    else:
        private = private.filter(own)
    messages = in_room | private
    latest = messages.select_related("sender").order_by("-id")[:CHAT_HISTORY_LIMIT]
    return [chat_message_public(m) for m in reversed(list(latest))]
