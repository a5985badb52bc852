"""Who may do what: the checks every facilitation rule starts with.

Each check raises `RoomError` with a stable code (the client explains it) or returns the
member it checked. Used by `state.MeetingState`'s own operations and by moderation, breakouts
and check-ins alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rooms.errors import RoomError

if TYPE_CHECKING:
    from rooms.state import MeetingState, Member


def require_live(room: MeetingState) -> None:
    if room.ended:
        raise RoomError("meeting_ended", "This meeting has ended.")


def require_facilitator(room: MeetingState, actor_id: str) -> Member:
    actor = room.member(actor_id)
    if not actor.facilitates:
        raise RoomError("forbidden", "Only a facilitator can do that.")
    return actor


def require_present(room: MeetingState, participant_id: str) -> Member:
    """The actor is admitted (in the main room or a breakout), not waiting in the lobby."""
    return require_admitted(room.member(participant_id))


def require_admitted(member: Member) -> Member:
    """`require_present` for a member read on its own (chat does not load the meeting)."""
    if not member.admitted:
        raise RoomError("not_admitted", "You are not in the meeting room yet.")
    return member


def require_target(room: MeetingState, participant_id: str) -> Member:
    """Someone a facilitator acts on: admitted, not waiting in the lobby, not gone."""
    member = room.member(participant_id)
    if not member.admitted:
        raise RoomError("not_in_room", "That person is not in the meeting room.")
    return member
