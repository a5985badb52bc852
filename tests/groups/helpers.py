"""Builders for groups tests, through the same services the pages use."""

from __future__ import annotations

import itertools
from datetime import date, time

from groups import schedules, services
from groups.models import Group, Organisation, Staff
from tests.factories import make_facilitator_user

_counter = itertools.count()


def make_org(admin=None) -> tuple[Organisation, object]:
    admin = admin or make_facilitator_user(f"admin{next(_counter)}")
    org = services.organisation_create(
        admin=admin,
        name="Riverside Peer Support",
        crisis_resources="Samaritans: 116 123",
        default_agreement="What is said here stays here.",
    )
    return org, admin


def make_staff(org, admin, name=None, verification=""):
    user = make_facilitator_user(name or f"fac{next(_counter)}")
    services.staff_set(
        actor=admin,
        organisation=org,
        user=user,
        role=Staff.Role.FACILITATOR,
        verification=verification,
    )
    return user


def make_group(org, admin, team, **fields) -> Group:
    defaults = {"title": "Tuesday anxiety circle", "time_zone": "Europe/London"}
    return services.group_create(
        actor=admin, organisation=org, facilitators=team, **{**defaults, **fields}
    )


def weekly(group, actor, *, start=date(2030, 3, 5), until=date(2030, 4, 30), weekdays=(1,)):
    return schedules.schedule_add(
        actor=actor,
        group=group,
        frequency="weekly",
        start_date=start,
        local_time=time(18, 0),
        until=until,
        weekdays=list(weekdays),
    )
