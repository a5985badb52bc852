"""The group agreement and muted on entry through the services, with the database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from groups import schedules
from rooms import agreement, state
from rooms.models import Participant
from rooms.services import agreement as agreement_services
from rooms.services import meetings as meeting_services
from rooms.services import retention
from tests.factories import make_facilitator_user, make_meeting, make_participant
from tests.groups.helpers import make_group, make_org, make_staff

pytestmark = pytest.mark.django_db


def test_a_join_without_accepting_the_agreement_creates_nobody():
    meeting = make_meeting(lobby_enabled=False)
    for answer in (False, "true", 1):
        with pytest.raises(state.RoomError) as refused:
            meeting_services.participant_create(
                meeting=meeting, display_name="Calm Heron", media="text_only", role="peer",
                agreement_accepted=answer,
            )  # fmt: skip
        assert refused.value.code == "agreement_required"
    assert not Participant.objects.filter(meeting=meeting).exists()


def test_acceptance_is_kept_on_the_participant_and_the_facilitator_is_not_asked():
    meeting = make_meeting()
    before = timezone.now()
    heron, _ = make_participant(meeting, "Calm Heron")
    assert heron.agreement_accepted_at is not None and heron.agreement_accepted_at >= before
    fern, _ = meeting_services.participant_create(
        meeting=meeting, display_name="Fern", media="text_only", role="facilitator"
    )
    assert fern.agreement_accepted_at is None


def test_a_new_meeting_has_peers_join_muted_and_facilitators_unmuted():
    meeting = meeting_services.meeting_create(
        owner=make_facilitator_user(), title="Circle", lobby_enabled=False
    )
    assert meeting.muted_on_entry
    heron, _ = make_participant(meeting, "Calm Heron")
    fern, _ = make_participant(meeting, "Fern", role="facilitator")
    assert heron.muted_by == state.BY_SELF and fern.muted_by is None


def test_a_peer_from_the_lobby_is_muted_when_admitted_not_before():
    meeting = make_meeting(lobby_enabled=True, muted_on_entry=True)
    fern, _ = make_participant(meeting, "Fern", role="facilitator")
    heron, _ = make_participant(meeting, "Calm Heron")
    assert heron.muted_by is None  # waiting: nothing to mute yet
    from rooms.services import participants

    participants.lobby_admit(
        meeting_id=str(meeting.id), actor_id=str(fern.id), target_id=str(heron.id)
    )
    heron.refresh_from_db()
    assert heron.muted_by == state.BY_SELF


def test_the_agreement_is_the_meetings_own_else_the_default():
    meeting = make_meeting()
    assert agreement_services.agreement_text(meeting=meeting) == agreement.DEFAULT_AGREEMENT
    meeting_services.meeting_update(
        meeting=meeting, title=meeting.title, starts_at=None, lobby_enabled=True,
        agreement_text="Cameras optional.\nNo advice unless asked.",
    )  # fmt: skip
    meeting.refresh_from_db()
    assert agreement_services.agreement_text(meeting=meeting).startswith("Cameras optional.")


def test_saving_the_default_unchanged_keeps_following_the_default():
    meeting = make_meeting()
    meeting_services.meeting_update(
        meeting=meeting, title=meeting.title, starts_at=None, lobby_enabled=True,
        agreement_text=agreement.DEFAULT_AGREEMENT + "\n",
    )  # fmt: skip
    meeting.refresh_from_db()
    assert meeting.agreement == ""


def test_a_groups_meeting_uses_the_groups_agreement_and_muted_setting():
    org, admin = make_org()
    fac = make_staff(org, admin)
    group = make_group(org, admin, [fac], agreement="Group rules: be gentle.", muted_on_entry=False)
    meeting = schedules.start_now(actor=fac, group=group).meeting
    assert agreement_services.agreement_text(meeting=meeting) == "Group rules: be gentle."
    assert meeting.muted_on_entry is False
    muted_group = make_group(org, admin, [fac], title="Other", muted_on_entry=True, agreement="")
    other = schedules.start_now(actor=fac, group=muted_group).meeting
    # the group has none of its own: its organisation's default agreement
    assert agreement_services.agreement_text(meeting=other) == "What is said here stays here."
    assert other.muted_on_entry is True


def test_showing_the_agreement_sends_the_meetings_text_to_everyone():
    meeting = make_meeting()
    meeting_services.meeting_update(
        meeting=meeting, title=meeting.title, starts_at=None, lobby_enabled=True,
        agreement_text="Be kind.",
    )  # fmt: skip
    fern, _ = make_participant(meeting, "Fern", role="facilitator")
    outcome = agreement_services.agreement_show(meeting_id=str(meeting.id), actor_id=str(fern.id))
    (shown,) = outcome.events
    assert shown.type == "agreement.shown" and shown.data["text"] == "Be kind."


def test_the_purge_removes_when_someone_accepted():
    meeting = make_meeting()
    make_participant(meeting, "Calm Heron")
    meeting.ended_at = timezone.now() - timedelta(days=40)
    meeting.save(update_fields=["ended_at"])
    retention.purge(now=timezone.now(), retention_days=30)
    assert list(
        Participant.objects.filter(meeting=meeting).values_list("agreement_accepted_at", flat=True)
    ) == [None]
