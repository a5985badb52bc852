"""Writes for check-in prompts: each operation in one transaction under the meeting's row lock.

The lock is the same one `services.room_apply` takes, so two facilitators closing a prompt,
a peer answering twice from two tabs, or an answer racing a close are applied one after the
other, each with a defined result.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from rooms import checkins, selectors, state
from rooms.checkin_selectors import meeting_mood, open_prompt_count, prompt_from_row
from rooms.models import CheckinAnswer, CheckinPrompt, Meeting

# Positions of free-text answers in the tally must not be predictable.
_rng = random.SystemRandom()


def checkin_post(
    *,
    meeting_id: str,
    actor_id: str,
    kind: str,
    question: str,
    options: list[str],
    anonymous: bool,
    moment: str | None,
) -> list[state.Event]:
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(id=meeting_id)
        room = selectors.room_load(meeting=meeting)
        prompt, events = checkins.post(
            room,
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
            meeting=meeting,
            kind=prompt.kind,
            question=prompt.question,
            options=prompt.options,
            anonymous=prompt.anonymous,
            moment=prompt.moment or "",
            tally=prompt.tally.to_json(),
            published=prompt.published.to_json() if prompt.published else None,
            ballot_key=prompt.ballot_key,
        )
    return events


def _prompt_apply(
    meeting_id: str,
    prompt_id: str,
    operation: Callable[[state.Room, checkins.Prompt], list[state.Event]],
) -> list[state.Event]:
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(id=meeting_id)
        room = selectors.room_load(meeting=meeting)
        row = CheckinPrompt.objects.filter(meeting=meeting, id=prompt_id).first()
        if row is None:
            raise state.RoomError("prompt_not_found", "There is no such prompt in this meeting.")
        prompt = prompt_from_row(row)
        answered_before = set(prompt.named)
        events = operation(room, prompt)
        if not events:
            return events
        _save(row, prompt)
        CheckinAnswer.objects.bulk_create(
            CheckinAnswer(prompt=row, participant_id=pid, value=prompt.named[pid].value)
            for pid in set(prompt.named) - answered_before
        )
        if row.moment and any(e.type == "checkin.closed" for e in events):
            mood = meeting_mood(meeting=meeting)
            events.append(state.Event("checkin.mood", {"mood": mood}, state.TO_FACILITATORS))
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


def checkin_answer(
    *,
    meeting_id: str,
    participant_id: str,
    prompt_id: str,
    scale: int | None = None,
    choices: list[int] | None = None,
    text: str | None = None,
) -> list[state.Event]:
    return _prompt_apply(
        meeting_id,
        prompt_id,
        lambda room, prompt: checkins.answer(
            room, prompt, participant_id, scale=scale, choices=choices, text=text, rng=_rng
        ),
    )


def checkin_close(*, meeting_id: str, actor_id: str, prompt_id: str) -> list[state.Event]:
    return _prompt_apply(
        meeting_id, prompt_id, lambda room, prompt: checkins.close(room, prompt, actor_id)
    )


def checkin_share(*, meeting_id: str, actor_id: str, prompt_id: str) -> list[state.Event]:
    return _prompt_apply(
        meeting_id, prompt_id, lambda room, prompt: checkins.share(room, prompt, actor_id)
    )


def checkin_end_all(*, meeting_id: str) -> list[state.Event]:
    """Closes every open prompt of a meeting (for when the meeting ends): keys and ballots go."""
    events: list[state.Event] = []
    open_ids = CheckinPrompt.objects.filter(
        meeting_id=meeting_id, status=CheckinPrompt.Status.OPEN
    ).values_list("id", flat=True)
    for prompt_id in list(open_ids):
        events += _prompt_apply(meeting_id, str(prompt_id), lambda room, p: checkins.end(p))
    return events
