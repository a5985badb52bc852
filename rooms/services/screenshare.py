"""Screen sharing: start, stop (yours, or anyone's for a facilitator), allow a peer; each
under the meeting's row lock. The rules are in rooms/screenshare.py."""

from __future__ import annotations

from rooms import screenshare
from rooms.services.unit import Outcome, apply


def screen_start(*, meeting_id: str, actor_id: str) -> Outcome:
    return apply(meeting_id, lambda room: screenshare.start(room, actor_id))


def screen_stop(*, meeting_id: str, actor_id: str, target_id: str | None) -> Outcome:
    return apply(meeting_id, lambda room: screenshare.stop(room, actor_id, target_id))


def screen_allow(*, meeting_id: str, actor_id: str, target_id: str, allowed: bool) -> Outcome:
    return apply(meeting_id, lambda room: screenshare.allow(room, actor_id, target_id, allowed))
