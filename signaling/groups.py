"""Channel-layer group names: who a message sent to a group reaches."""

from __future__ import annotations

from uuid import UUID

from rooms import state


def room_group(meeting_id: str) -> str:
    return f"m-{UUID(str(meeting_id)).hex}-room"


def facilitators_group(meeting_id: str) -> str:
    return f"m-{UUID(str(meeting_id)).hex}-fac"


def participant_group(participant_id: str) -> str:
    return f"p-{UUID(str(participant_id)).hex}"


def breakout_group(meeting_id: str, breakout_id: str | None) -> str:
    """Those in one breakout, or (None) those in the main room: per-room chat goes here."""
    room = UUID(str(breakout_id)).hex if breakout_id else state.MAIN_ROOM
    return f"m-{UUID(str(meeting_id)).hex}-b-{room}"
