"""Who may do what with a group. Every service starts with one of these checks.

A facilitator sees, opens, edits and reports on only the groups whose team they are on;
an organisation admin may do all of that for every group of their organisation.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from groups.errors import GroupError
from groups.models import Group, Organisation, Staff

AnyUser = User | AnonymousUser


def is_admin(user: AnyUser, organisation: Organisation | int) -> bool:
    if not user.is_authenticated:
        return False
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    return Staff.objects.filter(
        organisation_id=org_id, user_id=user.pk, role=Staff.Role.ADMIN
    ).exists()


def on_team(user: AnyUser, group: Group) -> bool:
    if not user.is_authenticated:
        return False
    return group.facilitators.filter(pk=user.pk).exists()


def may_run(user: AnyUser, group: Group) -> bool:
    """Open and run the group's meetings, edit its schedule, see its reports."""
    return on_team(user, group) or is_admin(user, group.organisation_id)


def require_admin(user: AnyUser, organisation: Organisation | int) -> None:
    if not is_admin(user, organisation):
        raise GroupError("forbidden", "Only an organisation admin can do that.")


def require_run(user: AnyUser, group: Group) -> None:
    if not may_run(user, group):
        raise GroupError("forbidden", "Only this group's facilitators can do that.")
