"""Domain events: one frozen model per event, with a typed audience and socket directives.

An operation in rooms/ returns these; the transport delivers each one after the commit to
its audience, as the server message of the same `type` (signaling/protocol/ has one model
per type, and tests/signaling/test_events.py checks that the two agree). The payload is
checked where the event is built: a missing, extra or wrongly typed field raises there.

`then` holds what the sockets of named participants must do once this event has reached
them (close, enter the room again, change their space): the domain knows who is affected,
so the transport does not guess it from event names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from rooms.shapes import (
    AttentionInfo,
    BreakoutsState,
    ChatInfo,
    CheckinPromptInfo,
    FacilitatorRole,
    GoroundInfo,
    Mood,
    ParticipantInfo,
    ScreenshareInfo,
    SupportInfo,
)

# --- audiences --------------------------------------------------------------------------


@dataclass(frozen=True)
class ToMeeting:
    """Everyone admitted, in the main room or any breakout."""


@dataclass(frozen=True)
class ToFacilitators:
    """The meeting's facilitators and co-facilitators, wherever they are."""


@dataclass(frozen=True)
class ToParticipant:
    participant_id: str


@dataclass(frozen=True)
class ToSpace:
    """Only the people in one space: a breakout, or (None) the main room."""

    breakout_id: str | None


Audience = ToMeeting | ToFacilitators | ToParticipant | ToSpace

# --- socket directives ------------------------------------------------------------------


@dataclass(frozen=True)
class Close:
    """The participant's socket closes: they were turned away, removed, left, or it ended."""

    participant_id: str
    reason: Literal["denied", "removed", "left", "ended"]


@dataclass(frozen=True)
class EnterRoom:
    """The participant sees the room afresh: just admitted, or their role changed."""

    participant_id: str
    role: str | None = None  # the new role, when that is why


@dataclass(frozen=True)
class ChangeSpace:
    """The participant moved between the main room and a breakout (or between breakouts)."""

    participant_id: str


Directive = Close | EnterRoom | ChangeSpace

# --- events -----------------------------------------------------------------------------


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: ClassVar[str]
    to: Audience
    then: tuple[Directive, ...] = ()  # applied once this event has reached its audience

    @property
    def data(self) -> dict[str, Any]:
        """The payload, as the server message carries it (without `type`)."""
        return self.model_dump(mode="json", exclude={"to", "then"}, exclude_none=True)


class LobbyUpdated(Event):
    type = "lobby.updated"
    lobby: list[ParticipantInfo]


class LobbyAdmitted(Event):
    type = "lobby.admitted"


class LobbyDenied(Event):
    type = "lobby.denied"
    message: str


class ParticipantJoined(Event):
    type = "participant.joined"
    participant: ParticipantInfo


class ParticipantUpdated(Event):
    type = "participant.updated"
    participant: ParticipantInfo


class ParticipantLeft(Event):
    type = "participant.left"
    participant_id: str
    reason: Literal["left", "timeout", "removed"]


class HandsUpdated(Event):
    type = "hands.updated"
    queue: list[str]


class ChatMessage(Event):
    type = "chat.message"
    message: ChatInfo


class ChatAck(Event):
    """To the sender: their message (by its `client_id`) is stored, as `message_id`."""

    type = "chat.ack"
    client_id: str
    message_id: int


class ChatRemoved(Event):
    """A facilitator removed a message for everyone: show it as removed (its text is gone)."""

    type = "chat.removed"
    message_id: int


class Muted(Event):
    type = "muted"
    kind: Literal["audio", "video"]
    by_role: FacilitatorRole
    by_name: str | None = None


class UnmuteRequested(Event):
    type = "unmute.requested"
    kind: Literal["audio", "video"]
    by_role: FacilitatorRole
    by_name: str | None = None


class UnmuteAnswered(Event):
    type = "unmute.answered"
    kind: Literal["audio", "video"]
    participant_id: str
    accepted: bool


class RoomSettingsChanged(Event):
    type = "room.settings"
    locked: bool
    allow_self_unmute: bool
    muted_on_entry: bool


class AgreementShown(Event):
    """A facilitator shows the meeting's agreement to everyone again (rooms/agreement.py)."""

    type = "agreement.shown"
    text: str
    by_name: str
    by_role: FacilitatorRole


class Removed(Event):
    type = "removed"
    message: str
    may_rejoin: bool


class MeetingEnded(Event):
    type = "meeting.ended"
    message: str


class BreakoutsUpdated(Event, BreakoutsState):
    type = "breakouts.updated"


class BreakoutsClosed(Event):
    type = "breakouts.closed"
    reason: Literal["timer", "facilitator"]


class BreakoutWarning(Event):
    type = "breakout.warning"
    ends_at: str
    seconds_left: int


class BreakoutBroadcast(Event):
    type = "breakout.broadcast"
    text: str
    sender_name: str


class BreakoutHelpRequested(Event):
    type = "breakout.help_requested"
    participant_id: str
    name: str
    breakout_id: str
    breakout_name: str


class CheckinPosted(Event):
    type = "checkin.posted"
    prompt: CheckinPromptInfo


class CheckinAnswered(Event):
    type = "checkin.answered"
    prompt_id: str


class CheckinResults(Event):
    type = "checkin.results"
    prompt: CheckinPromptInfo


class CheckinClosed(Event):
    type = "checkin.closed"
    prompt_id: str


class CheckinShared(Event):
    type = "checkin.shared"
    prompt: CheckinPromptInfo


class CheckinMood(Event):
    type = "checkin.mood"
    mood: Mood


class AttentionUpdated(Event):
    """An item of the attention queue, new or changed (handled, cancelled)."""

    type = "attention.item"
    item: AttentionInfo


class SupportStatus(Event):
    """The person's own "I need support" signal: open, handled or cancelled."""

    type = "support.status"
    support: SupportInfo


class ReportReceived(Event):
    type = "report.received"
    report_id: str


class GoroundUpdated(Event):
    """The go-round changed (None: it ended). Its own module: rooms/goround.py."""

    type = "goround.updated"
    goround: GoroundInfo | None = None  # None: the go-round ended


class ScreenshareUpdated(Event, ScreenshareInfo):
    """Who shares their screen and who may (rooms/screenshare.py)."""

    type = "screenshare.updated"


class ScreenshareStopped(Event):
    """To the sharer: their share was stopped by someone else or by a rule; stop capturing."""

    type = "screenshare.stopped"
    reason: Literal["facilitator", "replaced", "revoked", "no_longer_allowed"]
    by_role: FacilitatorRole | None = None
    by_name: str | None = None


EVENT_MODELS: tuple[type[Event], ...] = tuple(Event.__subclasses__())
