"""Breakout rooms: create, assign, move, join, timer, broadcast, help, close."""

from __future__ import annotations

from django.utils import timezone

from rooms import breakouts, extensions
from rooms.services.unit import Outcome, apply


def breakout_create(
    *,
    meeting_id: str,
    actor_id: str,
    count: int | None = None,
    names: list[str] | None = None,
    self_select: bool = False,
) -> Outcome:
    extensions.refuse_without(meeting_id, extensions.BREAKOUTS, "forbidden")
    return apply(
        meeting_id,
        lambda room: breakouts.create(
            room, actor_id, count=count, names=names, self_select=self_select
        ),
    )


def breakout_assign(
    *, meeting_id: str, actor_id: str, include_facilitators: bool = False
) -> Outcome:
    return apply(
        meeting_id,
        lambda room: breakouts.assign_automatically(
            room, actor_id, include_facilitators=include_facilitators
        ),
    )


def breakout_move(
    *, meeting_id: str, actor_id: str, target_id: str, breakout_id: str | None
) -> Outcome:
    return apply(meeting_id, lambda room: breakouts.move(room, actor_id, target_id, breakout_id))


def breakout_join(*, meeting_id: str, actor_id: str, breakout_id: str | None) -> Outcome:
    return apply(meeting_id, lambda room: breakouts.join(room, actor_id, breakout_id))


def breakout_timer(
    *,
    meeting_id: str,
    actor_id: str,
    seconds: int | None,
    warn_seconds: int = breakouts.DEFAULT_WARN_SECONDS,
) -> Outcome:
    """Sets or stops the timer; the outcome's `timer_changed` tells the transport to
    (re)start its countdown."""
    return apply(
        meeting_id,
        lambda room: breakouts.set_timer(
            room, actor_id, seconds, timezone.now(), warn_seconds=warn_seconds
        ),
    )


def breakout_broadcast(*, meeting_id: str, actor_id: str, text: str) -> Outcome:
    return apply(meeting_id, lambda room: breakouts.broadcast(room, actor_id, text))


def breakout_help(*, meeting_id: str, actor_id: str) -> Outcome:
    return apply(meeting_id, lambda room: breakouts.ask_for_help(room, actor_id))


def breakout_close(*, meeting_id: str, actor_id: str, breakout_id: str) -> Outcome:
    return apply(meeting_id, lambda room: breakouts.close(room, actor_id, breakout_id))


def breakout_close_all(*, meeting_id: str, actor_id: str) -> Outcome:
    return apply(meeting_id, lambda room: breakouts.close_all(room, actor_id))


def breakout_tick(*, meeting_id: str) -> Outcome:
    """The breakout timer's warning or automatic close, if one is due (`locked_room` ticks)."""
    return apply(meeting_id, lambda room: [])
