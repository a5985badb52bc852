"""Chat: messages to everyone in the sender's space, or privately to the facilitators."""

from __future__ import annotations

from uuid import UUID

from django.db import IntegrityError

from rooms import attention, events, policy, state
from rooms.models import ChatMessage, Participant
from rooms.persistence import GONE, member_from_row
from rooms.selectors.chat import chat_message_public
from rooms.services.unit import Outcome, locked_room

MAX_CHAT_CHARS = 2000
MAX_HELP_NOTE_CHARS = 1900


def chat_send(
    *, meeting_id: str, sender_id: str, text: str, audience: str, client_id: str | None = None
) -> Outcome:
    """Stores a chat message and returns its events; the message is committed before delivery.

    Chat belongs to the space the sender is in (the main room or their breakout) and reaches
    only the people there; private messages to the facilitators reach them wherever they are.
    With a `client_id` the sender is acknowledged (`chat.ack`), and a resend of a message
    already stored (same sender and `client_id`) is not stored again: it is acknowledged and
    delivered again as it was stored (a page shows each message id once).
    """
    text = text.strip()
    if not text:
        raise state.RoomError("empty_message", "A message needs some text.")
    if len(text) > MAX_CHAT_CHARS:
        raise state.RoomError(
            "message_too_long", f"Messages can be at most {MAX_CHAT_CHARS} characters."
        )
    return _store(meeting_id, sender_id, text, audience, ChatMessage.Kind.TEXT, client_id)


def help_request(*, meeting_id: str, actor_id: str, note: str = "") -> Outcome:
    """Someone admitted (in the main room or a breakout) asks the facilitators for help.

    Stored as a private message to the facilitators with kind "help" (the person and the
    facilitators read it in the chat), and an item of the facilitators' attention queue,
    which stays until a facilitator marks it handled. The note is optional.
    """
    note = note.strip()
    if len(note) > MAX_HELP_NOTE_CHARS:
        raise state.RoomError(
            "message_too_long",
            f"A request for help can be at most {MAX_HELP_NOTE_CHARS:,} characters.",
        )
    with locked_room(meeting_id) as unit:
        stored = _store(
            meeting_id, actor_id, note, ChatMessage.Audience.FACILITATORS, ChatMessage.Kind.HELP
        )
        message_id = next(e.message.id for e in stored.events if isinstance(e, events.ChatMessage))
        unit.events += attention.ask_for_help(unit.room, actor_id, note, message_id)
    return Outcome([*stored.events, *unit.outcome.events])


def _store(
    meeting_id: str,
    sender_id: str,
    text: str,
    audience: str,
    kind: str,
    client_id: str | None = None,
) -> Outcome:
    """Checks the sender from their own row, inserts, and says who receives it.

    No meeting lock and no room load: a message changes no one's state, so it needs only
    the sender's right to speak now (admitted, meeting not ended) and the space they are in.
    """
    sender = _sender(meeting_id, sender_id)
    try:
        message = ChatMessage.objects.create(
            meeting_id=meeting_id,
            sender_id=sender_id,
            audience=audience,
            kind=kind,
            text=text,
            room=sender.breakout or state.MAIN_SPACE,
            client_id=client_id,
        )
    except IntegrityError:
        if client_id is None:
            raise
        # stored before: its first answer was lost with the socket (or the process)
        message = ChatMessage.objects.get(sender_id=UUID(sender_id), client_id=client_id)
    message.sender = Participant(id=sender_id, display_name=sender.name)
    info = chat_message_public(message)
    acks: list[events.Event] = []
    if client_id is not None:
        acks.append(
            events.ChatAck(
                client_id=client_id, message_id=message.id, to=events.ToParticipant(sender_id)
            )
        )
    if message.audience != ChatMessage.Audience.FACILITATORS:
        space = None if message.room == state.MAIN_SPACE else message.room
        return Outcome([*acks, events.ChatMessage(message=info, to=events.ToSpace(space))])
    to_them = [*acks, events.ChatMessage(message=info, to=events.ToFacilitators())]
    if sender.facilitates:
        return Outcome(to_them)
    return Outcome([*to_them, events.ChatMessage(message=info, to=events.ToParticipant(sender_id))])


def _sender(meeting_id: str, sender_id: str) -> state.Member:
    row = (
        Participant.objects.select_related("meeting")
        .filter(id=sender_id, meeting_id=meeting_id)
        .exclude(status__in=GONE)
        .first()
    )
    if row is None:
        raise state.RoomError("not_found", "That participant is not in this meeting.")
    if row.meeting.ended_at is not None:
        raise state.RoomError("meeting_ended", "This meeting has ended.")
    return policy.require_admitted(member_from_row(row))
