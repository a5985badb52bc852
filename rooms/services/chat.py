"""Chat: messages to everyone in the sender's space, or privately to the facilitators."""

from __future__ import annotations

from rooms import events, state
from rooms.models import ChatMessage, Participant
from rooms.selectors.chat import chat_message_public
from rooms.services.unit import Outcome, locked_room

MAX_CHAT_CHARS = 2000
MAX_HELP_NOTE_CHARS = 1900


def chat_send(*, meeting_id: str, sender_id: str, text: str, audience: str) -> Outcome:
    """Stores a chat message and returns its event; the message is committed before delivery.

    Chat belongs to the space the sender is in (the main room or their breakout) and reaches
    only the people there; private messages to the facilitators reach them wherever they are.
    """
    text = text.strip()
    if not text:
        raise state.RoomError("empty_message", "A message needs some text.")
    if len(text) > MAX_CHAT_CHARS:
        raise state.RoomError(
            "message_too_long", f"Messages can be at most {MAX_CHAT_CHARS} characters."
        )
    return _store(meeting_id, sender_id, text, audience, ChatMessage.Kind.TEXT)


def help_request(*, meeting_id: str, actor_id: str, note: str = "") -> Outcome:
    """Someone admitted (in the main room or a breakout) asks the facilitators for help.

    Stored as a private message to the facilitators with kind "help"; the note is optional.
    """
    note = note.strip()
    if len(note) > MAX_HELP_NOTE_CHARS:
        raise state.RoomError(
            "message_too_long",
            f"A request for help can be at most {MAX_HELP_NOTE_CHARS:,} characters.",
        )
    return _store(
        meeting_id, actor_id, note, ChatMessage.Audience.FACILITATORS, ChatMessage.Kind.HELP
    )


def _store(meeting_id: str, sender_id: str, text: str, audience: str, kind: str) -> Outcome:
    with locked_room(meeting_id) as unit:
        sender = unit.room.check_can_chat(sender_id)
        message = ChatMessage.objects.create(
            meeting_id=meeting_id,
            sender_id=sender_id,
            audience=audience,
            kind=kind,
            text=text,
            room=sender.breakout or state.MAIN_SPACE,
        )
        message.sender = Participant(id=sender_id, display_name=sender.name)
        info = chat_message_public(message)
        if audience == ChatMessage.Audience.FACILITATORS:
            unit.events.append(events.ChatMessage(message=info, to=events.ToFacilitators()))
            if not sender.facilitates:
                unit.events.append(
                    events.ChatMessage(message=info, to=events.ToParticipant(sender_id))
                )
        else:
            unit.events.append(events.ChatMessage(message=info, to=events.ToSpace(sender.breakout)))
    return unit.outcome
