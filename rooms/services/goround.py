"""The go-round: start, reorder, next, previous, pass, end; each under the meeting's row lock."""

from __future__ import annotations

import random

from django.utils import timezone

from rooms import goround
from rooms.services.unit import Outcome, apply

# The order of a shuffled go-round must not be predictable from outside.
_rng = random.SystemRandom()


def goround_start(
    *,
    meeting_id: str,
    actor_id: str,
    order: list[str] | None,
    shuffle: bool,
    seconds: int | None,
) -> Outcome:
    return apply(
        meeting_id,
        lambda room: goround.start(
            room,
            actor_id,
            order=order,
            shuffle=shuffle,
            seconds=seconds,
            now=timezone.now(),
            rng=_rng,
        ),
    )


def goround_reorder(*, meeting_id: str, actor_id: str, order: list[str]) -> Outcome:
    return apply(meeting_id, lambda room: goround.reorder(room, actor_id, order, timezone.now()))


def goround_next(*, meeting_id: str, actor_id: str) -> Outcome:
    return apply(meeting_id, lambda room: goround.next_turn(room, actor_id, timezone.now()))


def goround_previous(*, meeting_id: str, actor_id: str) -> Outcome:
    return apply(meeting_id, lambda room: goround.previous_turn(room, actor_id, timezone.now()))


def goround_pass(*, meeting_id: str, actor_id: str) -> Outcome:
    return apply(meeting_id, lambda room: goround.pass_turn(room, actor_id, timezone.now()))


def goround_end(*, meeting_id: str, actor_id: str) -> Outcome:
    return apply(meeting_id, lambda room: goround.end(room, actor_id))
