"""A group's schedule made real: every date becomes an Occurrence owning a rooms.Meeting.

Why this is not in rooms/: rooms/ runs one live meeting (who is in, who may speak, the lobby,
breakouts) as a state machine under a row lock, and knows nothing of calendars. A schedule is
about meetings that do not exist yet: recurrence, time zones, exceptions, who is on the team.
The two change for different reasons and at different speeds, so groups/ creates ordinary
meetings ahead of time through rooms' own model and registers its few rules about them
(team, doors, maximum) in rooms.extensions; rooms never imports groups.

Meetings are created in advance (at most recurrence.MAX_OCCURRENCES per schedule) so each date
has its invite link the day it is planned, to put in a calendar.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from groups import permissions
from groups.errors import GroupError
from groups.models import Group, Occurrence, Schedule, ScheduleException
from groups.recurrence import Rule, aware, zone
from rooms.models import Meeting
from rooms.services import invites


def rule_of(schedule: Schedule, *, with_skips: bool = True) -> Rule:
    skipped = (
        frozenset(
            e.original_date
            for e in schedule.exceptions.all()
            if e.action == ScheduleException.Action.SKIP
        )
        if with_skips
        else frozenset()
    )
    return Rule(
        frequency=schedule.frequency,
        start_date=schedule.start_date,
        local_time=schedule.local_time,
        time_zone=schedule.group.time_zone,
        until=schedule.until,
        weekdays=tuple(schedule.weekdays),
        month_days=tuple(schedule.month_days),
        week_of_month=schedule.week_of_month,
        skipped=skipped,
    )


def _new_meeting(group: Group, starts_at: datetime) -> Meeting:
    return Meeting(
        owner_id=group.created_by_id,
        title=group.title,
        starts_at=starts_at,
        lobby_enabled=group.lobby_default,
        muted_on_entry=group.muted_on_entry,
    )


def _removable(occurrence: Occurrence) -> bool:
    """A planned meeting nobody has entered yet may be dropped when the plan changes."""
    return occurrence.meeting.ended_at is None and not occurrence.meeting.participants.exists()


def rematerialise(schedule: Schedule) -> None:
    """Brings the schedule's future occurrences in line with its rule and exceptions.

    Past occurrences and any meeting someone already joined are kept as they are. Must run
    inside the caller's transaction.
    """
    rule = rule_of(schedule)
    moved = {
        e.original_date: e.moved_to
        for e in schedule.exceptions.all()
        if e.action == ScheduleException.Action.MOVE
    }
    tz = zone(rule.time_zone)
    wanted: dict[datetime, datetime] = {}  # original start -> actual start
    for local in rule.local_starts():
        original = aware(local, tz)
        wanted[original] = moved.get(local.date()) or original
    now = timezone.now()
    existing = {
        o.original_start: o
        for o in schedule.occurrences.select_related("meeting").filter(starts_at__gte=now)
    }
    for planned, occurrence in existing.items():
        if planned in wanted and occurrence.starts_at == wanted[planned]:
            continue
        if planned in wanted and _removable(occurrence):
            occurrence.starts_at = wanted[planned]
            occurrence.save(update_fields=["starts_at"])
            Meeting.objects.filter(pk=occurrence.meeting_id).update(starts_at=wanted[planned])
        elif _removable(occurrence):
            occurrence.meeting.delete()  # cascades to the occurrence
    past = set(
        schedule.occurrences.filter(starts_at__lt=now).values_list("original_start", flat=True)
    )
    missing = [
        (o, s) for o, s in wanted.items() if o not in existing and o not in past and s >= now
    ]
    group = schedule.group
    meetings = Meeting.objects.bulk_create(_new_meeting(group, s) for _, s in missing)
    invites.links_create(meetings=meetings)
    Occurrence.objects.bulk_create(
        Occurrence(group=group, schedule=schedule, original_start=o, starts_at=s, meeting=m)
        for (o, s), m in zip(missing, meetings, strict=True)
    )


def schedule_add(
    *,
    actor: User,
    group: Group,
    frequency: str,
    start_date: date,
    local_time: time,
    until: date | None = None,
    weekdays: list[int] | None = None,
    month_days: list[int] | None = None,
    week_of_month: int | None = None,
) -> Schedule:
    """Adds a schedule and creates its meetings, all or nothing."""
    permissions.require_run(actor, group)
    schedule = Schedule(
        group=group,
        frequency=frequency,
        start_date=start_date,
        local_time=local_time,
        until=until,
        weekdays=sorted(set(weekdays or [])),
        month_days=sorted(set(month_days or [])),
        week_of_month=week_of_month,
    )
    rule = rule_of(schedule, with_skips=False)
    starts = rule.starts()  # refuses bad rules before anything is written
    if starts[-1] < timezone.now():
        raise GroupError("all_in_past", "Every date of this schedule is in the past.")
    with transaction.atomic():
        schedule.save()
        rematerialise(schedule)
    return schedule


def schedule_remove(*, actor: User, schedule: Schedule) -> None:
    """Removes a schedule and its future meetings nobody has joined yet."""
    permissions.require_run(actor, schedule.group)
    with transaction.atomic():
        for occurrence in schedule.occurrences.select_related("meeting").filter(
            starts_at__gte=timezone.now()
        ):
            if _removable(occurrence):
                occurrence.meeting.delete()
        schedule.delete()


def _rule_date(schedule: Schedule, original_date: date) -> None:
    dates = {d.date() for d in rule_of(schedule, with_skips=False).local_starts()}
    if original_date not in dates:
        raise GroupError("not_a_date", "The schedule has no meeting on that date.")


def date_skip(*, actor: User, schedule: Schedule, original_date: date) -> None:
    permissions.require_run(actor, schedule.group)
    _rule_date(schedule, original_date)
    with transaction.atomic():
        ScheduleException.objects.update_or_create(
            schedule=schedule,
            original_date=original_date,
            defaults={"action": ScheduleException.Action.SKIP, "moved_to": None},
        )
        _refuse_if_started(schedule, original_date)
        rematerialise(schedule)


def date_move(*, actor: User, schedule: Schedule, original_date: date, new_local: datetime) -> None:
    """Moves one date to another local date and time (in the group's time zone)."""
    permissions.require_run(actor, schedule.group)
    _rule_date(schedule, original_date)
    moved_to = aware(new_local.replace(tzinfo=None), zone(schedule.group.time_zone))
    if moved_to < timezone.now():
        raise GroupError("move_to_past", "A meeting cannot move into the past.")
    with transaction.atomic():
        ScheduleException.objects.update_or_create(
            schedule=schedule,
            original_date=original_date,
            defaults={"action": ScheduleException.Action.MOVE, "moved_to": moved_to},
        )
        _refuse_if_started(schedule, original_date)
        rematerialise(schedule)


def _refuse_if_started(schedule: Schedule, original_date: date) -> None:
    tz = zone(schedule.group.time_zone)
    for occurrence in schedule.occurrences.select_related("meeting"):
        if occurrence.original_start is None:
            continue
        if occurrence.original_start.astimezone(tz).date() != original_date:
            continue
        if not _removable(occurrence) or occurrence.starts_at < timezone.now():
            raise GroupError("already_started", "That meeting has already started.")


def start_now(*, actor: User, group: Group) -> Occurrence:
    """An ad hoc meeting of the group, open at once."""
    permissions.require_run(actor, group)
    now = timezone.now()
    with transaction.atomic():
        meeting = _new_meeting(group, now)
        meeting.save()
        invites.links_create(meetings=[meeting])
        return Occurrence.objects.create(group=group, starts_at=now, meeting=meeting)


def upcoming(group: Group, *, limit: int = 20) -> list[Occurrence]:
    """The group's meetings that have not ended yet, soonest first."""
    since = timezone.now() - timedelta(minutes=group.duration_minutes)
    return list(
        group.occurrences.select_related("meeting")
        .filter(starts_at__gte=since, meeting__ended_at__isnull=True)
        .order_by("starts_at")[:limit]
    )
