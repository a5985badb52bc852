"""Counts of what is live now, for the people who run the service: numbers, never who."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from rooms.models import Participant


@dataclass(frozen=True)
class LiveCounts:
    meetings: int  # meetings not ended with someone connected (online or reconnecting)
    # (status, media, connection) -> people connected to a meeting that has not ended
    participants: dict[tuple[str, str, str], int]


def live_counts() -> LiveCounts:
    """Two aggregate queries over the (meeting, status) index: cheap enough for every scrape."""
    present = Participant.objects.filter(meeting__ended_at__isnull=True).exclude(
        connection=Participant.Connection.OFFLINE
    )
    rows = present.values_list("status", "media", "connection").annotate(n=Count("id"))
    return LiveCounts(
        meetings=present.values("meeting_id").distinct().count(),
        participants={(status, media, connection): n for status, media, connection, n in rows},
    )
