"""Check-in prompts: posting, answering, closing, sharing, and the mood of a meeting."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from rooms.shapes import (
    CheckinPromptInfo,
    Mood,
)
from signaling.protocol.base import ERROR_CODES, Message

Kind = Literal["scale", "single", "multiple", "text"]
Moment = Literal["check_in", "check_out"]

# --- client -> server ------------------------------------------------------------


class CheckinPost(Message):
    type: Literal["checkin.post"]
    kind: Kind
    question: str = Field(max_length=400)
    options: list[str] = Field(default_factory=list, max_length=8)
    anonymous: bool = True
    moment: Moment | None = None


class CheckinAnswerIn(Message):
    type: Literal["checkin.answer"]
    prompt_id: UUID
    scale: int | None = None
    choices: list[int] | None = Field(default=None, max_length=8)
    text: str | None = Field(default=None, max_length=1000)


class CheckinClose(Message):
    type: Literal["checkin.close"]
    prompt_id: UUID


class CheckinShare(Message):
    type: Literal["checkin.share"]
    prompt_id: UUID


CLIENT_MODELS = (CheckinPost, CheckinAnswerIn, CheckinClose, CheckinShare)


# --- server -> client ------------------------------------------------------------


class CheckinState(Message):
    type: Literal["checkin.state"]
    prompts: list[CheckinPromptInfo]
    mood: Mood | None = None


class CheckinPosted(Message):
    type: Literal["checkin.posted"]
    prompt: CheckinPromptInfo


class CheckinAnswered(Message):
    type: Literal["checkin.answered"]
    prompt_id: str


class CheckinResultsOut(Message):
    type: Literal["checkin.results"]
    prompt: CheckinPromptInfo


class CheckinClosed(Message):
    type: Literal["checkin.closed"]
    prompt_id: str


class CheckinShared(Message):
    type: Literal["checkin.shared"]
    prompt: CheckinPromptInfo


class CheckinMood(Message):
    type: Literal["checkin.mood"]
    mood: Mood


SERVER_MODELS = (
    CheckinState, CheckinPosted, CheckinAnswered, CheckinResultsOut, CheckinClosed,
    CheckinShared, CheckinMood,
)  # fmt: skip


ERROR_CODES.update(
    {
        "invalid_prompt": "The prompt's question, options or kind cannot be used.",
        "too_many_open_prompts": "At most 3 prompts can be open at once.",
        "prompt_not_found": "There is no such prompt in this meeting.",
        "prompt_closed": "That prompt is closed; answers are no longer taken.",
        "invalid_answer": "The answer does not fit the prompt.",
        "already_answered": "You already answered this prompt.",
        "prompt_open": "Close the prompt before sharing its result.",
        "too_few_answers": "Fewer than 2 people answered; sharing would show whose answer it is.",
    }
)
