"""Creating meetings and participants (the pages' use-cases; the socket never creates)."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from rooms import agreement, extensions, state
from rooms.models import InviteLink, Meeting, Participant
from rooms.names import clean_label
from rooms.selectors.meetings import device_banned, device_digest, token_digest
from rooms.services.invites import link_use, links_create

MAX_NAME_CHARS = 40
MAX_TITLE_CHARS = 120


def meeting_create(
    *,
    owner: User,
    title: str,
    starts_at: datetime | None = None,
    lobby_enabled: bool = True,
    muted_on_entry: bool = True,
    agreement_text: str = "",
) -> Meeting:
    title = _clean_title(title)
    own_agreement = agreement.clean(agreement_text)
    with transaction.atomic():
        meeting = Meeting.objects.create(
            owner=owner,
            title=title,
            starts_at=starts_at,
            lobby_enabled=lobby_enabled,
            muted_on_entry=muted_on_entry,
            agreement=own_agreement,
        )
        links_create(meetings=[meeting])
    return meeting


def _clean_title(title: str) -> str:
    return clean_label(
        title,
        what="meeting title",
        code="invalid_title",
        max_chars=MAX_TITLE_CHARS,
        when_empty="A meeting needs a title.",
    )


def meeting_update(
    *,
    meeting: Meeting,
    title: str,
    starts_at: datetime | None,
    lobby_enabled: bool,
    muted_on_entry: bool | None = None,
    agreement_text: str | None = None,
) -> Meeting:
    """The owner's edit from the meetings page; an ended meeting stays as it ended.

    `muted_on_entry` and `agreement_text` left None stay as they are; an empty agreement
    means the group's (or the default)."""
    title = _clean_title(title)
    changes: dict[str, object] = {
        "title": title,
        "starts_at": starts_at,
        "lobby_enabled": lobby_enabled,
    }
    if muted_on_entry is not None:
        changes["muted_on_entry"] = muted_on_entry
    if agreement_text is not None:
        own = agreement.clean(agreement_text)
        # The default itself, unchanged, stays "the default": a later edit of the group's
        # agreement still reaches this meeting.
        default = agreement.effective("", extensions.agreement_default(meeting))
        changes["agreement"] = "" if own == default else own
    updated = Meeting.objects.filter(id=meeting.id, ended_at__isnull=True).update(**changes)
    if not updated:
        raise state.RoomError("meeting_ended", "This meeting has ended.")
    meeting.refresh_from_db()
    return meeting


def clean_display_name(name: str) -> str:
    return clean_label(name, what="display name", code="invalid_name", max_chars=MAX_NAME_CHARS)


def participant_create(
    *,
    meeting: Meeting,
    display_name: str,
    media: str,
    role: str,
    device: str = "",
    link: InviteLink | None = None,
    agreement_accepted: object = False,
    knock: bool = False,
) -> tuple[Participant, str]:
    """Creates a participant and returns it with its bearer token (shown once, stored hashed).

    `device` is a random value the browser keeps in a cookie (see meetings.views.api_join):
    someone removed with "may not rejoin" is refused when they come back from the same
    browser. A pseudonymous join cannot be banned for certain: another browser, a private
    window or cleared cookies get through.

    Someone who comes with a co-facilitator `link` waits in the lobby until the meeting's
    owner confirms them (rooms.state.MeetingState.admit), whatever the lobby setting; the
    link is used up by this join.

    Everyone but the meeting's facilitator must have accepted the group agreement
    (`agreement_accepted` exactly True); the moment is kept on their row. A peer who goes
    straight into the room starts muted when the meeting says so (from the lobby: on admit).
    """
    if meeting.ended_at is not None:
        raise state.RoomError("meeting_ended", "This meeting has ended.")
    # A locked meeting takes no new peers; with `knock` a latecomer asks to be let in and
    # waits in the lobby, marked, whatever the lobby setting: a facilitator decides.
    latecomer = meeting.locked and role == state.PEER
    if latecomer and not knock:
        raise state.RoomError(
            "meeting_locked", "This meeting is not taking new participants right now."
        )
    device_hash = device_digest(salt=meeting.device_salt, device=device) if device else ""
    if device_banned(meeting_id=str(meeting.id), device_hash=device_hash):
        raise state.RoomError("banned", "A facilitator has asked that you not rejoin this meeting.")
    if media not in Participant.Media.values:
        raise state.RoomError("invalid_media", "Choose camera & microphone or text only.")
    name = clean_display_name(display_name)
    agreement.require_accepted(role, agreement_accepted)
    invited_cofacilitator = link is not None and link.role == InviteLink.Role.COFACILITATOR
    skips_lobby = not invited_cofacilitator and (
        role in state.FACILITATING_ROLES or not (meeting.lobby_enabled or latecomer)
    )
    token = secrets.token_urlsafe(32)
    facilitates = skips_lobby and role in state.FACILITATING_ROLES
    with transaction.atomic():
        extensions.check_join(meeting, role)  # inside: a check may lock the meeting row
        if link is not None:
            link_use(link=link)
        participant = Participant.objects.create(
            meeting=meeting,
            display_name=name,
            role=role,
            media=media,
            status=Participant.Status.ADMITTED if skips_lobby else Participant.Status.LOBBY,
            token_hash=token_digest(token),
            device_hash=device_hash,
            muted_by=state.BY_SELF
            if skips_lobby and agreement.starts_muted(meeting.muted_on_entry, role)
            else None,
            facilitates_since=timezone.now() if facilitates else None,
            agreement_accepted_at=timezone.now() if agreement_accepted is True else None,
            latecomer=latecomer,
        )
    return participant, token
