"""Reads for check-in prompts: a prompt as the pure layer needs it, what a viewer sees, mood.

A meeting's *group* is the group it was scheduled for (groups/ registers it in
rooms.extensions); a meeting outside any group falls back to every meeting with the same owner
and the same title (compared without case). The mood trend lists the group's earlier meetings
that had both a closed check-in and check-out.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from rooms import checkins, extensions
from rooms.models import CheckinAnswer, CheckinPrompt, Meeting

TREND_LENGTH = 10


def prompt_from_row(row: CheckinPrompt, *, with_answers: bool = True) -> checkins.Prompt:
    prompt = checkins.Prompt(
        id=str(row.id),
        kind=row.kind,
        question=row.question,
        options=list(row.options),
        anonymous=row.anonymous,
        moment=row.moment or None,
        status=row.status,
        shared=row.shared,
        tally=checkins.Tally.from_json(row.tally),
        published=checkins.Tally.from_json(row.published) if row.published else None,
        ballot_key=bytes(row.ballot_key) if row.ballot_key is not None else None,
        ballots=set(row.ballots),
    )
    if with_answers and not row.anonymous:
        answers = CheckinAnswer.objects.filter(prompt=row).select_related("participant")
        for a in answers.order_by("participant__display_name", "participant_id"):
            pid = str(a.participant_id)
            prompt.named[pid] = checkins.NamedAnswer(pid, a.participant.display_name, a.value)
    return prompt


def open_prompt_count(*, meeting_id: str) -> int:
    return CheckinPrompt.objects.filter(
        meeting_id=meeting_id, status=CheckinPrompt.Status.OPEN
    ).count()


def checkin_state(*, meeting: Meeting, viewer_id: str, facilitates: bool) -> dict[str, Any]:
    """The prompts a person sees on entering the room, and for facilitators the mood."""
    rows = CheckinPrompt.objects.filter(meeting=meeting).order_by("posted_at")
    prompts = [prompt_from_row(row, with_answers=facilitates) for row in rows]
    if facilitates:
        return {
            "prompts": [
                {**p.for_facilitators(), "you_answered": checkins.has_answered(p, viewer_id)}
                for p in prompts
            ],
            "mood": meeting_mood(meeting=meeting),
        }
    return {
        "prompts": [p.for_participant(viewer_id) for p in prompts if p.visible_to_participants()]
    }


def group_meetings(*, meeting: Meeting) -> QuerySet[Meeting]:
    scheduled = extensions.group_of(meeting)
    if scheduled is not None:
        return scheduled
    return Meeting.objects.filter(owner_id=meeting.owner_id, title__iexact=meeting.title)


def meeting_mood(*, meeting: Meeting) -> dict[str, Any]:
    """This meeting's mood change and the trend over the group's earlier meetings."""
    rows = (
        CheckinPrompt.objects.filter(
            meeting__in=group_meetings(meeting=meeting),
            kind=CheckinPrompt.Kind.SCALE,
            status=CheckinPrompt.Status.CLOSED,
        )
        .exclude(moment="")
        .select_related("meeting")
        .order_by("posted_at")
    )
    # meeting id -> moment (check_in / check_out) -> its prompts
    by_meeting: dict[UUID, dict[str, list[checkins.Prompt]]] = defaultdict(
        lambda: {"check_in": [], "check_out": []}
    )
    meetings = {}
    for row in rows:
        by_meeting[row.meeting_id][row.moment].append(prompt_from_row(row, with_answers=False))
        meetings[row.meeting_id] = row.meeting

    def point(meeting_id: UUID) -> dict[str, float | None]:
        found = by_meeting.get(meeting_id, {"check_in": [], "check_out": []})
        return checkins.mood_point(found["check_in"], found["check_out"])

    trend = []
    for meeting_id, other in meetings.items():
        if meeting_id == meeting.id or other.created_at >= meeting.created_at:
            continue
        past = point(meeting_id)
        if past["change"] is not None:
            when = other.starts_at or other.created_at
            trend.append(
                (when, {"meeting_id": str(meeting_id), "date": when.date().isoformat()}, past)
            )
    trend.sort(key=lambda t: t[0])
    return {
        **point(meeting.id),
        "trend": [{**info, **past} for _, info, past in trend[-TREND_LENGTH:]],
    }
