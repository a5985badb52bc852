"""The attention queue's use-cases: "I need support", reports, marking items handled."""

from __future__ import annotations

from rooms import attention, state
from rooms.models import ChatMessage
from rooms.services.unit import Outcome, apply, locked_room


def support_request(*, meeting_id: str, actor_id: str, note: str = "") -> Outcome:
    return apply(meeting_id, lambda room: attention.need_support(room, actor_id, note))


def support_cancel(*, meeting_id: str, actor_id: str) -> Outcome:
    return apply(meeting_id, lambda room: attention.cancel_support(room, actor_id))


def attention_handle(*, meeting_id: str, actor_id: str, item_id: str) -> Outcome:
    return apply(meeting_id, lambda room: attention.handle(room, actor_id, item_id))


def report_send(
    *,
    meeting_id: str,
    actor_id: str,
    reason: str,
    note: str = "",
    participant_id: str | None = None,
    message_id: int | None = None,
) -> Outcome:
    """Reports a person, or a chat message everyone in its room could read (its sender is
    the one reported). A message private to the facilitators cannot be reported: only its
    sender and the facilitators read it."""
    if participant_id is not None and message_id is not None:
        raise state.RoomError("nothing_to_report", "Report a message or a person, not both.")
    with locked_room(meeting_id) as unit:
        subject_id, subject_name, text = participant_id, "", ""
        if message_id is not None:
            message = (
                ChatMessage.objects.select_related("sender")
                .filter(id=message_id, meeting_id=meeting_id, audience=ChatMessage.Audience.ROOM)
                .first()
            )
            if message is None:
                raise state.RoomError("message_not_found", "There is no such message to report.")
            if message.removed_at is not None:
                raise state.RoomError(
                    "message_removed", "A facilitator has already removed that message."
                )
            subject_id, subject_name = str(message.sender_id), message.sender.display_name
            text = message.text
        unit.events += attention.report(
            unit.room,
            actor_id,
            reason=reason,
            note=note,
            subject_id=subject_id,
            subject_name=subject_name,
            message_id=message_id,
            message_text=text,
        )
    return unit.outcome
