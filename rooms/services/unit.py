"""One meeting operation as one transaction: lock, load, catch up the timer, write back.

`locked_room` is the only place that locks a meeting row. Inside it the operation changes
the pure `MeetingState` and adds events; on leaving, what changed is written back and the outcome
says whether the media plans or the breakout timer moved (computed, not guessed from names).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from rooms import breakouts, persistence, screenshare, state
from rooms.events import BreakoutsUpdated, ChangeSpace, Directive, Event
from rooms.models import Meeting


@dataclass
class Outcome:
    """What a use-case decided, for the transport to carry out after the commit."""

    events: list[Event] = field(default_factory=list)
    media_changed: bool = False  # someone's media plan differs: the relay must re-sync
    timer_changed: bool = False  # the breakout timer's next deadline moved

    @property
    def directives(self) -> list[Directive]:
        """What named participants' sockets must do, in the order the events say it."""
        return [directive for event in self.events for directive in event.then]


@dataclass
class Locked:
    """The meeting under its row lock, as the operation sees it."""

    meeting: Meeting
    room: state.MeetingState
    events: list[Event]
    outcome: Outcome = field(default_factory=Outcome)


@contextmanager
def locked_room(meeting_id: str) -> Iterator[Locked]:
    """Locks the meeting, loads it and catches up its breakout timer first.

    A deadline that passed while nobody was counting (a restarted process) takes effect
    before anything else happens. An exception inside rolls everything back, the
    catch-up included. `Locked.outcome` is filled in when the block ends without one.
    """
    with transaction.atomic():
        # NO KEY: still one operation per meeting at a time, but rows that only point at the
        # meeting (a chat message's insert takes FOR KEY SHARE) are not held up by it.
        meeting = Meeting.objects.select_for_update(no_key=True).get(id=meeting_id)
        room = persistence.room_load(meeting=meeting)
        snapshot = persistence.Snapshot.take(room)
        plans, deadline = room.media_plans(), breakouts.next_deadline(room)
        spaces = {pid: m.breakout for pid, m in room.members.items()}
        unit = Locked(meeting, room, events=breakouts.tick(room, timezone.now()))
        yield unit
        unit.events += screenshare.settle(room)
        snapshot.write_back(meeting, room, timezone.now())
        unit.outcome = Outcome(
            events=_with_space_changes(unit.events, spaces, room),
            media_changed=room.media_plans() != plans,
            timer_changed=breakouts.next_deadline(room) != deadline,
        )


def _with_space_changes(
    events: list[Event], before: dict[str, str | None], room: state.MeetingState
) -> list[Event]:
    """Tells everyone who changed space, on the last `breakouts.updated` that shows it."""
    moved = tuple(
        ChangeSpace(pid)
        for pid, member in room.members.items()
        if pid in before and before[pid] != member.breakout
    )
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if moved and isinstance(event, BreakoutsUpdated):
            events[index] = event.model_copy(update={"then": (*event.then, *moved)})
            break
    return events


def apply(meeting_id: str, operation: Callable[[state.MeetingState], list[Event]]) -> Outcome:
    """Runs one pure room operation in `locked_room`."""
    with locked_room(meeting_id) as unit:
        unit.events += operation(unit.room)
    return unit.outcome
