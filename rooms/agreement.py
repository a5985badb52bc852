"""The group agreement and muted-on-entry: pure rules, no database.

A meeting's agreement is the ground rules everyone who comes with an invite link accepts
before entering (the meeting's own text, else its group's, else `DEFAULT_AGREEMENT`).
A facilitator may put it on everyone's screen again during the meeting.

Muted on entry: a peer enters the room with their microphone off, as if they had muted
themselves, so they may unmute (unless a facilitator mutes them later).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rooms import policy
from rooms.errors import RoomError
from rooms.events import AgreementShown, Event, ToMeeting

if TYPE_CHECKING:
    from rooms.state import MeetingState, Member

MAX_AGREEMENT_CHARS = 4000

DEFAULT_AGREEMENT = """\
What is shared here stays here. Please don't repeat who was here or what they said.
Listen with respect. Speak from your own experience, and let others finish.
No recording, screenshots or photos of the meeting, by anyone.
You can pass at any time: nobody has to speak, turn their camera on or explain themselves.
Look after yourself: you can leave, or ask a facilitator for help, whenever you need to."""


def effective(own: str, group: str | None) -> str:
    """The text people accept: the meeting's own, else its group's, else the default."""
    return own.strip() or (group or "").strip() or DEFAULT_AGREEMENT


def clean(text: str) -> str:
    """A facilitator's edit: "" means "use the default" (the group's, or ours)."""
    if not isinstance(text, str):
        raise RoomError("invalid_agreement", "The agreement is text.")
    text = text.replace("\r\n", "\n").strip()
    if len(text) > MAX_AGREEMENT_CHARS:
        raise RoomError(
            "invalid_agreement", f"Keep the agreement under {MAX_AGREEMENT_CHARS} characters."
        )
    return text


# rooms.state's names (it imports this module, so not from there).
FACILITATOR, PEER, BY_SELF = "facilitator", "peer", "self"


def needs_acceptance(role: str) -> bool:
    """Everyone who comes with an invite link; the meeting's facilitator sets the rules."""
    return role != FACILITATOR


def require_accepted(role: str, accepted: object) -> None:
    """Refuses a join without a plain `true` for the agreement (no coercion of "yes", 1)."""
    if needs_acceptance(role) and accepted is not True:
        raise RoomError(
            "agreement_required",
            "Please read the group agreement and accept it to join.",
        )


def starts_muted(muted_on_entry: bool, role: str) -> bool:
    return muted_on_entry and role == PEER


def mute_on_entry(room: MeetingState, member: Member) -> None:
    """A peer entering from the lobby starts muted, as if by themselves, when the room says so."""
    if starts_muted(room.muted_on_entry, member.role):
        member.muted_by = member.muted_by or BY_SELF


def show(room: MeetingState, actor_id: str, text: str) -> list[Event]:
    """A facilitator puts the agreement on everyone's screen again (the breakouts too)."""
    policy.require_live(room)
    actor = policy.require_facilitator(room, actor_id)
    return [AgreementShown(text=text, by_name=actor.name, by_role=actor.role, to=ToMeeting())]
