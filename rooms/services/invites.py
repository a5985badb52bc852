"""Invite links: made with a meeting, replaced or turned off by its owner, checked on use.

Only the owner's pages call these (meetings.views); the hash scheme is in rooms.models.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from rooms import state
from rooms.models import InviteLink, Meeting, invite_digest

ROLES = (InviteLink.Role.PEER, InviteLink.Role.COFACILITATOR)

# What a person holding an ended, expired or used link is told (code, message).
REFUSALS = {
    "link_replaced": "This link was replaced by a newer one. Ask your facilitator for the new link.",
    "link_turned_off": "This link has been turned off by the facilitator.",
    "link_expired": "This link has expired. Ask your facilitator for a new one.",
    "link_used": "This co-facilitator link has already been used. Ask the facilitator for a new one.",
}


def link_new(*, meeting: Meeting, role: str, expires_at: datetime | None = None) -> InviteLink:
    """Makes the meeting's new link for `role`; the one it replaces stops working at once."""
    if role not in ROLES:
        raise state.RoomError("invalid_role", "There is no such invite link.")
    if expires_at is not None and expires_at <= timezone.now():
        raise state.RoomError("invalid_expiry", "Choose an expiry in the future.")
    with transaction.atomic():
        _end(meeting, role, InviteLink.End.REPLACED)
        link = InviteLink(meeting=meeting, role=role, expires_at=expires_at)
        link.token_hash = invite_digest(link.derived_secret())
        link.save()
    return link


def link_turn_off(*, meeting: Meeting, role: str) -> None:
    if role not in ROLES:
        raise state.RoomError("invalid_role", "There is no such invite link.")
    _end(meeting, role, InviteLink.End.TURNED_OFF)


def _end(meeting: Meeting, role: str, end: str) -> None:
    InviteLink.objects.filter(meeting=meeting, role=role, ended_at__isnull=True).update(
        ended_at=timezone.now(), end=end
    )


def links_create(*, meeting: Meeting | None = None, meetings: Iterable[Meeting] = ()) -> None:
    """Gives a new meeting, or many made in bulk, their first peer and co-facilitator links."""
    links = []
    for made in [meeting] if meeting is not None else meetings:
        for role in ROLES:
            link = InviteLink(meeting=made, role=role)
            link.token_hash = invite_digest(link.derived_secret())
            links.append(link)
    InviteLink.objects.bulk_create(links)


def invite_find(*, secret: str) -> InviteLink:
    """The link this secret opens, or a RoomError saying why it no longer does."""
    link = (
        InviteLink.objects.filter(token_hash=invite_digest(secret))
        .select_related("meeting")
        .first()
    )
    if link is None:
        raise state.RoomError("not_found", "This invite link is not valid.")
    if link.ended_at is not None:
        code = "link_replaced" if link.end == InviteLink.End.REPLACED else "link_turned_off"
        raise state.RoomError(code, REFUSALS[code])
    if link.expires_at is not None and link.expires_at <= timezone.now():
        raise state.RoomError("link_expired", REFUSALS["link_expired"])
    if link.used_at is not None:
        raise state.RoomError("link_used", REFUSALS["link_used"])
    return link


def link_use(*, link: InviteLink) -> None:
    """A co-facilitator link admits one person: the first join takes it (inside the
    join's transaction, so two people racing cannot both get in)."""
    if link.role != InviteLink.Role.COFACILITATOR:
        return
    taken = InviteLink.objects.filter(id=link.id, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not taken:
        raise state.RoomError("link_used", REFUSALS["link_used"])
