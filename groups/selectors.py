"""Reads for the pages: the public directory, a group's page, who is on its team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from groups.models import Group, Occurrence, Staff
from rooms.models import Meeting

DIRECTORY_DAYS = 60
DIRECTORY_LIMIT = 100


def invite_path(meeting: Meeting) -> str:
    """The peer invite link of a group's meeting, on this site (the one place groups/ builds
    it: when invite secrets move into the URL's fragment, only this changes)."""
    secret = meeting.peer_invite  # "" when the team turned the link off
    # the secret in the fragment, like every invite link (meetings.views.invite_links)
    return f"{reverse('join_link')}#{secret}" if secret else ""


def invite_url(meeting: Meeting) -> str:
    path = invite_path(meeting)
    return settings.PUBLIC_BASE_URL.rstrip("/") + path if path else ""


def absolute(path: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def feed_key(group: Group) -> str:
    """The key in a private group's calendar address: a calendar app has no session to hold
    the passcode, so the address carries proof of it instead. It is derived from the
    passcode's hash, so changing the passcode turns every old address off."""
    return salted_hmac("groups.feed", f"{group.pk}:{group.passcode_hash}").hexdigest()[:32]


def feed_url(group: Group) -> str:
    path = f"/groups/{group.pk}/calendar.ics"
    if group.visibility == Group.Visibility.PRIVATE:
        path += f"?key={feed_key(group)}"
    return absolute(path)


def not_over(queryset: QuerySet[Occurrence]) -> QuerySet[Occurrence]:
    """Occurrences whose meeting has not ended and whose time has not run out."""
    now = timezone.now()
    return queryset.filter(meeting__ended_at__isnull=True).filter(
        starts_at__gte=now - timedelta(minutes=480)
    )


def directory(*, support_type: int | None = None, language: str = "") -> list[Occurrence]:
    """Upcoming meetings of listed groups only: never unlisted, private or one-to-one."""
    now = timezone.now()
    found = not_over(
        Occurrence.objects.filter(
            group__visibility=Group.Visibility.LISTED,
            group__kind=Group.Kind.GROUP,
            starts_at__lte=now + timedelta(days=DIRECTORY_DAYS),
        )
    ).select_related("group", "group__support_type", "group__organisation", "meeting")
    if support_type is not None:
        found = found.filter(group__support_type_id=support_type)
    if language:
        found = found.filter(group__language=language)
    return [o for o in found.order_by("starts_at")[: DIRECTORY_LIMIT * 2] if not _over(o, now)][
        :DIRECTORY_LIMIT
    ]


def _over(occurrence: Occurrence, now: datetime) -> bool:
    return occurrence.starts_at + timedelta(minutes=occurrence.group.duration_minutes) < now


def upcoming(group: Group, *, limit: int = 12) -> list[Occurrence]:
    now = timezone.now()
    found = not_over(group.occurrences.select_related("meeting")).order_by("starts_at")
    return [o for o in found[: limit * 2] if not _over(o, now)][:limit]


def directory_languages() -> list[str]:
    return sorted(
        set(
            Group.objects.filter(visibility=Group.Visibility.LISTED).values_list(
                "language", flat=True
            )
        )
    )


@dataclass(frozen=True)
class TeamMember:
    name: str
    verification: str


def team(group: Group) -> list[TeamMember]:
    """The facilitators as a peer sees them: a name and what the organisation verified."""
    rows = (
        Staff.objects.filter(
            organisation_id=group.organisation_id, user__in=group.facilitators.all()
        )
        .annotate(username=F("user__username"), first=F("user__first_name"))
        .order_by("user__first_name", "user__username")
    )
    return [TeamMember(r.first or r.username, r.verification) for r in rows]


def doors_open(occurrence: Occurrence) -> datetime:
    return occurrence.starts_at - timedelta(minutes=occurrence.group.doors_open_minutes)


def groups_run_by(user_id: int) -> QuerySet[Group]:
    """The groups whose team this user is on, or of which they are an organisation admin."""
    admin_of = Staff.objects.filter(user_id=user_id, role=Staff.Role.ADMIN).values(
        "organisation_id"
    )
    return (
        Group.objects.filter(facilitators=user_id) | Group.objects.filter(organisation__in=admin_of)
    ).distinct()
