"""Facilitation: mute and stop video, ask to unmute, lock, remove, end, breakout rooms."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field, model_validator

from rooms.shapes import BreakoutsState, RoomSettings
from signaling.protocol.base import ERROR_CODES, Message

Kind = Literal["audio", "video"]
FacilitatorRole = Literal["facilitator", "cofacilitator"]

# --- client -> server ------------------------------------------------------------


class Mute(Message):
    type: Literal["mute"]
    kind: Kind
    participant_id: UUID | None = None  # None: yourself
    show_name: bool = True


class Unmute(Message):
    type: Literal["unmute"]
    kind: Kind


class MuteAll(Message):
    type: Literal["mute.all"]
    show_name: bool = True


class UnmuteAsk(Message):
    type: Literal["unmute.ask"]
    kind: Kind
    participant_id: UUID


class UnmuteAnswer(Message):
    type: Literal["unmute.answer"]
    kind: Kind
    accept: bool


class RoomConfigure(Message):
    type: Literal["room.configure"]
    locked: bool | None = None
    allow_self_unmute: bool | None = None
    muted_on_entry: bool | None = None

    @model_validator(mode="after")
    def _something(self):
        if self.locked is None and self.allow_self_unmute is None and self.muted_on_entry is None:
            raise ValueError("give locked, allow_self_unmute or muted_on_entry")
        return self


class ParticipantRemove(Message):
    type: Literal["participant.remove"]
    participant_id: UUID
    ban: bool = False


class MeetingEnd(Message):
    type: Literal["meeting.end"]


class BreakoutCreate(Message):
    type: Literal["breakout.create"]
    count: int | None = Field(default=None, ge=1, le=50)
    names: list[str] | None = Field(default=None, min_length=1, max_length=50)
    self_select: bool = False

    @model_validator(mode="after")
    def _one_of(self):
        if (self.count is None) == (self.names is None):
            raise ValueError("give count or names")
        return self


class BreakoutAssign(Message):
    type: Literal["breakout.assign"]
    include_facilitators: bool = False


class BreakoutMove(Message):
    type: Literal["breakout.move"]
    participant_id: UUID
    breakout_id: UUID | None  # null: back to the main room


class BreakoutJoin(Message):
    type: Literal["breakout.join"]
    breakout_id: UUID | None


class BreakoutTimer(Message):
    type: Literal["breakout.timer"]
    seconds: int | None = Field(ge=5, le=4 * 3600)  # null: stop the timer
    warn_seconds: int = Field(default=60, ge=0, le=3600)


class BreakoutBroadcastIn(Message):
    type: Literal["breakout.broadcast"]
    text: str = Field(max_length=4000)


class BreakoutHelp(Message):
    type: Literal["breakout.help"]


class BreakoutClose(Message):
    type: Literal["breakout.close"]
    breakout_id: UUID


class BreakoutCloseAll(Message):
    type: Literal["breakout.close_all"]


CLIENT_MODELS = (
    Mute, Unmute, MuteAll, UnmuteAsk, UnmuteAnswer, RoomConfigure, ParticipantRemove,
    MeetingEnd, BreakoutCreate, BreakoutAssign, BreakoutMove, BreakoutJoin, BreakoutTimer,
    BreakoutBroadcastIn, BreakoutHelp, BreakoutClose, BreakoutCloseAll,
)  # fmt: skip


# --- server -> client ------------------------------------------------------------


class Muted(Message):
    type: Literal["muted"]
    kind: Kind
    by_role: FacilitatorRole
    by_name: str | None = None


class UnmuteRequested(Message):
    type: Literal["unmute.requested"]
    kind: Kind
    by_role: FacilitatorRole
    by_name: str | None = None


class UnmuteAnswered(Message):
    type: Literal["unmute.answered"]
    kind: Kind
    participant_id: str
    accepted: bool


class RoomSettingsOut(RoomSettings):
    type: Literal["room.settings"]


class Removed(Message):
    type: Literal["removed"]
    message: str
    may_rejoin: bool


class MeetingEnded(Message):
    type: Literal["meeting.ended"]
    message: str


class BreakoutsUpdated(BreakoutsState):
    type: Literal["breakouts.updated"]


class BreakoutsClosed(Message):
    type: Literal["breakouts.closed"]
    reason: Literal["timer", "facilitator"]


class BreakoutWarning(Message):
    type: Literal["breakout.warning"]
    ends_at: str
    seconds_left: int


class BreakoutBroadcastOut(Message):
    type: Literal["breakout.broadcast"]
    text: str
    sender_name: str


class BreakoutHelpRequested(Message):
    type: Literal["breakout.help_requested"]
    participant_id: str
    name: str
    breakout_id: str
    breakout_name: str


SERVER_MODELS = (
    Muted, UnmuteRequested, UnmuteAnswered, RoomSettingsOut, Removed, MeetingEnded,
    BreakoutsUpdated, BreakoutsClosed, BreakoutWarning, BreakoutBroadcastOut,
    BreakoutHelpRequested,
)  # fmt: skip


ERROR_CODES.update(
    {
        "not_in_room": "That person is not in the meeting room.",
        "protected_participant": "The meeting's facilitator cannot be muted or removed.",
        "cannot_target_self": "Use leave to leave the meeting yourself.",
        "self_unmute_disabled": "A facilitator turned this off. They can ask you to turn it back on.",
        "not_muted": "That is already on.",
        "no_request": "There is no open request to answer.",
        "meeting_ended": "This meeting has ended.",
        "invalid_name": "Room names are 1 to 40 characters.",
        "too_many_breakouts": "At most 50 breakout rooms can be open.",
        "no_breakouts": "Create breakout rooms first.",
        "breakout_not_found": "There is no such breakout room.",
        "breakout_closed": "That breakout room has been closed.",
        "self_select_off": "Choosing a breakout room is not open right now.",
        "not_in_breakout": "Asking for help is for breakout rooms.",
    }
)
