"""Channel-layer group names: who a message sent to a group reaches."""

from __future__ import annotations

from uuid import UUID

from rooms import events as e
from rooms import state


def meeting_group(meeting_id: str) -> str:
    return f"m-{UUID(str(meeting_id)).hex}-room"


def facilitators_group(meeting_id: str) -> str:
    return f"m-{UUID(str(meeting_id)).hex}-fac"


def participant_group(participant_id: str) -> str:
    return f"p-{UUID(str(participant_id)).hex}"


def space_group(meeting_id: str, breakout_id: str | None) -> str:
    """Those in one breakout, or (None) those in the main room: per-space chat goes here."""
    space = UUID(str(breakout_id)).hex if breakout_id else state.MAIN_SPACE
    return f"m-{UUID(str(meeting_id)).hex}-b-{space}"


def group_for(meeting_id: str, audience: e.Audience) -> str:
    match audience:
        case e.ToMeeting():
            return meeting_group(meeting_id)
        case e.ToFacilitators():
            return facilitators_group(meeting_id)
        case e.ToSpace(breakout_id=breakout_id):
            return space_group(meeting_id, breakout_id)
        case e.ToParticipant(participant_id=participant_id):
            return participant_group(participant_id)
    raise TypeError(f"not an audience: {audience!r}")
