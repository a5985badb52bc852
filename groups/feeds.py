"""iCalendar: a feed per group (one recurring event per schedule) and an .ics per meeting.

Built with the `icalendar` library. Times carry the group's TZID (with its VTIMEZONE), so a
phone calendar keeps 18:00 at 18:00 across the clocks changing, as the schedule does. A skipped
date is an EXDATE; a moved one is its own event with the same UID and a RECURRENCE-ID, the way
calendars expect an exception to be written. The feed's events link to the group page (each
meeting has its own invite link); a meeting's own .ics carries its invite link.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from icalendar import Calendar, Event, vRecur

from groups.models import Group, Occurrence, Schedule, ScheduleException
from groups.recurrence import zone
from groups.schedules import rule_of
from groups.selectors import absolute, feed_key, invite_url
from groups.views import viewable

PRODID = "-//Peer meetings//groups//EN"


def _host() -> str:
    return settings.PUBLIC_BASE_URL.split("://")[-1].split("/")[0].split(":")[0] or "localhost"


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    return cal


def _event(group: Group, uid: str, start: datetime) -> Event:
    tz = zone(group.time_zone)
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", timezone.now())
    event.add("summary", group.title)
    event.add("dtstart", start.astimezone(tz))
    event.add("dtend", (start + timedelta(minutes=group.duration_minutes)).astimezone(tz))
    return event


def _schedule_events(group: Group, schedule: Schedule, page: str) -> list[Event]:
    rule = rule_of(schedule, with_skips=False)
    starts = rule.starts()
    uid = f"schedule-{schedule.pk}@{_host()}"
    tz = zone(group.time_zone)
    main = _event(group, uid, starts[0])
    main.add("url", page)
    main.add("description", f"Each meeting has its own join link on the group page: {page}")
    ical_rule = rule.ical_rrule()
    if ical_rule is None:
        return [main]
    main.add("rrule", vRecur(ical_rule))
    by_date = {s.astimezone(tz).date(): s for s in starts}
    excluded = []
    events = [main]
    for exception in schedule.exceptions.all():
        original = by_date.get(exception.original_date)
        if original is None:
            continue
        if exception.action == ScheduleException.Action.SKIP:
            excluded.append(original.astimezone(tz))
        elif exception.moved_to is not None:
            moved = _event(group, uid, exception.moved_to)
            moved.add("recurrence-id", original.astimezone(tz))
            moved.add("url", page)
            events.append(moved)
    if excluded:
        main.add("exdate", sorted(excluded))
    return events


def group_calendar(group: Group) -> Calendar:
    cal = _calendar(group.title)
    page = absolute(reverse("groups:group", args=[group.pk]))
    for schedule in group.schedules.prefetch_related("exceptions").order_by("pk"):
        for event in _schedule_events(group, schedule, page):
            cal.add_component(event)
    for occurrence in group.occurrences.filter(schedule__isnull=True).select_related("meeting"):
        cal.add_component(_occurrence_event(occurrence))
    cal.add_missing_timezones()
    return cal


def _occurrence_event(occurrence: Occurrence) -> Event:
    group = occurrence.group
    link = invite_url(occurrence.meeting)
    event = _event(group, f"meeting-{occurrence.pk}@{_host()}", occurrence.starts_at)
    if not link:  # the team turned the link off
        event.add("description", "Ask the facilitators for this meeting's link.")
        return event
    event.add("url", link)
    event.add("location", link)
    event.add(
        "description",
        f"Join here: {link}\nDoors open {group.doors_open_minutes} minutes before the start. "
        "You choose the name others see.",
    )
    return event


def occurrence_calendar(occurrence: Occurrence) -> Calendar:
    cal = _calendar(occurrence.group.title)
    cal.add_component(_occurrence_event(occurrence))
    cal.add_missing_timezones()
    return cal


def _ics(cal: Calendar, filename: str) -> HttpResponse:
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _refused() -> HttpResponse:
    return HttpResponse(
        "This group is private: open its page and enter the passcode first.",
        status=403,
        content_type="text/plain; charset=utf-8",
    )


def group_feed(request: HttpRequest, group_id: UUID) -> HttpResponse:
    group = get_object_or_404(Group, pk=group_id)
    key = request.GET.get("key", "")
    if not (viewable(request, group) or constant_time_compare(key, feed_key(group))):
        return _refused()
    return _ics(group_calendar(group), "group.ics")


def occurrence_ics(request: HttpRequest, occurrence_id: UUID) -> HttpResponse:
    occurrence = get_object_or_404(
        Occurrence.objects.select_related("group", "meeting"), pk=occurrence_id
    )
    if not viewable(request, occurrence.group):
        return _refused()
    return _ics(occurrence_calendar(occurrence), "meeting.ics")
