"""Builders for test data, going through the same services the product uses."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model

from rooms.models import Meeting, Participant
from rooms.services import meetings as services

_counter = itertools.count()


def make_facilitator_user(username: str | None = None):
    username = username or f"facilitator{next(_counter)}"
    return get_user_model().objects.create_user(username=username, password="peer-support")


def make_meeting(
    *, lobby_enabled: bool = True, title: str = "Evening circle", muted_on_entry: bool = False
) -> Meeting:
    """Peers come in unmuted here unless asked (the product's default is muted on entry,
    tested in tests/rooms/test_agreement.py and tests/signaling/test_agreement.py)."""
    return services.meeting_create(
        owner=make_facilitator_user(),
        title=title,
        lobby_enabled=lobby_enabled,
        muted_on_entry=muted_on_entry,
    )


def make_participant(
    meeting: Meeting, name: str, *, role: str = "peer", media: str = "camera_mic"
) -> tuple[Participant, str]:
    return services.participant_create(
        meeting=meeting, display_name=name, media=media, role=role, agreement_accepted=True
    )
