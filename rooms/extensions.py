"""Where another app may widen or narrow what a meeting allows, without rooms importing it.

rooms/ knows meetings; an app that organises meetings (groups/: a facilitator team, a maximum
number of attendees, doors that open before the start) registers its rules here when Django
starts (its AppConfig.ready). rooms calls them; it never imports that app, so there is no cycle.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet

from rooms.errors import RoomError
from rooms.models import Meeting

# (meeting, user id) -> True when this user may open and run the meeting like its owner.
FacilitatorGrant = Callable[[Meeting, int], bool]
# (meeting, role joining) -> None, or raises RoomError to refuse the join.
JoinCheck = Callable[[Meeting, str], None]

# (meeting) -> the agreement of what the meeting belongs to (its group's), or None.
AgreementDefault = Callable[[Meeting], str | None]
# (meeting) -> the display names of the people who run it, or None to use the owner's.
HostsOf = Callable[[Meeting], list[str] | None]

facilitator_grants: list[FacilitatorGrant] = []
join_checks: list[JoinCheck] = []
agreement_defaults: list[AgreementDefault] = []
hosts_providers: list[HostsOf] = []


def user_facilitates(meeting: Meeting, user_id: int | None) -> bool:
    """The owner, or anyone a registered grant lets in (a group's facilitator team)."""
    if user_id is None:
        return False
    if meeting.owner_id == user_id:
        return True
    return any(grant(meeting, user_id) for grant in facilitator_grants)


def check_join(meeting: Meeting, role: str) -> None:
    for check in join_checks:
        check(meeting, role)


def agreement_default(meeting: Meeting) -> str | None:
    """The agreement a meeting falls back to when it has none of its own (its group's)."""
    for provider in agreement_defaults:
        found = provider(meeting)
        if found:
            return found
    return None


def hosts(meeting: Meeting) -> list[str] | None:
    for provider in hosts_providers:
        found = provider(meeting)
        if found:
            return found
    return None


# Features a meeting may do without (a one-to-one session has no breakouts, and an
# anonymous answer there could only be the one person's).
BREAKOUTS = "breakouts"
ANONYMOUS_CHECKINS = "anonymous_checkins"
# (meeting, feature) -> the sentence that refuses it, or None when the meeting allows it.
FeatureCheck = Callable[[Meeting, str], str | None]
feature_checks: list[FeatureCheck] = []
# (meeting) -> the meetings of its group (itself included), or None when it has no group.
GroupOf = Callable[[Meeting], QuerySet[Meeting] | None]
group_providers: list[GroupOf] = []


def refuse_without(meeting_id: str, feature: str, code: str) -> None:
    """Raises RoomError(code) when a registered check says this meeting does without it."""
    if not feature_checks:
        return
    meeting = Meeting.objects.filter(pk=meeting_id).first()
    if meeting is None:
        return
    for check in feature_checks:
        reason = check(meeting, feature)
        if reason:
            raise RoomError(code, reason)


def group_of(meeting: Meeting) -> QuerySet[Meeting] | None:
    for provider in group_providers:
        found = provider(meeting)
        if found is not None:
            return found
    return None
