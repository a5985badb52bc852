"""The go-round, pure: an ordered list of speakers, one turn at a time, run by facilitators.

No database, no sockets. The go-round lives on `MeetingState.goround` as plain JSON (ids and
times only, no names: a name is looked up among the people present when it is shown), so the
one state-to-rows mapping stores it with the meeting. Each operation checks the actor, changes
the room in place and returns the events to deliver; a refusal raises RoomError and changes
nothing.

- Facilitators start it (the order given, or everyone present in join order, optionally
  shuffled), reorder or extend it (a latecomer is added to the list), go to the next or the
  previous turn, mark a pass, and end it.
- "Pass" is always allowed: the person whose turn it is may pass themselves; nobody else but
  a facilitator can pass for them.
- The timer is only a cue: each turn's start time and the length are shown, nobody is cut off.
- Someone who is not in the meeting room when their turn would come is skipped.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rooms import policy
from rooms.errors import RoomError
from rooms.events import Event, GoroundUpdated, ToMeeting
from rooms.state import MeetingState

WAITING = "waiting"
SPEAKING = "speaking"
SPOKE = "spoke"
PASSED = "passed"
SKIPPED = "skipped"  # not in the room when their turn came

MIN_SECONDS = 15
MAX_SECONDS = 30 * 60
MAX_SPEAKERS = 200


@dataclass
class Turn:
    participant_id: str
    outcome: str = WAITING
    started_at: str | None = None  # ISO times: the chat marks what was written in between
    ended_at: str | None = None


@dataclass
class GoRound:
    turns: list[Turn]
    seconds: int | None
    current: int | None = 0  # index into turns; None: everyone has had their turn

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GoRound:
        return cls(
            turns=[Turn(**t) for t in data["turns"]],
            seconds=data["seconds"],
            current=data["current"],
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "turns": [vars(t).copy() for t in self.turns],
            "seconds": self.seconds,
            "current": self.current,
        }

    def speaker(self) -> Turn | None:
        return None if self.current is None else self.turns[self.current]


# --- reading -----------------------------------------------------------------------------


def load(room: MeetingState) -> GoRound | None:
    return GoRound.from_json(room.goround) if room.goround else None


def public(room: MeetingState) -> dict[str, Any] | None:
    """The go-round as everyone sees it: the order with names, whose turn, who is next."""
    go = load(room)
    if go is None:
        return None
    present = {m.id: m for m in room.present()}
    turns = []
    for turn in go.turns:
        member = room.members.get(turn.participant_id)
        turns.append(
            {
                "participant_id": turn.participant_id,
                "name": member.name if member else "Someone who left",
                "outcome": turn.outcome,
                "present": turn.participant_id in present,
                "text_only": bool(member and member.media == "text_only"),
                "started_at": turn.started_at,
                "ended_at": turn.ended_at,
            }
        )
    speaker = go.speaker()
    after = _next_index(room, go, go.current) if go.current is not None else None
    return {
        "turns": turns,
        "seconds": go.seconds,
        "current": speaker.participant_id if speaker else None,
        "next": go.turns[after].participant_id if after is not None else None,
        "turn_started_at": speaker.started_at if speaker else None,
        "finished": speaker is None,
    }


def _updated(room: MeetingState) -> list[Event]:
    return [GoroundUpdated(goround=public(room), to=ToMeeting())]


def _next_index(room: MeetingState, go: GoRound, after: int | None) -> int | None:
    """The next turn still to come whose person is in the room (None: nobody left)."""
    start = -1 if after is None else after
    for index in range(start + 1, len(go.turns)):
        turn = go.turns[index]
        if turn.outcome == WAITING and _present(room, turn.participant_id):
            return index
    return None


def _present(room: MeetingState, participant_id: str) -> bool:
    member = room.members.get(participant_id)
    return member is not None and member.admitted


# --- checks ------------------------------------------------------------------------------


def _running(room: MeetingState) -> GoRound:
    go = load(room)
    if go is None:
        raise RoomError("no_goround", "No go-round is running.")
    return go


def _check_seconds(seconds: int | None) -> None:
    if seconds is not None and not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise RoomError("invalid_goround", "A turn lasts between 15 seconds and 30 minutes.")


def _check_order(room: MeetingState, order: list[str]) -> None:
    if not order:
        raise RoomError("invalid_goround", "The go-round needs at least one speaker.")
    if len(order) > MAX_SPEAKERS or len(set(order)) != len(order):
        raise RoomError("invalid_goround", "Each person can be in the go-round once.")
    for participant_id in order:
        if participant_id not in room.members or not room.members[participant_id].admitted:
            raise RoomError("not_in_room", "That person is not in the meeting room.")


# --- operations --------------------------------------------------------------------------


def start(
    room: MeetingState,
    actor_id: str,
    *,
    order: list[str] | None,
    shuffle: bool,
    seconds: int | None,
    now: datetime,
    rng: random.Random,
) -> list[Event]:
    policy.require_live(room)
    policy.require_facilitator(room, actor_id)
    if room.goround is not None:
        raise RoomError("goround_running", "A go-round is already running; end it first.")
    _check_seconds(seconds)
    chosen = list(order) if order is not None else [m.id for m in room.present()]
    _check_order(room, chosen)
    if shuffle:
        rng.shuffle(chosen)
    go = GoRound(turns=[Turn(pid) for pid in chosen], seconds=seconds, current=None)
    _move_to(go, _next_index(room, go, None), now)
    room.goround = go.to_json()
    return _updated(room)


def reorder(room: MeetingState, actor_id: str, order: list[str], now: datetime) -> list[Event]:
    """The new order of the turns still to come (and anyone added to them). Turns already
    taken, and the one under way, stay where they are."""
    policy.require_facilitator(room, actor_id)
    go = _running(room)
    settled = [t for t in go.turns if t.outcome != WAITING]
    settled_ids = {t.participant_id for t in settled}
    if len(set(order)) != len(order) or any(pid in settled_ids for pid in order):
        raise RoomError("invalid_goround", "Each person can be in the go-round once.")
    known = {t.participant_id: t for t in go.turns}
    for pid in order:
        if pid not in known:
            _check_order(room, [pid])  # only people in the room can be added
    if len(settled) + len(order) > MAX_SPEAKERS:
        raise RoomError("invalid_goround", "Each person can be in the go-round once.")
    waiting = [known.get(pid) or Turn(pid) for pid in order]
    go.turns = settled + waiting
    go.current = next((i for i, t in enumerate(go.turns) if t.outcome == SPEAKING), None)
    if go.current is None:
        # Everyone had had their turn; someone added now gets theirs at once.
        _move_to(go, _next_index(room, go, len(settled) - 1), now)
    room.goround = go.to_json()
    return _updated(room)


def next_turn(room: MeetingState, actor_id: str, now: datetime) -> list[Event]:
    policy.require_facilitator(room, actor_id)
    go = _running(room)
    _finish_turn(go, SPOKE, now)
    _move_to(go, _next_index(room, go, go.current), now)
    room.goround = go.to_json()
    return _updated(room)


def previous_turn(room: MeetingState, actor_id: str, now: datetime) -> list[Event]:
    """Back to the turn before (someone who is still in the room): it is theirs again."""
    policy.require_facilitator(room, actor_id)
    go = _running(room)
    end = len(go.turns) if go.current is None else go.current
    before = next(
        (i for i in range(end - 1, -1, -1) if _present(room, go.turns[i].participant_id)), None
    )
    if before is None:
        raise RoomError("goround_at_start", "This is the first turn of the go-round.")
    speaker = go.speaker()
    if speaker is not None:
        speaker.outcome, speaker.started_at, speaker.ended_at = WAITING, None, None
    for skipped in go.turns[before + 1 : end]:
        if skipped.outcome == SKIPPED:
            skipped.outcome = WAITING
    go.turns[before].ended_at = None
    _move_to(go, before, now)
    room.goround = go.to_json()
    return _updated(room)


def pass_turn(room: MeetingState, actor_id: str, now: datetime) -> list[Event]:
    """The speaker passes (always allowed), or a facilitator marks a pass for them."""
    actor = policy.require_present(room, actor_id)
    go = _running(room)
    speaker = go.speaker()
    if speaker is None or (speaker.participant_id != actor_id and not actor.facilitates):
        raise RoomError("not_your_turn", "Only the person whose turn it is can pass.")
    _finish_turn(go, PASSED, now)
    _move_to(go, _next_index(room, go, go.current), now)
    room.goround = go.to_json()
    return _updated(room)


def end(room: MeetingState, actor_id: str) -> list[Event]:
    policy.require_facilitator(room, actor_id)
    _running(room)
    room.goround = None
    return _updated(room)


def _finish_turn(go: GoRound, outcome: str, now: datetime) -> None:
    speaker = go.speaker()
    if speaker is not None:
        speaker.outcome, speaker.ended_at = outcome, now.isoformat()


def _move_to(go: GoRound, index: int | None, now: datetime) -> None:
    """Makes `index` the current turn; those passed over on the way are marked skipped."""
    begin = 0 if go.current is None else go.current + 1
    stop = len(go.turns) if index is None else index
    for turn in go.turns[begin:stop]:
        if turn.outcome == WAITING:
            turn.outcome = SKIPPED
    go.current = index
    if index is not None:
        turn = go.turns[index]
        turn.outcome, turn.started_at, turn.ended_at = SPEAKING, now.isoformat(), None
