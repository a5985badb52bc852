"""Reading the pages' POSTed fields into typed values; a bad value is a GroupError, not a guess."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.http import QueryDict

from groups.errors import GroupError

WEEK_OF_MONTH = {"": None, "1": 1, "2": 2, "3": 3, "4": 4, "last": -1}


def a_date(value: str, label: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise GroupError("invalid_date", f"{label}: use a date like 2026-03-17.") from None


def a_time(value: str, label: str) -> time:
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise GroupError("invalid_time", f"{label}: use a time like 18:30.") from None


def a_local_datetime(value: str, label: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise GroupError("invalid_datetime", f"{label}: use a date and time.") from None
    if parsed.tzinfo is not None:
        raise GroupError("invalid_datetime", f"{label}: give the group's local time.")
    return parsed


def a_number(value: str, label: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise GroupError("invalid_number", f"{label}: give a whole number.") from None


def month_days(value: str) -> list[int]:
    """ "1, 15, last" -> [1, 15, -1]."""
    days = []
    for part in value.replace(" ", "").split(","):
        if not part:
            continue
        days.append(-1 if part.lower() == "last" else a_number(part, "Days of the month"))
    return days


def schedule_fields(post: QueryDict) -> dict[str, Any]:
    week = post.get("week_of_month", "")
    if week not in WEEK_OF_MONTH:
        raise GroupError("invalid_week", "The week of the month is 1st to 4th, or the last.")
    until = post.get("until", "").strip()
    return {
        "frequency": post.get("frequency", ""),
        "start_date": a_date(post.get("start_date", ""), "First date"),
        "local_time": a_time(post.get("local_time", ""), "Time"),
        "until": a_date(until, "Last date") if until else None,
        "weekdays": [a_number(d, "Day of the week") for d in post.getlist("weekday")],
        "month_days": month_days(post.get("month_days", "")),
        "week_of_month": WEEK_OF_MONTH[week],
    }


def group_fields(post: QueryDict) -> dict[str, Any]:
    """The settings a group form sends (the same form creates and edits)."""
    fields: dict[str, Any] = {
        "title": post.get("title", ""),
        "description": post.get("description", "").strip(),
        "language": post.get("language", "").strip(),
        "time_zone": post.get("time_zone", "").strip(),
        "duration_minutes": a_number(post.get("duration_minutes", ""), "Duration"),
        "max_attendees": a_number(post.get("max_attendees", ""), "Maximum attendees"),
        "doors_open_minutes": a_number(post.get("doors_open_minutes", ""), "Doors open"),
        "visibility": post.get("visibility", ""),
        "lobby_default": post.get("lobby_default") == "on",
        "muted_on_entry": post.get("muted_on_entry") == "on",
    }
    agreement = post.get("agreement", "").strip()
    if agreement:
        fields["agreement"] = agreement
    passcode = post.get("passcode", "")
    if passcode:
        fields["passcode"] = passcode
    return fields
