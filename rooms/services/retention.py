"""Retention: what a meeting keeps once `RETENTION_DAYS` have passed since it ended.

A meeting counts as ended at `ended_at`, or, when nobody ever ended it, at its last sign
of life (created, scheduled start, a join, a drop, a chat message). After the retention
period the purge deletes chat (room, private to facilitators, help requests), the
attention queue ("I need support" signals, reports, knocks, with their notes), named
check-in answers and free-text answers, and strips every participant row down to its role
and media mode (no name, no device hash, no token hash, no time of accepting the
agreement). Counters of check-in answers stay:
they are the anonymous aggregates the mood trend is drawn from. docs/privacy.md says the
same in plain words.

Every step only touches rows that still hold something, so running it again (or on a
schedule) changes nothing and reports zeros.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat

from rooms.models import (
    AttentionItem,
    ChatMessage,
    CheckinAnswer,
    CheckinPrompt,
    Meeting,
    Participant,
)

PURGED_TOKEN_PREFIX = "purged:"


@dataclass
class PurgeReport:
    meetings: int = 0
    chat_messages: int = 0
    attention_items: int = 0
    named_answers: int = 0
    free_text_prompts: int = 0
    participants: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def meetings_past_retention(*, now: datetime, retention_days: int) -> list[Meeting]:
    """Meetings whose retention period is over (see the module docstring for "ended")."""
    cutoff = now - timedelta(days=retention_days)
    recent_join = Participant.objects.filter(meeting=OuterRef("pk")).filter(
        Q(created_at__gt=cutoff) | Q(disconnected_at__gt=cutoff)
    )
    recent_chat = ChatMessage.objects.filter(meeting=OuterRef("pk"), sent_at__gt=cutoff)
    never_ended_and_quiet = (
        Q(ended_at__isnull=True, created_at__lte=cutoff)
        & (Q(starts_at__isnull=True) | Q(starts_at__lte=cutoff))
        & ~Exists(recent_join)
        & ~Exists(recent_chat)
    )
    return list(
        Meeting.objects.filter(Q(ended_at__lte=cutoff) | never_ended_and_quiet).order_by(
            "created_at"
        )
    )


def meeting_purge(*, meeting: Meeting, now: datetime) -> PurgeReport:
    """Deletes one meeting's personal data, keeping the anonymous aggregates."""
    report = PurgeReport()
    with transaction.atomic():
        report.chat_messages, _ = ChatMessage.objects.filter(meeting=meeting).delete()
        report.attention_items, _ = AttentionItem.objects.filter(meeting=meeting).delete()
        report.named_answers, _ = CheckinAnswer.objects.filter(prompt__meeting=meeting).delete()
        for prompt in CheckinPrompt.objects.filter(meeting=meeting):
            if _drop_free_texts(prompt):
                report.free_text_prompts += 1
        people = Participant.objects.filter(meeting=meeting)
        report.participants = people.exclude(token_hash__startswith=PURGED_TOKEN_PREFIX).update(
            display_name="",
            device_hash="",
            channel_name="",
            token_hash=Concat(Value(PURGED_TOKEN_PREFIX), Cast(F("id"), CharField())),
            connection=Participant.Connection.OFFLINE,
            hand_raised_seq=None,
            agreement_accepted_at=None,
        )
        # Nobody is still in a purged meeting; who was turned away stays counted apart
        # (attendance reports leave them out).
        people.filter(status__in=[Participant.Status.LOBBY, Participant.Status.ADMITTED]).update(
            status=Participant.Status.LEFT
        )
        # A go-round nobody ended: participant ids and turn times, no names, but they go too.
        Meeting.objects.filter(id=meeting.id, goround__isnull=False).update(goround=None)
        if any(asdict(report).values()) or meeting.purged_at is None:
            report.meetings = 1
            Meeting.objects.filter(id=meeting.id).update(purged_at=now)
    return report


def _drop_free_texts(prompt: CheckinPrompt) -> bool:
    """Free-text answers are people's own words, not an aggregate: they go; counters stay."""
    changed = False
    for field in ("tally", "published"):
        value = getattr(prompt, field)
        if isinstance(value, dict) and value.get("texts"):
            value["texts"] = []
            changed = True
    if prompt.ballots or prompt.ballot_key:
        prompt.ballots, prompt.ballot_key = [], None
        changed = True
    if changed:
        prompt.save(update_fields=["tally", "published", "ballots", "ballot_key"])
    return changed


def purge(*, now: datetime, retention_days: int) -> PurgeReport:
    total = PurgeReport()
    for meeting in meetings_past_retention(now=now, retention_days=retention_days):
        done = meeting_purge(meeting=meeting, now=now)
        for name, count in asdict(done).items():
            setattr(total, name, getattr(total, name) + count)
    return total
