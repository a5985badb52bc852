"""Check-in prompts: post, answer, close, share; each under the meeting's row lock.

The lock is the one `locked_room` takes, so two facilitators closing a prompt, a peer
answering twice from two tabs, or an answer racing a close are applied one after the
other, each with a defined result.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Callable

from django.utils import timezone

from rooms import checkins, extensions, state
from rooms.events import CheckinMood, Event, ToFacilitators
from rooms.models import CheckinAnswer, CheckinPrompt
from rooms.selectors.checkins import meeting_mood, open_prompt_count, prompt_from_row
from rooms.services.unit import Locked, Outcome, locked_room

# Positions of free-text answers in the tally must not be predictable.
_rng = random.SystemRandom()

PromptOperation = Callable[[state.MeetingState, checkins.Prompt], list[Event]]


def checkin_post(
    *,
    meeting_id: str,
    actor_id: str,
    kind: str,
    question: str,
    options: list[str],
    anonymous: bool,
    moment: str | None,
) -> Outcome:
    if anonymous:
        extensions.refuse_without(meeting_id, extensions.ANONYMOUS_CHECKINS, "invalid_prompt")
    with locked_room(meeting_id) as unit:
        prompt, events = checkins.post(
            unit.room,
            actor_id,
            prompt_id=str(uuid.uuid4()),
            kind=kind,
            question=question,
            options=options,
            anonymous=anonymous,
            moment=moment,
            open_prompts=open_prompt_count(meeting_id=meeting_id),
            key=secrets.token_bytes(32),
        )
        CheckinPrompt.objects.create(
            id=prompt.id,
            meeting=unit.meeting,
            kind=prompt.kind,
            question=prompt.question,
            options=prompt.options,
            anonymous=prompt.anonymous,
            moment=prompt.moment or "",
            tally=prompt.tally.to_json(),
            published=prompt.published.to_json() if prompt.published else None,
            ballot_key=prompt.ballot_key,
        )
        unit.events += events
    return unit.outcome


def checkin_answer(
    *,
    meeting_id: str,
    actor_id: str,
    prompt_id: str,
    scale: int | None = None,
    choices: list[int] | None = None,
    text: str | None = None,
) -> Outcome:
    return _prompt_apply(
        meeting_id,
        prompt_id,
        lambda room, prompt: checkins.answer(
            room, prompt, actor_id, scale=scale, choices=choices, text=text, rng=_rng
        ),
    )


def checkin_close(*, meeting_id: str, actor_id: str, prompt_id: str) -> Outcome:
    return _prompt_apply(
        meeting_id, prompt_id, lambda room, prompt: checkins.close(room, prompt, actor_id)
    )


def checkin_share(*, meeting_id: str, actor_id: str, prompt_id: str) -> Outcome:
    return _prompt_apply(
        meeting_id, prompt_id, lambda room, prompt: checkins.share(room, prompt, actor_id)
    )


def end_open_prompts(unit: Locked) -> list[Event]:
    """Closes every open prompt of the locked meeting (it is ending): keys and ballots go."""
    rows = CheckinPrompt.objects.filter(meeting=unit.meeting, status=CheckinPrompt.Status.OPEN)
    events: list[Event] = []
    for row in list(rows):
        events += _on_prompt(unit, row, lambda room, prompt: checkins.end(prompt))
    return events


def _prompt_apply(meeting_id: str, prompt_id: str, operation: PromptOperation) -> Outcome:
    with locked_room(meeting_id) as unit:
        row = CheckinPrompt.objects.filter(meeting=unit.meeting, id=prompt_id).first()
        if row is None:
            raise state.RoomError("prompt_not_found", "There is no such prompt in this meeting.")
        unit.events += _on_prompt(unit, row, operation)
    return unit.outcome


def _on_prompt(unit: Locked, row: CheckinPrompt, operation: PromptOperation) -> list[Event]:
    prompt = prompt_from_row(row)
    answered_before = set(prompt.named)
    events = operation(unit.room, prompt)
    if not events:
        return events
    _save(row, prompt)
    CheckinAnswer.objects.bulk_create(
        CheckinAnswer(prompt=row, participant_id=pid, value=prompt.named[pid].value)
        for pid in set(prompt.named) - answered_before
    )
    if row.moment and any(e.type == "checkin.closed" for e in events):
        mood = meeting_mood(meeting=unit.meeting)
        events.append(CheckinMood(mood=mood, to=ToFacilitators()))
    return events


def _save(row: CheckinPrompt, prompt: checkins.Prompt) -> None:
    row.status = prompt.status
    row.shared = prompt.shared
    row.tally = prompt.tally.to_json()
    row.published = prompt.published.to_json() if prompt.published else None
    row.ballot_key = prompt.ballot_key
    row.ballots = sorted(prompt.ballots)
    if prompt.status == checkins.CLOSED and row.closed_at is None:
        row.closed_at = timezone.now()
    row.save(
        update_fields=[
            "status", "shared", "tally", "published", "ballot_key", "ballots", "closed_at",
        ]
    )  # fmt: skip
