"""A schedule's dates, from dateutil's rrule, in the group's own time zone.

Rules are expanded in *local wall-clock time* and only then given the zone, so "Tuesdays at
18:00 in London" stays 18:00 across the clocks changing (17:00 or 18:00 UTC). Plain Python:
no database, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule  # type: ignore[import-untyped]

from groups.errors import GroupError

ONCE, WEEKLY, FORTNIGHTLY, MONTHLY = "once", "weekly", "fortnightly", "monthly"
FREQUENCIES = (ONCE, WEEKLY, FORTNIGHTLY, MONTHLY)
# One schedule expands to at most this many meetings (about four years of weekly meetings).
MAX_OCCURRENCES = 200
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKS_OF_MONTH = (1, 2, 3, 4, -1)


def zone(name: str) -> ZoneInfo:
    try:
        if not name or name != name.strip():
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise GroupError(
            "unknown_time_zone", f"“{name}” is not a time zone we know (try Europe/London)."
        ) from None


@dataclass(frozen=True)
class Rule:
    frequency: str
    start_date: date
    local_time: time
    time_zone: str
    until: date | None = None
    weekdays: tuple[int, ...] = ()
    month_days: tuple[int, ...] = ()
    week_of_month: int | None = None
    skipped: frozenset[date] = field(default_factory=frozenset)

    def check(self) -> None:
        """Raises GroupError for a rule that makes no sense; says nothing about its dates."""
        zone(self.time_zone)
        if self.frequency not in FREQUENCIES:
            raise GroupError("invalid_frequency", "Choose one-off, weekly, fortnightly or monthly.")
        if any(d not in range(7) for d in self.weekdays):
            raise GroupError("invalid_weekday", "Days of the week are 0 (Monday) to 6 (Sunday).")
        if any(d != -1 and d not in range(1, 32) for d in self.month_days):
            raise GroupError("invalid_month_day", "Days of the month are 1 to 31, or the last.")
        if self.week_of_month is not None and self.week_of_month not in WEEKS_OF_MONTH:
            raise GroupError("invalid_week", "The week of the month is 1st to 4th, or the last.")
        if self.frequency == ONCE:
            return
        if self.until is None:
            raise GroupError("needs_end_date", "A repeating schedule needs a last date.")
        if self.until < self.start_date:
            raise GroupError("end_before_start", "The last date is before the first.")
        if self.frequency in (WEEKLY, FORTNIGHTLY) and not self.weekdays:
            raise GroupError("needs_weekday", "Choose at least one day of the week.")
        if self.frequency == MONTHLY:
            by_weekday = bool(self.weekdays) and self.week_of_month is not None
            if bool(self.month_days) == by_weekday:
                raise GroupError(
                    "needs_month_days",
                    "Monthly: choose days of the month, or a week of the month and a weekday.",
                )

    def _rrule(self) -> rrule.rrule:
        start = datetime.combine(self.start_date, self.local_time)
        until = datetime.combine(self.until, time(23, 59, 59)) if self.until else None
        options: dict[str, Any] = {"dtstart": start, "until": until}
        if self.frequency == ONCE:
            return rrule.rrule(rrule.DAILY, count=1, dtstart=start)
        if self.frequency in (WEEKLY, FORTNIGHTLY):
            interval = 2 if self.frequency == FORTNIGHTLY else 1
            return rrule.rrule(rrule.WEEKLY, interval=interval, byweekday=self.weekdays, **options)
        if self.month_days:
            return rrule.rrule(rrule.MONTHLY, bymonthday=self.month_days, **options)
        days = [rrule.weekday(d)(self.week_of_month) for d in self.weekdays]
        return rrule.rrule(rrule.MONTHLY, byweekday=days, **options)

    def local_starts(self) -> list[datetime]:
        """Every start as a naive local time, skipped dates left out.

        Refuses a rule with no date at all and one with more than MAX_OCCURRENCES."""
        self.check()
        found = list(islice(self._rrule(), MAX_OCCURRENCES + 1))
        if len(found) > MAX_OCCURRENCES:
            raise GroupError(
                "too_many_dates",
                f"This schedule makes more than {MAX_OCCURRENCES} meetings; "
                "choose an earlier last date.",
            )
        starts = [d for d in found if d.date() not in self.skipped]
        if not starts:
            raise GroupError("no_dates", "This schedule gives no date: check its days and dates.")
        return starts

    def starts(self) -> list[datetime]:
        """Every start as an aware UTC datetime."""
        tz = zone(self.time_zone)
        return [aware(local, tz) for local in self.local_starts()]

    def ical_rrule(self) -> dict[str, Any] | None:
        """The RRULE as icalendar's vRecur wants it (None for a one-off)."""
        if self.frequency == ONCE:
            return None
        assert self.until is not None
        end = aware(datetime.combine(self.until, time(23, 59, 59)), zone(self.time_zone))
        rule: dict[str, Any] = {"FREQ": "WEEKLY" if self.frequency != MONTHLY else "MONTHLY"}
        if self.frequency == FORTNIGHTLY:
            rule["INTERVAL"] = 2
        if self.month_days:
            rule["BYMONTHDAY"] = list(self.month_days)
        elif self.frequency == MONTHLY:
            rule["BYDAY"] = [f"{self.week_of_month}{WEEKDAY_CODES[d]}" for d in self.weekdays]
        else:
            rule["BYDAY"] = [WEEKDAY_CODES[d] for d in self.weekdays]
        rule["UNTIL"] = end
        return rule


def aware(local: datetime, tz: ZoneInfo) -> datetime:
    """A wall-clock time in `tz` as UTC. A time the clocks skip (01:30 on the spring-forward
    night in London) is read with the offset from before the change, as calendars do."""
    return local.replace(tzinfo=tz).astimezone(UTC)


def end_of(start: datetime, minutes: int) -> datetime:
    return start + timedelta(minutes=minutes)
