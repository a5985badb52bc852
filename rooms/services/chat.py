"""Chat: messages to everyone in the sender's space, or privately with the facilitators.

A private message belongs to one peer's thread with the facilitator team (that peer and every
facilitator see it) or, between facilitators, to no thread (their notes to each other).
Peers have no private messages with each other: a support group's usual safety rule.
"""

from __future__ import annotations

from uuid import UUID

from django.db import IntegrityError
from django.utils import timezone

from rooms import attention, events, policy, state
from rooms.models import ChatMessage, Participant
from rooms.persistence import GONE, member_from_row
from rooms.selectors.chat import chat_message_public
from rooms.services.unit import Outcome, locked_room

MAX_CHAT_CHARS = 2000
MAX_HELP_NOTE_CHARS = 1900
MAX_CONTENT_NOTE_CHARS = 60


def chat_send(
    *,
    meeting_id: str,
    sender_id: str,
    text: str,
    audience: str,
    client_id: str | None = None,
    thread_id: str | None = None,
    content_note: str | None = None,
) -> Outcome:
    """Stores a chat message and returns its events; the message is committed before delivery.

    Chat belongs to the space the sender is in (the main room or their breakout) and reaches
    only the people there; private messages to the facilitators reach them wherever they are.
    With a `client_id` the sender is acknowledged (`chat.ack`), and a resend of a message
    already stored (same sender and `client_id`) is not stored again: it is acknowledged and
    delivered again as it was stored (a page shows each message id once).

    `thread_id` (private messages only) names the peer whose thread with the facilitators
    this goes to: a facilitator replying to one person. A peer's private message always goes
    to their own thread; naming anyone else's is refused. `content_note` is the sender's
    warning shown instead of the text until a reader opens it.
    """
    text = text.strip()
    if not text:
        raise state.RoomError("empty_message", "A message needs some text.")
    if len(text) > MAX_CHAT_CHARS:
        raise state.RoomError(
            "message_too_long", f"Messages can be at most {MAX_CHAT_CHARS} characters."
        )
    note = (content_note or "").strip()
    if len(note) > MAX_CONTENT_NOTE_CHARS:
        raise state.RoomError(
            "content_note_too_long",
            f"A content note can be at most {MAX_CONTENT_NOTE_CHARS} characters.",
        )
    if thread_id is not None and audience != ChatMessage.Audience.FACILITATORS:
        raise state.RoomError(
            "thread_is_private", "A message in a private thread goes to the facilitators only."
        )
    return _store(
        meeting_id,
        sender_id,
        text,
        audience,
        ChatMessage.Kind.TEXT,
        client_id,
        thread_id=thread_id,
        content_note=note,
    )


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
    *,
    thread_id: str | None = None,
    content_note: str = "",
) -> Outcome:
    """Checks the sender from their own row, inserts, and says who receives it.

    No meeting lock and no room load: a message changes no one's state, so it needs only
    the sender's right to speak now (admitted, meeting not ended) and the space they are in.
    """
    sender = _sender(meeting_id, sender_id)
    thread = None
    if audience == ChatMessage.Audience.FACILITATORS:
        thread = _thread(meeting_id, sender, thread_id)
    try:
        message = ChatMessage.objects.create(
            meeting_id=meeting_id,
            sender_id=sender_id,
            audience=audience,
            kind=kind,
            text=text,
            room=sender.breakout or state.MAIN_SPACE,
            client_id=client_id,
            thread_id=thread,
            content_note=content_note,
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
    return Outcome(
        [*acks, *(events.ChatMessage(message=info, to=to) for to in _private_audience(message))]
    )


def chat_remove(*, meeting_id: str, actor_id: str, message_id: int) -> Outcome:
    """A facilitator removes a message for everyone who could see it.

    The text and content note are erased in the row itself (not hidden): history, late
    joiners and a resend of the same `client_id` all get the tombstone. Removing a removed
    message changes nothing and tells no one again.
    """
    actor = _sender(meeting_id, actor_id)
    if not actor.facilitates:
        raise state.RoomError("forbidden", "Only a facilitator can do that.")
    message = ChatMessage.objects.filter(id=message_id, meeting_id=meeting_id).first()
    if message is None:
        raise state.RoomError("message_not_found", "That message is not in this meeting's chat.")
    erased = ChatMessage.objects.filter(id=message.id, removed_at__isnull=True).update(
        text="", content_note="", removed_at=timezone.now()
    )
    if not erased:
        return Outcome([])
    if message.audience != ChatMessage.Audience.FACILITATORS:
        space = None if message.room == state.MAIN_SPACE else message.room
        return Outcome([events.ChatRemoved(message_id=message.id, to=events.ToSpace(space))])
    return Outcome(
        [events.ChatRemoved(message_id=message.id, to=to) for to in _private_audience(message)]
    )


def _private_audience(message: ChatMessage) -> list[events.Audience]:
    """The facilitators, and the peer whose thread it is (or, for rows from before threads,
    its sender); a facilitator of the meeting gets it once, as one of the facilitators."""
    person = str(message.thread_id or message.sender_id)
    facilitating = Participant.objects.filter(
        id=person, role__in=[Participant.Role.FACILITATOR, Participant.Role.COFACILITATOR]
    ).exists()
    if facilitating:
        return [events.ToFacilitators()]
    return [events.ToFacilitators(), events.ToParticipant(person)]


def _thread(meeting_id: str, sender: state.Member, thread_id: str | None) -> str | None:
    """Whose thread a private message joins: a peer's own; a facilitator's chosen peer, or
    none (a note to the other facilitators)."""
    if not sender.facilitates:
        if thread_id is not None and thread_id != sender.id:
            raise state.RoomError(
                "not_your_thread",
                "You can write privately only to the facilitators, in your own thread.",
            )
        return sender.id
    if thread_id is None:
        return None
    row = (
        Participant.objects.filter(id=thread_id, meeting_id=meeting_id)
        .exclude(status__in=GONE)
        .first()
    )
    if row is None:
        raise state.RoomError("not_found", "That participant is not in this meeting.")
    if row.role != Participant.Role.PEER:
        raise state.RoomError(
            "not_a_peer", "Private threads are between one peer and the facilitators."
        )
    if row.status != Participant.Status.ADMITTED:
        raise state.RoomError("not_in_room", "That person is not in the meeting room.")
    return str(row.id)


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
