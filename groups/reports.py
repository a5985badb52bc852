"""For the organisation: attendance counts and the mood trend per group, as numbers only.

No name, pseudonym, participant id or answer ever leaves this module: a row is a meeting's
date, how many peers and facilitators came, and the check-in / check-out means facilitators
were already shown (rooms.checkins.mood_point). One-to-one sessions report attendance but
never a mood: with one peer, a mean is that person's answer.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from django.db.models import Count
from django.utils import timezone

from groups.models import Group, Occurrence
from groups.recurrence import zone
from rooms import checkins
from rooms.models import CheckinPrompt, Participant
from rooms.selectors.checkins import prompt_from_row

COLUMNS = (
    "group", "date", "start_local", "time_zone", "peers", "facilitators",
    "mood_check_in", "mood_check_out", "mood_change",
)  # fmt: skip


@dataclass(frozen=True)
class MeetingRow:
    group: str
    date: str
    start_local: str
    time_zone: str
    peers: int
    facilitators: int
    mood_check_in: float | None
    mood_check_out: float | None
    mood_change: float | None


@dataclass(frozen=True)
class MonthRow:
    month: str
    meetings: int
    peers: int
    mean_peers: float | None
    mean_change: float | None


def _counts(meeting_ids: list[UUID]) -> dict[UUID, dict[str, int]]:
    """Peers and facilitators who came (a refused lobby request does not count)."""
    rows = (
        Participant.objects.filter(meeting_id__in=meeting_ids)
        .exclude(status=Participant.Status.DENIED)
        .values("meeting_id", "role")
        .annotate(n=Count("id"))
    )
    counts: dict[UUID, dict[str, int]] = defaultdict(lambda: {"peer": 0, "facilitators": 0})
    for row in rows:
        key = "peer" if row["role"] == Participant.Role.PEER else "facilitators"
        counts[row["meeting_id"]][key] += row["n"]
    return counts


def _moods(meeting_ids: list[UUID]) -> dict[UUID, dict[str, float | None]]:
    prompts: dict[UUID, dict[str, list[checkins.Prompt]]] = defaultdict(
        lambda: {"check_in": [], "check_out": []}
    )
    rows = (
        CheckinPrompt.objects.filter(
            meeting_id__in=meeting_ids,
            kind=CheckinPrompt.Kind.SCALE,
            status=CheckinPrompt.Status.CLOSED,
        )
        .exclude(moment="")
        .order_by("posted_at")
    )
    for row in rows:
        prompts[row.meeting_id][row.moment].append(prompt_from_row(row, with_answers=False))
    return {mid: checkins.mood_point(p["check_in"], p["check_out"]) for mid, p in prompts.items()}


def meeting_rows(groups: Iterable[Group]) -> list[MeetingRow]:
    """One row per meeting that has started, oldest first, group by group."""
    out = []
    for group in groups:
        held = list(
            Occurrence.objects.filter(group=group, starts_at__lte=timezone.now()).order_by(
                "starts_at"
            )
        )
        ids = [o.meeting_id for o in held]
        counts, moods = _counts(ids), _moods(ids)
        tz = zone(group.time_zone)
        for occurrence in held:
            local = occurrence.starts_at.astimezone(tz)
            mood = moods.get(occurrence.meeting_id, {})
            if group.kind == Group.Kind.ONE_TO_ONE:
                mood = {}
            count = counts.get(occurrence.meeting_id, {"peer": 0, "facilitators": 0})
            out.append(
                MeetingRow(
                    group=group.title,
                    date=local.date().isoformat(),
                    start_local=local.strftime("%H:%M"),
                    time_zone=group.time_zone,
                    peers=count["peer"],
                    facilitators=count["facilitators"],
                    mood_check_in=mood.get("check_in"),
                    mood_check_out=mood.get("check_out"),
                    mood_change=mood.get("change"),
                )
            )
    return out


def month_rows(rows: list[MeetingRow]) -> list[MonthRow]:
    """Attendance and mood change per month: the trend over time."""
    by_month: dict[str, list[MeetingRow]] = defaultdict(list)
    for row in rows:
        by_month[row.date[:7]].append(row)
    out = []
    for month, items in sorted(by_month.items()):
        peers = sum(r.peers for r in items)
        changes = [r.mood_change for r in items if r.mood_change is not None]
        out.append(
            MonthRow(
                month=month,
                meetings=len(items),
                peers=peers,
                mean_peers=round(peers / len(items), 1) if items else None,
                mean_change=round(sum(changes) / len(changes), 2) if changes else None,
            )
        )
    return out


def _cell(value: object) -> object:
    """A spreadsheet reads a cell starting with = + - @ as a formula: not from our data."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return "" if value is None else value


def as_csv(rows: list[MeetingRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(getattr(row, c)) for c in COLUMNS])
    return buffer.getvalue()
