"""Schedule dates from rrule in the group's time zone: DST changes, month ends, bad rules."""

from datetime import date, time

import pytest

from groups.errors import GroupError
from groups.recurrence import MAX_OCCURRENCES, Rule


def utc(rule: Rule) -> list[str]:
    return [s.strftime("%Y-%m-%d %H:%M") for s in rule.starts()]


def test_weekly_in_london_keeps_local_time_across_the_spring_change():
    # Clocks go forward on Sunday 29 March 2026: 18:00 is 18:00 GMT, then 17:00 UTC.
    rule = Rule("weekly", date(2026, 3, 17), time(18), "Europe/London", date(2026, 4, 7), (1,))
    assert utc(rule) == [
        "2026-03-17 18:00",
        "2026-03-24 18:00",
        "2026-03-31 17:00",
        "2026-04-07 17:00",
    ]


def test_weekly_in_new_york_across_the_autumn_change():
    # Clocks go back on Sunday 1 November 2026: 18:00 EDT is 22:00 UTC, EST 23:00 UTC.
    rule = Rule(
        "weekly", date(2026, 10, 26), time(18), "America/New_York", date(2026, 11, 6), (0, 4)
    )
    assert utc(rule) == [
        "2026-10-26 22:00",
        "2026-10-30 22:00",
        "2026-11-02 23:00",
        "2026-11-06 23:00",
    ]


def test_a_time_the_clocks_skip_is_read_before_the_change():
    rule = Rule("once", date(2026, 3, 29), time(1, 30), "Europe/London")
    assert utc(rule) == ["2026-03-29 01:30"]


def test_fortnightly_skips_every_other_week():
    rule = Rule(
        "fortnightly", date(2026, 6, 2), time(9, 30), "Europe/London", date(2026, 7, 1), (1,)
    )
    assert utc(rule) == ["2026-06-02 08:30", "2026-06-16 08:30", "2026-06-30 08:30"]


def test_monthly_on_the_31st_has_no_meeting_in_shorter_months():
    rule = Rule(
        "monthly", date(2026, 1, 1), time(18), "Europe/London", date(2026, 5, 31), month_days=(31,)
    )
    assert [s[:10] for s in utc(rule)] == ["2026-01-31", "2026-03-31", "2026-05-31"]


def test_monthly_on_the_last_day_follows_each_month_end():
    rule = Rule(
        "monthly", date(2028, 1, 1), time(18), "Europe/London", date(2028, 4, 30), month_days=(-1,)
    )
    assert [s[:10] for s in utc(rule)] == ["2028-01-31", "2028-02-29", "2028-03-31", "2028-04-30"]


def test_monthly_on_the_first_tuesday_and_weekly_across_a_month_end():
    first = Rule(
        "monthly",
        date(2026, 1, 1),
        time(18),
        "Europe/London",
        date(2026, 3, 31),
        weekdays=(1,),
        week_of_month=1,
    )
    assert [s[:10] for s in utc(first)] == ["2026-01-06", "2026-02-03", "2026-03-03"]
    weekly = Rule("weekly", date(2026, 1, 26), time(18), "Europe/London", date(2026, 2, 10), (4,))
    assert [s[:10] for s in utc(weekly)] == ["2026-01-30", "2026-02-06"]


def test_skipped_dates_are_left_out():
    rule = Rule(
        "weekly",
        date(2026, 3, 3),
        time(18),
        "Europe/London",
        date(2026, 3, 17),
        (1,),
        skipped=frozenset({date(2026, 3, 10)}),
    )
    assert [s[:10] for s in utc(rule)] == ["2026-03-03", "2026-03-17"]


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        (Rule("weekly", date(2026, 3, 3), time(18), "Mars/Olympus", date(2026, 4, 1), (1,)),
         "unknown_time_zone"),
        (Rule("weekly", date(2026, 3, 3), time(18), "", date(2026, 4, 1), (1,)),
         "unknown_time_zone"),
        # Monday 2 to Sunday 1: no Tuesday in between.
        (Rule("weekly", date(2026, 3, 2), time(18), "UTC", date(2026, 3, 2), (1,)), "no_dates"),
        (Rule("monthly", date(2026, 2, 1), time(18), "UTC", date(2026, 2, 28), month_days=(30,)),
         "no_dates"),
        (Rule("weekly", date(2026, 1, 1), time(18), "UTC", date(2036, 1, 1), tuple(range(7))),
         "too_many_dates"),
        (Rule("weekly", date(2026, 3, 3), time(18), "UTC", None, (1,)), "needs_end_date"),
        (Rule("weekly", date(2026, 3, 3), time(18), "UTC", date(2026, 3, 1), (1,)),
         "end_before_start"),
        (Rule("weekly", date(2026, 3, 3), time(18), "UTC", date(2026, 4, 1), ()), "needs_weekday"),
        (Rule("weekly", date(2026, 3, 3), time(18), "UTC", date(2026, 4, 1), (7,)),
         "invalid_weekday"),
        (Rule("monthly", date(2026, 3, 3), time(18), "UTC", date(2026, 5, 1)), "needs_month_days"),
        (Rule("daily", date(2026, 3, 3), time(18), "UTC", date(2026, 5, 1)), "invalid_frequency"),
    ],
)  # fmt: skip
def test_bad_rules_are_refused_with_a_clear_code(rule, code):
    with pytest.raises(GroupError) as refused:
        rule.starts()
    assert refused.value.code == code
    assert refused.value.message


def test_the_limit_is_exactly_the_maximum():
    # 200 Tuesdays are accepted; one more is refused.
    start = date(2026, 1, 6)
    ok = Rule("weekly", start, time(18), "UTC", date(2029, 10, 30), (1,))
    assert len(ok.starts()) == MAX_OCCURRENCES
    over = Rule("weekly", start, time(18), "UTC", date(2029, 11, 6), (1,))
    with pytest.raises(GroupError, match="more than 200"):
        over.starts()
