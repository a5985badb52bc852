"""The value shapes the meeting is described in: a participant, a chat message, breakouts,
a check-in prompt, the mood. One definition each, used by the domain events (rooms/events.py)
and, unchanged, by the wire protocol (signaling/protocol/), so the two cannot drift.

Pydantic models, frozen and closed (`extra="forbid"`): a wrong field fails where it is built.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Role = Literal["facilitator", "cofacilitator", "peer"]
FacilitatorRole = Literal["facilitator", "cofacilitator"]
Switch = Literal["on", "off_by_self", "off_by_facilitator"]
PromptKind = Literal["scale", "single", "multiple", "text"]
Moment = Literal["check_in", "check_out"]


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParticipantInfo(Shape):
    id: str
    name: str
    role: Role
    media: Literal["camera_mic", "text_only"]
    connection: Literal["online", "reconnecting", "offline"]
    hand_raised: bool
    # Whether the relay forwards this person's audio / video, and who turned it off.
    audio: Switch
    video: Switch
    latecomer: bool = False  # knocked on a locked meeting (shown in the lobby)


class ChatInfo(Shape):
    id: int
    sender_id: str
    sender_name: str
    audience: Literal["room", "facilitators"]
    kind: Literal["text", "help"]  # help: a help.request, always to the facilitators
    text: str
    sent_at: str
    # A private message's thread: the peer whose conversation with the facilitators it is
    # (null for room messages and for the facilitators' notes to each other).
    thread_id: str | None = None
    content_note: str | None = None  # readers see the text only once they ask
    removed: bool = False  # removed by a facilitator: the text is gone (empty)


class RoomSettings(Shape):
    locked: bool
    allow_self_unmute: bool
    muted_on_entry: bool  # peers enter with their microphone off (rooms/agreement.py)


class BreakoutInfo(Shape):
    id: str
    name: str
    members: list[str]


class BreakoutsState(Shape):
    rooms: list[BreakoutInfo]
    self_select: bool
    ends_at: str | None = None
    warn_at: str | None = None


class CheckinResults(Shape):
    answers: int
    counts: list[int]
    mean: float | None = None
    texts: list[str]


class NamedAnswerInfo(Shape):
    participant_id: str
    name: str
    value: int | list[int] | str


class CheckinPromptInfo(Shape):
    id: str
    kind: PromptKind
    question: str
    options: list[str]
    anonymous: bool
    moment: Moment | None = None
    status: Literal["open", "closed"]
    shared: bool
    you_answered: bool | None = None  # participants' view
    answered: int | None = None  # facilitators' view: answers so far, live
    results: CheckinResults | None = None
    answers: list[NamedAnswerInfo] | None = None  # facilitators' view of named prompts


class GoroundTurn(Shape):
    participant_id: str
    name: str
    outcome: Literal["waiting", "speaking", "spoke", "passed", "skipped"]
    present: bool
    text_only: bool
    started_at: str | None = None
    ended_at: str | None = None


class ScreenshareInfo(Shape):
    sharer: str | None = None  # who is sharing their screen now (one at a time)
    allowed: list[str]  # peers a facilitator allowed to share (facilitators always may)


class GoroundInfo(Shape):
    turns: list[GoroundTurn]
    seconds: int | None = None
    current: str | None = None
    next: str | None = None
    turn_started_at: str | None = None
    finished: bool


class MoodPoint(Shape):
    meeting_id: str
    date: str
    check_in: float
    check_out: float
    change: float


class Mood(Shape):
    check_in: float | None = None
    check_out: float | None = None
    change: float | None = None
    trend: list[MoodPoint]


AttentionKind = Literal["help", "support", "report", "knock"]
AttentionState = Literal["open", "handled", "cancelled"]
ReportReason = Literal["harassment", "hurtful", "unsafe", "privacy", "spam", "other"]


class AttentionInfo(Shape):
    """One item of the facilitators' attention queue, as only facilitators see it."""

    id: str
    seq: int
    kind: AttentionKind
    participant_id: str
    name: str
    state: AttentionState
    note: str = ""
    breakout_id: str | None = None
    breakout_name: str | None = None
    reason: ReportReason | None = None
    subject_id: str | None = None
    subject_name: str | None = None
    message_id: int | None = None
    message_text: str | None = None
    handled_by_name: str | None = None
    created_at: str | None = None
    latecomer: bool = False  # a knock: came after the meeting was locked
    cofacilitator_link: bool = False  # a knock: only the meeting's owner may admit them


class SupportInfo(Shape):
    """The person's own "I need support" signal, as only they see it."""

    state: Literal["none", "open", "handled", "cancelled"]
    note: str = ""
