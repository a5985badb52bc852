"""One meeting operation as one transaction: lock, load, catch up the timer, write back.

`locked_room` is the only place that locks a meeting row. Inside it the operation changes
the pure `Room` and adds events; on leaving, what changed is written back and the outcome
says whether the media plans or the breakout timer moved (computed, not guessed from names).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from rooms import breakouts, persistence, state
from rooms.models import Meeting


@dataclass
class Outcome:
    """What a use-case decided, for the transport to carry out after the commit."""

    events: list[state.Event] = field(default_factory=list)
    media_changed: bool = False  # someone's media plan differs: the relay must re-sync
    timer_changed: bool = False  # the breakout timer's next deadline moved


@dataclass
class Locked:
    """The meeting under its row lock, as the operation sees it."""

    meeting: Meeting
    room: state.Room
    events: list[state.Event]
    outcome: Outcome = field(default_factory=Outcome)


@contextmanager
def locked_room(meeting_id: str) -> Iterator[Locked]:
    """Locks the meeting, loads it and catches up its breakout timer first.

    A deadline that passed while nobody was counting (a restarted process) takes effect
    before anything else happens. An exception inside rolls everything back, the
    catch-up included. `Locked.outcome` is filled in when the block ends without one.
    """
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(id=meeting_id)
        room = persistence.room_load(meeting=meeting)
        snapshot = persistence.Snapshot.take(room)
        plans, deadline = room.media_plans(), breakouts.next_deadline(room)
        unit = Locked(meeting, room, events=breakouts.tick(room, timezone.now()))
        yield unit
        snapshot.write_back(meeting, room, timezone.now())
        unit.outcome = Outcome(
            events=unit.events,
            media_changed=room.media_plans() != plans,
            timer_changed=breakouts.next_deadline(room) != deadline,
        )


def apply(meeting_id: str, operation: Callable[[state.Room], list[state.Event]]) -> Outcome:
    """Runs one pure room operation in `locked_room`."""
    with locked_room(meeting_id) as unit:
        unit.events += operation(unit.room)
    return unit.outcome
