"""Breakout rooms: create, assign (automatic, manual, self-select), move, timer, close.

Pure functions on a `MeetingState`. A member's `breakout` is always an open breakout or None
(the main room). Media follows through `MeetingState.media_plans()`: people in a breakout
send and receive media only within it. Chat is per room (see services.chat_send).

The timer is stored as deadlines on the room. `tick(room, now)` sends the warning once
and, at the deadline, closes every breakout automatically; services call it at the
start of every room operation, so a deadline missed while no process was counting
(e.g. after a restart) is caught up by the next thing that happens in the meeting.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from rooms import attention, policy
from rooms.events import (
    BreakoutBroadcast,
    BreakoutHelpRequested,
    BreakoutsClosed,
    BreakoutsUpdated,
    BreakoutWarning,
    Event,
    ToFacilitators,
    ToMeeting,
    ToParticipant,
)
from rooms.names import clean_label
from rooms.state import (
    FACILITATING_ROLES,
    Breakout,
    MeetingState,
    Member,
    RoomError,
)

MAX_OPEN_BREAKOUTS = 50
MAX_NAME_CHARS = 40
MAX_BROADCAST_CHARS = 2000
DEFAULT_WARN_SECONDS = 60

TIMER = "timer"
FACILITATOR_CLOSED = "facilitator"


def _new_id() -> str:
    return str(uuid.uuid4())


def _updated(room: MeetingState) -> Event:
    return BreakoutsUpdated(**room.breakouts_public(), to=ToMeeting())


def _open_breakout(room: MeetingState, breakout_id: str | None) -> str | None:
    """Checks a destination: None is the main room, which is always open."""
    if breakout_id is None:
        return None
    breakout = room.breakouts.get(breakout_id)
    if breakout is None:
        raise RoomError("breakout_not_found", "There is no such breakout room.")
    if not breakout.open:
        raise RoomError("breakout_closed", "That breakout room has been closed.")
    return breakout.id


def _clear_timer(room: MeetingState) -> None:
    room.breakout_ends_at = room.breakout_warn_at = None
    room.breakout_warned = False


# --- creating and filling -----------------------------------------------------------------


def create(
    room: MeetingState,
    actor_id: str,
    *,
    count: int | None = None,
    names: list[str] | None = None,
    self_select: bool = False,
    new_id: Callable[[], str] = _new_id,
) -> list[Event]:
    """Opens `count` numbered breakouts or one per name; more can be added while they run."""
    policy.require_live(room)
    policy.require_facilitator(room, actor_id)
    if (count is None) == (names is None):
        raise RoomError("invalid_message", "Give either a number of rooms or their names.")
    open_now = len(room.open_breakouts())
    if names is not None:
        if not names:
            raise RoomError("invalid_name", f"Room names are 1 to {MAX_NAME_CHARS} characters.")
        names = [
            clean_label(n, what="room name", code="invalid_name", max_chars=MAX_NAME_CHARS)
            for n in names
        ]
    else:
        if count is None or count < 1:
            raise RoomError("invalid_message", "Create at least one room.")
        names = [f"Room {open_now + i + 1}" for i in range(count)]
    if open_now + len(names) > MAX_OPEN_BREAKOUTS:
        raise RoomError(
            "too_many_breakouts", f"At most {MAX_OPEN_BREAKOUTS} breakout rooms can be open."
        )
    position = max((b.position for b in room.breakouts.values()), default=0)
    for offset, name in enumerate(names, start=1):
        breakout = Breakout(id=new_id(), name=name, position=position + offset)
        room.breakouts[breakout.id] = breakout
    room.self_select = self_select
    return [_updated(room)]


def assign_automatically(
    room: MeetingState, actor_id: str, *, include_facilitators: bool = False
) -> list[Event]:
    """Spreads everyone still in the main room over the open breakouts, evenly.

    People already in a breakout stay where they are and count towards the balance,
    so a manual assignment can be made first and the rest filled in automatically.
    """
    policy.require_live(room)
    policy.require_facilitator(room, actor_id)
    rooms = room.open_breakouts()
    if not rooms:
        raise RoomError("no_breakouts", "Create breakout rooms first.")
    sizes = {b.id: 0 for b in rooms}
    waiting: list[Member] = []
    for member in room.present():
        if member.breakout in sizes:
            sizes[member.breakout] += 1
        elif include_facilitators or member.role not in FACILITATING_ROLES:
            waiting.append(member)
    if not waiting:
        return []
    order = {b.id: b.position for b in rooms}
    for member in waiting:
        smallest = min(sizes, key=lambda b: (sizes[b], order[b]))
        member.breakout = smallest
        sizes[smallest] += 1
    return [_updated(room)]


def move(room: MeetingState, actor_id: str, target_id: str, breakout_id: str | None) -> list[Event]:
    """A facilitator puts anyone (themself included) into a breakout or back in the main room."""
    policy.require_live(room)
    policy.require_facilitator(room, actor_id)
    target = policy.require_target(room, target_id)
    destination = _open_breakout(room, breakout_id)
    if target.breakout == destination:
        return []
    target.breakout = destination
    return [_updated(room)]


def join(room: MeetingState, actor_id: str, breakout_id: str | None) -> list[Event]:
    """Going to a breakout yourself: facilitators visit any time; peers when self-select is on."""
    policy.require_live(room)
    actor = policy.require_present(room, actor_id)
    if not actor.facilitates and not room.self_select:
        raise RoomError("self_select_off", "Choosing a breakout room is not open right now.")
    destination = _open_breakout(room, breakout_id)
    if actor.breakout == destination:
        return []
    actor.breakout = destination
    return [_updated(room)]


# --- while they run -------------------------------------------------------------------------


def ask_for_help(room: MeetingState, actor_id: str) -> list[Event]:
    actor = policy.require_present(room, actor_id)
    if actor.breakout is None:
        raise RoomError("not_in_breakout", "Asking for help is for breakout rooms.")
    breakout = room.breakouts[actor.breakout]
    data = {
        "participant_id": actor.id,
        "name": actor.name,
        "breakout_id": breakout.id,
        "breakout_name": breakout.name,
    }
    events: list[Event] = [BreakoutHelpRequested(**data, to=ToFacilitators())]
    if not actor.facilitates:
        events.append(BreakoutHelpRequested(**data, to=ToParticipant(actor.id)))
    return events + attention.ask_for_help(room, actor_id)


def broadcast(room: MeetingState, actor_id: str, text: str) -> list[Event]:
    """A message from a facilitator shown in every room at once (not kept in any chat)."""
    policy.require_live(room)
    actor = policy.require_facilitator(room, actor_id)
    text = text.strip()
    if not text:
        raise RoomError("empty_message", "A message needs some text.")
    if len(text) > MAX_BROADCAST_CHARS:
        raise RoomError("message_too_long", "Messages can be at most 2,000 characters.")
    return [BreakoutBroadcast(text=text, sender_name=actor.name, to=ToMeeting())]


def set_timer(
    room: MeetingState,
    actor_id: str,
    seconds: int | None,
    now: datetime,
    *,
    warn_seconds: int = DEFAULT_WARN_SECONDS,
) -> list[Event]:
    """Breakouts close by themselves `seconds` from now; None stops the timer."""
    policy.require_live(room)
    policy.require_facilitator(room, actor_id)
    if not room.open_breakouts():
        raise RoomError("no_breakouts", "Create breakout rooms first.")
    if seconds is None:
        if room.breakout_ends_at is None:
            return []
        _clear_timer(room)
        return [_updated(room)]
    if seconds <= 0 or warn_seconds < 0:
        raise RoomError("invalid_message", "The timer needs a positive number of seconds.")
    room.breakout_ends_at = now + timedelta(seconds=seconds)
    room.breakout_warn_at = max(now, room.breakout_ends_at - timedelta(seconds=warn_seconds))
    room.breakout_warned = False
    return [_updated(room)]


def tick(room: MeetingState, now: datetime) -> list[Event]:
    """What the timer owes at `now`: nothing, the warning, or closing every breakout."""
    if room.ended or room.breakout_ends_at is None or not room.open_breakouts():
        return []
    if now >= room.breakout_ends_at:
        return _close_all(room, reason=TIMER)
    warn_at = room.breakout_warn_at
    if warn_at is not None and now >= warn_at and not room.breakout_warned:
        room.breakout_warned = True
        seconds_left = max(0, round((room.breakout_ends_at - now).total_seconds()))
        ends_at = room.breakout_ends_at.isoformat()
        return [BreakoutWarning(ends_at=ends_at, seconds_left=seconds_left, to=ToMeeting())]
    return []


def next_deadline(room: MeetingState) -> datetime | None:
    """When `tick` will next have something to do."""
    if room.ended or room.breakout_ends_at is None or not room.open_breakouts():
        return None
    if room.breakout_warn_at is not None and not room.breakout_warned:
        return min(room.breakout_warn_at, room.breakout_ends_at)
    return room.breakout_ends_at


# --- closing --------------------------------------------------------------------------------


def close(room: MeetingState, actor_id: str, breakout_id: str) -> list[Event]:
    """Closes one breakout; its people return to the main room. Closing it again is a no-op."""
    policy.require_live(room)
    policy.require_facilitator(room, actor_id)
    breakout = room.breakouts.get(breakout_id)
    if breakout is None:
        raise RoomError("breakout_not_found", "There is no such breakout room.")
    if not breakout.open:
        return []
    if len(room.open_breakouts()) == 1:
        return _close_all(room, reason=FACILITATOR_CLOSED)
    breakout.open = False
    for member in room.members.values():
        if member.breakout == breakout.id:
            member.breakout = None
    return [_updated(room)]


def close_all(room: MeetingState, actor_id: str) -> list[Event]:
    """Everyone back to the main room, where their media flows again. Idempotent."""
    policy.require_live(room)
    policy.require_facilitator(room, actor_id)
    return _close_all(room, reason=FACILITATOR_CLOSED)


def _close_all(room: MeetingState, reason: str) -> list[Event]:
    if not room.open_breakouts():
        return []
    for breakout in room.open_breakouts():
        breakout.open = False
    for member in room.members.values():
        member.breakout = None
    room.self_select = False
    _clear_timer(room)
    # "closed" first: whoever changes rooms gets a room.state right after "updated".
    closed = BreakoutsClosed(reason=reason, to=ToMeeting())
    return [closed, _updated(room)]
