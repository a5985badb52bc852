"""What an organisation keeps about its groups: who runs them, when they meet, who may see them.

A `Group` is the lasting thing (the Tuesday anxiety circle); each `Occurrence` is one date of
it and owns one rooms.Meeting, created ahead of time with its own invite link. The link from
occurrence to meeting lives here (a one-to-one field on `Occurrence`), so rooms/ keeps no
knowledge of groups and needs no migration for them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Organisation(models.Model):
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, default="")
    crisis_resources = models.TextField(blank=True, default="")
    default_agreement = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Staff(models.Model):
    """A signed-in account's place in an organisation, and what the organisation verified."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Organisation admin"
        FACILITATOR = "facilitator", "Facilitator"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_staff"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.FACILITATOR)
    # Set only by an organisation admin: what the "verified" badge means for this person,
    # e.g. "Certified peer specialist". Empty = not verified.
    verification = models.CharField(max_length=120, blank=True, default="")
    bio = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="one_staff_row_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class SupportType(models.Model):
    """The editable list of what a group is about (depression, anxiety, bereavement...)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="support_types"
    )
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="support_type_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Group(models.Model):
    class Visibility(models.TextChoices):
        LISTED = "listed", "Listed in the directory"
        UNLISTED = "unlisted", "Unlisted (anyone with the link)"
        PRIVATE = "private", "Private (passcode)"

    class Kind(models.TextChoices):
        GROUP = "group", "Group"
        ONE_TO_ONE = "one_to_one", "One-to-one session"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="groups")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.GROUP)
    title = models.CharField(max_length=120)
    support_type = models.ForeignKey(
        SupportType, null=True, blank=True, on_delete=models.SET_NULL, related_name="groups"
    )
    description = models.TextField(blank=True, default="")
    language = models.CharField(max_length=35, default="en")  # a BCP 47 tag
    duration_minutes = models.PositiveIntegerField(default=60)
    max_attendees = models.PositiveIntegerField(default=12)  # peers; facilitators come on top
    lobby_default = models.BooleanField(default=True)
    muted_on_entry = models.BooleanField(default=False)
    agreement = models.TextField(blank=True, default="")
    visibility = models.CharField(max_length=16, choices=Visibility.choices, default="listed")
    # Django's password hasher (salted, slow); never the passcode itself.
    passcode_hash = models.CharField(max_length=200, blank=True, default="")
    time_zone = models.CharField(max_length=64, default="UTC")
    doors_open_minutes = models.PositiveIntegerField(default=10)
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="facilitated_groups", blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="groups_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.title


class Schedule(models.Model):
    """A recurrence in the group's own time zone (wall-clock time, so 18:00 stays 18:00)."""

    class Frequency(models.TextChoices):
        ONCE = "once", "One-off"
        WEEKLY = "weekly", "Weekly"
        FORTNIGHTLY = "fortnightly", "Every two weeks"
        MONTHLY = "monthly", "Monthly"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="schedules")
    frequency = models.CharField(max_length=16, choices=Frequency.choices)
    # Weekly / fortnightly / monthly-by-weekday: 0 = Monday ... 6 = Sunday.
    weekdays = models.JSONField(default=list)
    # Monthly: days of the month (1..31, -1 = the last day) ...
    month_days = models.JSONField(default=list)
    # ... or, with weekdays, which week of the month (1..4, -1 = the last).
    week_of_month = models.SmallIntegerField(null=True, blank=True)
    start_date = models.DateField()
    local_time = models.TimeField()
    until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class ScheduleException(models.Model):
    """One date of a schedule skipped, or moved to another time."""

    class Action(models.TextChoices):
        SKIP = "skip"
        MOVE = "move"

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="exceptions")
    original_date = models.DateField()  # the date the rule gives, in the group's time zone
    action = models.CharField(max_length=8, choices=Action.choices)
    moved_to = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "original_date"], name="one_exception_per_date"
            )
        ]


class Occurrence(models.Model):
    """One meeting of a group: scheduled (from a rule, maybe moved) or started ad hoc."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="occurrences")
    schedule = models.ForeignKey(
        Schedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="occurrences"
    )
    # The start the rule gave (the RECURRENCE-ID of a moved date); null for ad hoc meetings.
    original_start = models.DateTimeField(null=True, blank=True)
    starts_at = models.DateTimeField()
    meeting = models.OneToOneField(
        "rooms.Meeting", on_delete=models.CASCADE, related_name="occurrence"
    )

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["group", "starts_at"])]


class PasscodeFailure(models.Model):
    """A wrong passcode, kept only long enough to throttle guessing (no address, a hash)."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="passcode_failures")
    client_hash = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["group", "at"])]
