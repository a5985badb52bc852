"""Check-in prompts, pure: who may post, answer, close and share, and what each person sees.

No database, no sockets. Operations take the `MeetingState` (for roles and presence) and
one `Prompt`, change the prompt in place and return the events to deliver; a refusal raises
`RoomError` and leaves the prompt untouched.

Anonymity (prompts posted with `anonymous=True`):

- An answer is folded into the prompt's `Tally` (counters per option, and free texts kept
  in a shuffled list). No per-answer record exists, so nothing can carry a participant id,
  a name, a timestamp or an insertion order.
- One answer per participant is enforced with `ballots`: HMAC-SHA256 digests of participant
  ids under a random per-prompt key. Both the key and the digests are dropped when the prompt
  closes; after that nobody, the server included, can tell who answered.
- Facilitators see the number of answers live (it says only that someone answered, which they
  can see on screen anyway). The breakdown (counts, mean, texts) is published to them only in
  steps of at least `LIVE_STEP` new answers while the prompt is open, so a single update never
  isolates one person's answer; at close the full result is published, and never when fewer
  than `MIN_SHOWN` people answered. The one residue: closing a prompt one or two answers after
  the last step lets a facilitator who noted who answered since compare the two views.

What this does not hide: PostgreSQL keeps superseded row versions until vacuum. Someone with
raw access to the database files while a prompt is open could compare versions of the tally;
anyone reading the tables (SQL, a dump, the admin) sees only the current aggregate. A meeting
that ends closes its open prompts in the same transaction (`services.facilitation.meeting_end`)
so no key outlives it.

Named prompts keep who answered what (facilitators see it; a shared result never names anyone)
and their breakdown is live.
"""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass, field
from typing import Any

from rooms import policy
from rooms.events import (
    CheckinAnswered,
    CheckinClosed,
    CheckinPosted,
    CheckinResults,
    CheckinShared,
    Event,
    ToFacilitators,
    ToMeeting,
    ToParticipant,
)
from rooms.state import MeetingState, RoomError

SCALE = "scale"
SINGLE = "single"
MULTIPLE = "multiple"
TEXT = "text"
KINDS = (SCALE, SINGLE, MULTIPLE, TEXT)

OPEN = "open"
CLOSED = "closed"

CHECK_IN = "check_in"
CHECK_OUT = "check_out"
MOMENTS = (CHECK_IN, CHECK_OUT)

SCALE_POINTS = 5
DEFAULT_SCALE_LABELS = ["Struggling", "Low", "Okay", "Good", "Great"]
MAX_QUESTION_CHARS = 200
MAX_OPTION_CHARS = 80
MAX_OPTIONS = 8
MAX_TEXT_ANSWER_CHARS = 280
MAX_OPEN_PROMPTS = 3
LIVE_STEP = 3
MIN_SHOWN = 2


def _refuse(code: str, message: str) -> RoomError:
    return RoomError(code, message)


@dataclass
class Tally:
    """The aggregate of a prompt's answers: no entry can be traced to a person or a moment."""

    answers: int = 0
    counts: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    @classmethod
    def empty(cls, kind: str, option_count: int) -> Tally:
        return cls(counts=[0] * (0 if kind == TEXT else option_count))

    def add(self, kind: str, value: int | list[int] | str, rng: random.Random) -> None:
        self.answers += 1
        if kind == TEXT:
            assert isinstance(value, str)
            # A random position, so the list's order says nothing about who answered when.
            self.texts.insert(rng.randint(0, len(self.texts)), value)
        elif kind == SCALE:
            assert isinstance(value, int)
            self.counts[value - 1] += 1
        else:
            assert isinstance(value, list)
            for index in value:
                self.counts[index] += 1

    def exact_mean(self, kind: str) -> float | None:
        if kind != SCALE or not self.answers:
            return None
        return sum((point + 1) * n for point, n in enumerate(self.counts)) / self.answers

    def mean(self, kind: str) -> float | None:
        exact = self.exact_mean(kind)
        return None if exact is None else round(exact, 2)

    def copy(self) -> Tally:
        return Tally(answers=self.answers, counts=list(self.counts), texts=list(self.texts))

    def to_json(self) -> dict[str, Any]:
        return {"answers": self.answers, "counts": self.counts, "texts": self.texts}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tally:
        return cls(answers=data["answers"], counts=list(data["counts"]), texts=list(data["texts"]))

    def results(self, kind: str) -> dict[str, Any]:
        return {
            "answers": self.answers,
            "counts": list(self.counts),
            "mean": self.mean(kind),
            "texts": list(self.texts),
        }


@dataclass
class NamedAnswer:
    participant_id: str
    name: str
    value: int | list[int] | str


@dataclass
class Prompt:
    id: str
    kind: str
    question: str
    options: list[str]
    anonymous: bool
    moment: str | None = None
    status: str = OPEN
    shared: bool = False
    tally: Tally = field(default_factory=Tally)
    # What facilitators have been shown; for anonymous prompts it lags behind `tally`.
    published: Tally | None = None
    ballot_key: bytes | None = None
    ballots: set[str] = field(default_factory=set)
    named: dict[str, NamedAnswer] = field(default_factory=dict)

    # --- views -------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "question": self.question,
            "options": list(self.options),
            "anonymous": self.anonymous,
            "moment": self.moment,
            "status": self.status,
            "shared": self.shared,
        }

    def shared_results(self) -> dict[str, Any] | None:
        if not self.shared or self.published is None:
            return None
        return self.published.results(self.kind)

    def for_participant(self, participant_id: str) -> dict[str, Any]:
        view = self.info()
        view["you_answered"] = has_answered(self, participant_id)
        results = self.shared_results()
        if results is not None:
            view["results"] = results
        return view

    def for_facilitators(self) -> dict[str, Any]:
        view = self.info()
        view["answered"] = self.tally.answers
        if self.published is not None:
            view["results"] = self.published.results(self.kind)
        if not self.anonymous:
            view["answers"] = [
                {"participant_id": a.participant_id, "name": a.name, "value": a.value}
                for a in self.named.values()
            ]
        return view

    def visible_to_participants(self) -> bool:
        return self.status == OPEN or self.shared


def ballot(key: bytes, participant_id: str) -> str:
    return hmac.new(key, participant_id.encode(), hashlib.sha256).hexdigest()


def has_answered(prompt: Prompt, participant_id: str) -> bool:
    if not prompt.anonymous:
        return participant_id in prompt.named
    if prompt.ballot_key is None:
        return False  # closed: the ballots are gone, and with them any way to tell
    return ballot(prompt.ballot_key, participant_id) in prompt.ballots


# --- authority ---------------------------------------------------------------------


def _results_event(prompt: Prompt) -> Event:
    return CheckinResults(prompt=prompt.for_facilitators(), to=ToFacilitators())


# --- posting -----------------------------------------------------------------------


def _clean(text: str) -> str:
    return " ".join(text.split())


def _clean_options(kind: str, options: list[str]) -> list[str]:
    cleaned = [_clean(o) for o in options]
    if any(not o or len(o) > MAX_OPTION_CHARS for o in cleaned):
        raise _refuse("invalid_prompt", f"Each option needs 1 to {MAX_OPTION_CHARS} characters.")
    if kind == TEXT:
        if cleaned:
            raise _refuse("invalid_prompt", "A free-text prompt has no options.")
        return []
    if kind == SCALE:
        if not cleaned:
            return list(DEFAULT_SCALE_LABELS)
        if len(cleaned) != SCALE_POINTS:
            raise _refuse("invalid_prompt", "A scale needs a label for each point from 1 to 5.")
        return cleaned
    if not 2 <= len(cleaned) <= MAX_OPTIONS or len(set(cleaned)) != len(cleaned):
        raise _refuse("invalid_prompt", f"A choice needs 2 to {MAX_OPTIONS} different options.")
    return cleaned


def post(
    room: MeetingState,
    actor_id: str,
    *,
    prompt_id: str,
    kind: str,
    question: str,
    options: list[str],
    anonymous: bool,
    moment: str | None,
    open_prompts: int,
    key: bytes,
) -> tuple[Prompt, list[Event]]:
    """A facilitator asks the room something; `key` is the fresh random ballot key."""
    policy.require_facilitator(room, actor_id)
    if kind not in KINDS:
        raise _refuse("invalid_prompt", "A prompt is a scale, a choice or free text.")
    question = _clean(question)
    if not question or len(question) > MAX_QUESTION_CHARS:
        raise _refuse("invalid_prompt", f"A question needs 1 to {MAX_QUESTION_CHARS} characters.")
    if moment is not None and (moment not in MOMENTS or kind != SCALE):
        raise _refuse("invalid_prompt", "Only a 1-5 scale can be the check-in or check-out.")
    options = _clean_options(kind, options)
    if open_prompts >= MAX_OPEN_PROMPTS:
        raise _refuse(
            "too_many_open_prompts", f"At most {MAX_OPEN_PROMPTS} prompts can be open at once."
        )
    prompt = Prompt(
        id=prompt_id,
        kind=kind,
        question=question,
        options=options,
        anonymous=anonymous,
        moment=moment,
        tally=Tally.empty(kind, len(options)),
        ballot_key=key if anonymous else None,
    )
    if not anonymous:
        prompt.published = prompt.tally.copy()
    return prompt, [
        CheckinPosted(prompt=prompt.info(), to=ToMeeting()),
        _results_event(prompt),
    ]


# --- answering ---------------------------------------------------------------------


def normalize_answer(
    prompt: Prompt, *, scale: int | None, choices: list[int] | None, text: str | None
) -> int | list[int] | str:
    """The one canonical value an answer stores, or `invalid_answer`."""
    given = {"scale": scale, "choices": choices, "text": text}
    expected = {SCALE: "scale", SINGLE: "choices", MULTIPLE: "choices", TEXT: "text"}[prompt.kind]
    if given[expected] is None or any(v is not None for k, v in given.items() if k != expected):
        raise _refuse("invalid_answer", f"This prompt takes an answer in `{expected}`.")
    if prompt.kind == SCALE:
        assert scale is not None
        if not 1 <= scale <= SCALE_POINTS:
            raise _refuse("invalid_answer", "Choose a point from 1 to 5.")
        return scale
    if prompt.kind == TEXT:
        assert text is not None
        cleaned = text.strip()
        if not cleaned or len(cleaned) > MAX_TEXT_ANSWER_CHARS:
            raise _refuse(
                "invalid_answer", f"An answer needs 1 to {MAX_TEXT_ANSWER_CHARS} characters."
            )
        return cleaned
    assert choices is not None
    picked = sorted(set(choices))
    if not picked or any(not 0 <= i < len(prompt.options) for i in picked):
        raise _refuse("invalid_answer", "Choose from the prompt's options.")
    if prompt.kind == SINGLE and len(picked) != 1:
        raise _refuse("invalid_answer", "Choose one option.")
    return picked


def answer(
    room: MeetingState,
    prompt: Prompt,
    participant_id: str,
    *,
    scale: int | None = None,
    choices: list[int] | None = None,
    text: str | None = None,
    rng: random.Random,
) -> list[Event]:
    policy.require_present(room, participant_id)
    if prompt.status != OPEN:
        raise _refuse("prompt_closed", "That prompt is closed; answers are no longer taken.")
    value = normalize_answer(prompt, scale=scale, choices=choices, text=text)
    if has_answered(prompt, participant_id):
        raise _refuse("already_answered", "You already answered this prompt.")
    prompt.tally.add(prompt.kind, value, rng)
    if prompt.anonymous:
        assert prompt.ballot_key is not None
        prompt.ballots.add(ballot(prompt.ballot_key, participant_id))
        published = prompt.published.answers if prompt.published else 0
        if prompt.tally.answers - published >= LIVE_STEP:
            prompt.published = prompt.tally.copy()
    else:
        name = room.member(participant_id).name
        prompt.named[participant_id] = NamedAnswer(participant_id, name, value)
        prompt.published = prompt.tally.copy()
    return [
        CheckinAnswered(prompt_id=prompt.id, to=ToParticipant(participant_id)),
        _results_event(prompt),
    ]


# --- closing and sharing -----------------------------------------------------------


def close(room: MeetingState, prompt: Prompt, actor_id: str) -> list[Event]:
    """Stops answers; closing twice is a quiet success (two facilitators may both press it)."""
    policy.require_facilitator(room, actor_id)
    return end(prompt)


def end(prompt: Prompt) -> list[Event]:
    """Closes a prompt on nobody's behalf, e.g. when its meeting ends with it still open."""
    if prompt.status == CLOSED:
        return []
    prompt.status = CLOSED
    if prompt.anonymous:
        prompt.ballot_key = None
        prompt.ballots = set()
        shown = prompt.tally.answers >= MIN_SHOWN
        prompt.published = prompt.tally.copy() if shown else None
    return [
        CheckinClosed(prompt_id=prompt.id, to=ToMeeting()),
        _results_event(prompt),
    ]


def share(room: MeetingState, prompt: Prompt, actor_id: str) -> list[Event]:
    """Shows the room the result of a closed prompt, without names; sharing again is a no-op."""
    policy.require_facilitator(room, actor_id)
    if prompt.status != CLOSED:
        raise _refuse("prompt_open", "Close the prompt before sharing its result.")
    if prompt.published is None or prompt.published.answers < MIN_SHOWN:
        raise _refuse(
            "too_few_answers",
            f"Fewer than {MIN_SHOWN} people answered; sharing would show whose answer it is.",
        )
    if prompt.shared:
        return []
    prompt.shared = True
    view = prompt.info()
    view["results"] = prompt.shared_results()
    return [CheckinShared(prompt=view, to=ToMeeting()), _results_event(prompt)]


# --- mood ----------------------------------------------------------------------------


def mood_point(check_ins: list[Prompt], check_outs: list[Prompt]) -> dict[str, float | None]:
    """One meeting's mood: the first closed check-in, the last closed check-out, their change.

    Only results facilitators have already been shown count, so the mood never reveals more
    about an anonymous prompt than its own published result does.
    """

    def mean(prompts: list[Prompt]) -> float | None:
        shown = [p.published for p in prompts if p.status == CLOSED and p.published is not None]
        return shown[0].exact_mean(SCALE) if shown else None

    before = mean(check_ins)
    after = mean(list(reversed(check_outs)))
    if before is None or after is None:
        return {"check_in": _round(before), "check_out": _round(after), "change": None}
    return {
        "check_in": _round(before),
        "check_out": _round(after),
        "change": round(after - before, 2),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
