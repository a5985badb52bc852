"""The facilitators' attention queue: help requests, "I need support", reports, knocks.

One queue per meeting, in arrival order, kept with the meeting (a facilitator who joins late
or reloads sees it: `MeetingState.snapshot_for`). Only facilitators read it (`attention.item`
events, the snapshot) and only they mark an item handled; everyone else gets `forbidden`
and nothing changes. Raised hands stay their own queue (`MeetingState.hand_queue`).

"I need support" is private: it reaches the facilitators and the person, nobody else; the
person can withdraw it. Everyone who waits in the lobby knocks: the item is added on
`MeetingState.connect` (`queue.knock`) and settled by admit, deny or leaving
(`queue.settle_knocks`).
"""

from __future__ import annotations

from rooms import policy, queue
from rooms.events import Event, ReportReceived, SupportStatus, ToParticipant
from rooms.queue import AttentionItem
from rooms.state import MeetingState, Member, RoomError

MAX_NOTE_CHARS = 500
REPORT_REASONS = ("harassment", "hurtful", "unsafe", "privacy", "spam", "other")


def _clean_note(note: str) -> str:
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise RoomError("note_too_long", f"A note can be at most {MAX_NOTE_CHARS} characters.")
    return note


def _support_event(room: MeetingState, member: Member) -> Event:
    return SupportStatus(support=queue.support_of(room, member.id), to=ToParticipant(member.id))


def need_support(room: MeetingState, actor_id: str, note: str = "") -> list[Event]:
    """Alerts the facilitators, and only them; a second press while one is open alerts nobody
    again (the person sees their resources again)."""
    note = _clean_note(note)
    policy.require_live(room)
    actor = policy.require_present(room, actor_id)
    current = queue.support_item(room, actor.id)
    if current is not None and current.open:
        return [_support_event(room, actor)]
    item = queue.add_item(room, kind="support", member=actor, note=note, breakout=actor.breakout)
    return [queue.item_event(room, item), _support_event(room, actor)]


def cancel_support(room: MeetingState, actor_id: str) -> list[Event]:
    """The person withdraws their own signal; the facilitators see it withdrawn."""
    actor = room.member(actor_id)
    current = queue.support_item(room, actor.id)
    if current is None or not current.open:
        raise RoomError("no_support_request", "There is no open request for support.")
    current.state = "cancelled"
    return [queue.item_event(room, current), _support_event(room, actor)]


def ask_for_help(
    room: MeetingState, actor_id: str, note: str = "", message_id: int | None = None
) -> list[Event]:
    """A help request (main room or breakout) as an item of the queue; the chat keeps the
    request's message for the person and the facilitators (rooms.services.chat)."""
    actor = policy.require_present(room, actor_id)
    if actor.facilitates:
        return []  # a facilitator asking for help reaches the others through the chat
    item = queue.add_item(
        room, kind="help", member=actor, note=note, breakout=actor.breakout, message_id=message_id
    )
    return [queue.item_event(room, item)]


def report(
    room: MeetingState,
    actor_id: str,
    *,
    reason: str,
    note: str = "",
    subject_id: str | None = None,
    subject_name: str = "",
    message_id: int | None = None,
    message_text: str = "",
) -> list[Event]:
    """Reports a participant, or a message (its sender is the subject), to the facilitators.

    The reporter's name goes to the facilitators only; the reported person is not told.
    A message may be reported after its sender left (`subject_name` from its row); a person
    only while they are part of the meeting.
    """
    if reason not in REPORT_REASONS:
        raise RoomError("invalid_reason", "Choose one of the reasons offered.")
    note = _clean_note(note)
    policy.require_live(room)
    actor = policy.require_present(room, actor_id)
    if subject_id is None:
        raise RoomError("nothing_to_report", "Choose a message or a person to report.")
    if subject_id == actor.id:
        raise RoomError("cannot_report_self", "You cannot report yourself.")
    subject = room.members.get(subject_id)
    if subject is not None:
        subject_name = subject.name
    elif message_id is None:
        raise RoomError("not_found", "That participant is not in this meeting.")
    item = queue.add_item(
        room,
        kind="report",
        member=actor,
        note=note,
        reason=reason,
        breakout=actor.breakout,
        subject_id=subject_id,
        subject_name=subject_name,
        message_id=message_id,
        message_text=message_text,
    )
    return [
        queue.item_event(room, item),
        ReportReceived(report_id=item.id, to=ToParticipant(actor.id)),
    ]


def handle(room: MeetingState, actor_id: str, item_id: str) -> list[Event]:
    """Marks an item handled, for every facilitator; twice (or two at once) is done once."""
    actor = policy.require_facilitator(room, actor_id)
    item = _item(room, item_id)
    if not item.open:
        return []
    item.state = "handled"
    item.handled_by, item.handled_by_name = actor.id, actor.name
    events = [queue.item_event(room, item)]
    if item.kind == "support" and item.participant_id in room.members:
        events.append(_support_event(room, room.members[item.participant_id]))
    return events


def _item(room: MeetingState, item_id: str) -> AttentionItem:
    try:
        return room.attention[item_id]
    except KeyError:
        raise RoomError("attention_not_found", "There is no such item in the queue.") from None
