"""The go-round (rooms/goround.py) and share of voice (the relay's speaking seconds)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from rooms.shapes import GoroundInfo
from signaling.protocol.base import ERROR_CODES, Message

# --- client -> server ------------------------------------------------------------


class GoroundStart(Message):
    type: Literal["goround.start"]
    order: list[UUID] | None = Field(default=None, max_length=200)  # None: everyone present
    shuffle: bool = False
    seconds: int | None = None  # each turn's length, a cue only; None: no timer


class GoroundReorder(Message):
    type: Literal["goround.reorder"]
    order: list[UUID] = Field(max_length=200)  # the turns still to come, latecomers included


class GoroundNext(Message):
    type: Literal["goround.next"]


class GoroundPrevious(Message):
    type: Literal["goround.previous"]


class GoroundPass(Message):
    type: Literal["goround.pass"]


class GoroundEnd(Message):
    type: Literal["goround.end"]


CLIENT_MODELS = (
    GoroundStart, GoroundReorder, GoroundNext, GoroundPrevious, GoroundPass, GoroundEnd,
)  # fmt: skip


# --- server -> client ------------------------------------------------------------


class GoroundUpdated(Message):
    type: Literal["goround.updated"]
    goround: GoroundInfo | None = None  # absent: no go-round (it ended)


class SpeakingSeconds(Message):
    """Facilitators only: seconds each person has spoken in this meeting so far."""

    type: Literal["voice.share"]
    seconds: dict[str, float]


SERVER_MODELS = (GoroundUpdated, SpeakingSeconds)


ERROR_CODES.update(
    {
        "no_goround": "No go-round is running.",
        "goround_running": "A go-round is already running; end it first.",
        "invalid_goround": "That go-round order or turn length cannot be used.",
        "goround_at_start": "This is the first turn of the go-round.",
        "not_your_turn": "Only the person whose turn it is can pass.",
    }
)
