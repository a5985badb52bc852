"""The rules groups/ adds to rooms' meetings, registered in rooms.extensions at start-up.

- The group's facilitator team (and its organisation's admins) may open and run any of its
  meetings as if they owned it: co-facilitation without passing a link around.
- Peers are refused before the doors open and once the group's maximum is reached.
- A group's meeting uses the group's agreement unless it has its own, and names the group's
  facilitator team as who runs it. (Muted on entry is copied from the group onto each
  meeting when it is made, groups/schedules.py: the facilitator may change it per meeting.)
- A one-to-one session has no breakout rooms and no anonymous check-ins (an anonymous answer
  there could only be the one person's).
- A meeting's group, for the mood trend, is the group it was scheduled for.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from groups.models import Group, Occurrence, Staff
from groups.recurrence import zone
from groups.selectors import team
from rooms import extensions
from rooms.errors import RoomError
from rooms.models import Meeting, Participant
from rooms.persistence import GONE

FACILITATING = ("facilitator", "cofacilitator")


def _occurrence(meeting: Meeting) -> Occurrence | None:
    return Occurrence.objects.select_related("group").filter(meeting_id=meeting.pk).first()


def team_grant(meeting: Meeting, user_id: int) -> bool:
    found = _occurrence(meeting)
    if found is None:
        return False
    group: Group = found.group
    if group.facilitators.filter(pk=user_id).exists():
        return True
    return Staff.objects.filter(
        organisation_id=group.organisation_id, user_id=user_id, role=Staff.Role.ADMIN
    ).exists()


def peers_present(meeting: Meeting) -> int:
    return (
        Participant.objects.filter(meeting_id=meeting.pk, role=Participant.Role.PEER)
        .exclude(status__in=GONE)
        .count()
    )


def group_join_check(meeting: Meeting, role: str) -> None:
    if role in FACILITATING:
        return
    found = _occurrence(meeting)
    if found is None:
        return
    group = found.group
    opens = found.starts_at - timedelta(minutes=group.doors_open_minutes)
    if timezone.now() < opens:
        local = opens.astimezone(zone(group.time_zone))
        raise RoomError(
            "not_open_yet",
            f"This meeting opens at {local:%H:%M} on {local:%A %-d %B} ({group.time_zone}).",
        )
    # Joins of one meeting queue here (the caller's transaction holds the lock until the
    # participant exists), so two people cannot both take the last place.
    list(Meeting.objects.select_for_update().filter(pk=meeting.pk).values_list("pk"))
    if peers_present(meeting) >= group.max_attendees:
        raise RoomError(
            "meeting_full",
            f"This meeting is full ({group.max_attendees} people). Please try another time.",
        )


def group_agreement(meeting: Meeting) -> str | None:
    """A group's meeting without an agreement of its own uses the group's (or, when the
    group has none, its organisation's default)."""
    found = _occurrence(meeting)
    if found is None:
        return None
    group = found.group
    return group.agreement or group.organisation.default_agreement or None


def group_hosts(meeting: Meeting) -> list[str] | None:
    """Who runs a group's meeting, as its peers see them: the group's facilitator team."""
    found = _occurrence(meeting)
    if found is None:
        return None
    return [member.name for member in team(found.group)] or None


ONE_TO_ONE_REFUSALS = {
    extensions.BREAKOUTS: "Breakout rooms are not used in one-to-one sessions.",
    extensions.ANONYMOUS_CHECKINS: (
        "In a one-to-one session an answer cannot be anonymous: ask by name instead."
    ),
}


def one_to_one_features(meeting: Meeting, feature: str) -> str | None:
    found = _occurrence(meeting)
    if found is None or found.group.kind != Group.Kind.ONE_TO_ONE:
        return None
    return ONE_TO_ONE_REFUSALS.get(feature)


def group_meetings(meeting: Meeting) -> QuerySet[Meeting] | None:
    found = Occurrence.objects.filter(meeting_id=meeting.pk).values_list("group_id", flat=True)
    group_id = found.first()
    if group_id is None:
        return None
    return Meeting.objects.filter(occurrence__group_id=group_id)


def register() -> None:
    if group_agreement not in extensions.agreement_defaults:
        extensions.agreement_defaults.append(group_agreement)
    if group_hosts not in extensions.hosts_providers:
        extensions.hosts_providers.append(group_hosts)
    if one_to_one_features not in extensions.feature_checks:
        extensions.feature_checks.append(one_to_one_features)
    if group_meetings not in extensions.group_providers:
        extensions.group_providers.append(group_meetings)
    if team_grant not in extensions.facilitator_grants:
        extensions.facilitator_grants.append(team_grant)
    if group_join_check not in extensions.join_checks:
        extensions.join_checks.append(group_join_check)
