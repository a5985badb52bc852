"""Writes for organisations and groups. Each is one transaction: a refusal changes nothing.

Every function is keyword-only, checks who is asking first (groups.permissions) and raises
GroupError with a stable code for anything it refuses; it never trims or guesses input
beyond surrounding whitespace.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from groups import permissions
from groups.errors import GroupError
from groups.hooks import peers_present
from groups.models import Group, Organisation, PasscodeFailure, Staff, SupportType
from groups.recurrence import zone

DEFAULT_SUPPORT_TYPES = (
    "Depression",
    "Anxiety",
    "Substance use",
    "Bereavement",
    "Chronic illness",
    "General",
    "Other",
)
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MIN_PASSCODE = 6
# Passcode guessing: per visitor, and per group from everyone (a spread-out guess).
PASSCODE_WINDOW = timedelta(minutes=15)
PASSCODE_TRIES_PER_CLIENT = 5
PASSCODE_TRIES_PER_GROUP = 50


def organisation_create(
    *,
    admin: User,
    name: str,
    description: str = "",
    crisis_resources: str = "",
    default_agreement: str = "",
) -> Organisation:
    name = name.strip()
    if not name:
        raise GroupError("invalid_name", "An organisation needs a name.")
    with transaction.atomic():
        org = Organisation.objects.create(
            name=name[:120],
            description=description.strip(),
            crisis_resources=crisis_resources.strip(),
            default_agreement=default_agreement.strip(),
        )
        Staff.objects.create(organisation=org, user=admin, role=Staff.Role.ADMIN)
        SupportType.objects.bulk_create(
            SupportType(organisation=org, name=n) for n in DEFAULT_SUPPORT_TYPES
        )
    return org


def organisation_update(
    *,
    actor: User,
    organisation: Organisation,
    name: str,
    description: str,
    crisis_resources: str,
    default_agreement: str,
) -> Organisation:
    permissions.require_admin(actor, organisation)
    name = name.strip()
    if not name or len(name) > 120:
        raise GroupError("invalid_name", "An organisation needs a name of at most 120 characters.")
    organisation.name = name
    organisation.description = description.strip()
    organisation.crisis_resources = crisis_resources.strip()
    organisation.default_agreement = default_agreement.strip()
    organisation.save()
    return organisation


def staff_set(
    *, actor: User, organisation: Organisation, user: User, role: str, verification: str = ""
) -> Staff:
    """Adds someone to the organisation or changes their role and verification (admins only)."""
    permissions.require_admin(actor, organisation)
    if role not in Staff.Role.values:
        raise GroupError("invalid_role", "The role is organisation admin or facilitator.")
    verification = verification.strip()
    if len(verification) > 120:
        raise GroupError("invalid_verification", "A verification is at most 120 characters.")
    if user.pk == actor.pk and role != Staff.Role.ADMIN:
        raise GroupError("last_admin", "You cannot remove your own admin role.")
    staff, _ = Staff.objects.update_or_create(
        organisation=organisation, user=user, defaults={"role": role, "verification": verification}
    )
    return staff


def staff_remove(*, actor: User, organisation: Organisation, user: User) -> None:
    """Takes someone off the organisation's staff (admins only): they can no longer run its
    groups or see its pages for staff. Someone still on a group's team stays until they are
    taken off it, so no group loses a facilitator as a side effect; nobody removes themselves,
    so the organisation keeps an admin."""
    permissions.require_admin(actor, organisation)
    if user.pk == actor.pk:
        raise GroupError("last_admin", "You cannot remove yourself from the staff.")
    staff = Staff.objects.filter(organisation=organisation, user=user).first()
    if staff is None:
        raise GroupError("not_staff", "That account is not on the staff.")
    teams = Group.objects.filter(organisation=organisation, facilitators=user).order_by("title")
    titles = list(teams.values_list("title", flat=True))
    if titles:
        raise GroupError(
            "still_facilitating",
            f"{user.username} still facilitates {', '.join(titles)}: "
            "take them off those teams first.",
        )
    staff.delete()


def support_type_add(*, actor: User, organisation: Organisation, name: str) -> SupportType:
    permissions.require_admin(actor, organisation)
    name = name.strip()
    if not name or len(name) > 60:
        raise GroupError("invalid_support_type", "A support type is 1 to 60 characters.")
    found, _ = SupportType.objects.get_or_create(organisation=organisation, name=name)
    return found


def _number(fields: dict[str, Any], name: str, low: int, high: int, label: str) -> None:
    if name not in fields:
        return
    value = fields[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise GroupError(f"invalid_{name}", f"{label} must be a whole number from {low} to {high}.")


def _clean(group: Group, fields: dict[str, Any]) -> dict[str, Any]:
    """Checks the fields a group may be given; returns them ready to set."""
    allowed = {
        "title", "support_type", "description", "language", "duration_minutes", "kind",
        "max_attendees", "lobby_default", "muted_on_entry", "agreement", "visibility",
        "time_zone", "doors_open_minutes",
    }  # fmt: skip
    unknown = set(fields) - allowed - {"passcode"}
    if unknown:
        raise GroupError("unknown_field", f"Unknown field: {', '.join(sorted(unknown))}.")
    out = {k: v for k, v in fields.items() if k != "passcode"}
    if "title" in out:
        out["title"] = str(out["title"]).strip()
        if not out["title"] or len(out["title"]) > 120:
            raise GroupError("invalid_title", "A group needs a title of at most 120 characters.")
    if "language" in out and not LANGUAGE_TAG.match(str(out["language"])):
        raise GroupError("invalid_language", "Give the language as a tag like en, fr or pt-BR.")
    if "time_zone" in out:
        zone(out["time_zone"])
    _number(out, "duration_minutes", 15, 480, "The duration in minutes")
    _number(out, "max_attendees", 1, 100, "The maximum number of attendees")
    _number(out, "doors_open_minutes", 0, 120, "Doors open (minutes before)")
    if "visibility" in out and out["visibility"] not in Group.Visibility.values:
        raise GroupError("invalid_visibility", "Choose listed, unlisted or private.")
    if "kind" in out and out["kind"] not in Group.Kind.values:
        raise GroupError("invalid_kind", "A group is a group or a one-to-one session.")
    support = out.get("support_type")
    if support is not None and support.organisation_id != group.organisation_id:
        raise GroupError("invalid_support_type", "That support type is not this organisation's.")
    for flag in ("lobby_default", "muted_on_entry"):
        if flag in out and not isinstance(out[flag], bool):
            raise GroupError(f"invalid_{flag}", f"{flag} is on or off.")
    passcode = fields.get("passcode")
    if passcode:
        if len(str(passcode)) < MIN_PASSCODE:
            raise GroupError(
                "weak_passcode", f"A passcode needs at least {MIN_PASSCODE} characters."
            )
        out["passcode_hash"] = make_password(str(passcode))
    visibility = out.get("visibility", group.visibility)
    if visibility == Group.Visibility.PRIVATE and not (
        out.get("passcode_hash") or group.passcode_hash
    ):
        raise GroupError("needs_passcode", "A private group needs a passcode.")
    if visibility != Group.Visibility.PRIVATE:
        out["passcode_hash"] = ""
    if out.get("kind", group.kind) == Group.Kind.ONE_TO_ONE:
        if out.get("max_attendees", group.max_attendees) != 1:
            raise GroupError("invalid_max_attendees", "A one-to-one session has one peer.")
        if visibility == Group.Visibility.LISTED:
            raise GroupError("invalid_visibility", "A one-to-one session is never listed.")
    return out


def _set_team(group: Group, facilitators: Iterable[User]) -> None:
    team = list(facilitators)
    if not team:
        raise GroupError("needs_facilitator", "A group needs at least one facilitator.")
    on_staff = set(
        Staff.objects.filter(
            organisation_id=group.organisation_id, user__in=[u.pk for u in team]
        ).values_list("user_id", flat=True)
    )
    if any(u.pk not in on_staff for u in team):
        raise GroupError("not_staff", "Every facilitator must be on the organisation's staff.")
    group.facilitators.set(team)


def group_create(
    *,
    actor: User,
    organisation: Organisation,
    facilitators: Iterable[User],
    **fields: Any,
) -> Group:
    """Creates a group with its facilitator team (organisation admins only)."""
    permissions.require_admin(actor, organisation)
    group = Group(organisation=organisation, created_by=actor)
    if fields.get("kind") == Group.Kind.ONE_TO_ONE:
        fields = {"max_attendees": 1, "visibility": Group.Visibility.UNLISTED, **fields}
    values = _clean(group, fields)
    if "agreement" not in values:
        values["agreement"] = organisation.default_agreement
    for name, value in values.items():
        setattr(group, name, value)
    with transaction.atomic():
        group.save()
        _set_team(group, facilitators)
    return group


def one_to_one_offer(
    *, actor: User, organisation: Organisation, title: str, time_zone: str, **fields: Any
) -> Group:
    """A facilitator offers a one-to-one session: a group of two (them and one peer), never
    listed, with its own links and lobby. Any staff member may offer one."""
    if not Staff.objects.filter(organisation=organisation, user_id=actor.pk).exists():
        raise GroupError("forbidden", "Only the organisation's staff can offer sessions.")
    group = Group(organisation=organisation, created_by=actor)
    values = _clean(
        group,
        {
            "kind": Group.Kind.ONE_TO_ONE,
            "max_attendees": 1,
            "visibility": Group.Visibility.UNLISTED,
            "title": title,
            "time_zone": time_zone,
            **fields,
        },
    )
    values.setdefault("agreement", organisation.default_agreement)
    for name, value in values.items():
        setattr(group, name, value)
    with transaction.atomic():
        group.save()
        group.facilitators.set([actor])
    return group


def group_update(*, actor: User, group: Group, **fields: Any) -> Group:
    """Changes a group's settings (its team or an admin). A maximum below the number of
    people in one of its meetings right now is refused, not applied later."""
    permissions.require_run(actor, group)
    values = _clean(group, fields)
    if "max_attendees" in values:
        live = group.occurrences.filter(meeting__ended_at__isnull=True).select_related("meeting")
        crowded = max((peers_present(o.meeting) for o in live), default=0)
        if values["max_attendees"] < crowded:
            raise GroupError(
                "max_below_attendance",
                f"{crowded} people are in one of this group's meetings now; "
                "the maximum cannot be lower than that.",
            )
    with transaction.atomic():
        for name, value in values.items():
            setattr(group, name, value)
        group.save()
        if "time_zone" in values:
            from groups.schedules import rematerialise

            for schedule in group.schedules.all():
                rematerialise(schedule)
    return group


def team_set(*, actor: User, group: Group, facilitators: Iterable[User]) -> None:
    permissions.require_admin(actor, group.organisation_id)
    with transaction.atomic():
        _set_team(group, facilitators)


def passcode_check(*, group: Group, passcode: str, client: str) -> bool:
    """True for the right passcode. Wrong guesses are counted per visitor (a hash of what
    identifies them, never kept in clear) and per group; too many and even the right
    passcode is refused for a while."""
    if group.visibility != Group.Visibility.PRIVATE:
        return True
    client_hash = hashlib.sha256(f"{group.pk}:{client}".encode()).hexdigest()
    since = timezone.now() - PASSCODE_WINDOW
    recent = PasscodeFailure.objects.filter(group=group, at__gte=since)
    PasscodeFailure.objects.filter(group=group, at__lt=since).delete()
    if (
        recent.filter(client_hash=client_hash).count() >= PASSCODE_TRIES_PER_CLIENT
        or recent.count() >= PASSCODE_TRIES_PER_GROUP
    ):
        raise GroupError(
            "too_many_attempts", "Too many wrong passcodes. Please wait 15 minutes and try again."
        )
    if passcode and check_password(passcode, group.passcode_hash):
        return True
    PasscodeFailure.objects.create(group=group, client_hash=client_hash)
    return False
