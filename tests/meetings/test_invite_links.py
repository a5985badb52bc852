"""Invite links through their whole life: hashed, replaced, expiring, turned off, single-use."""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.utils import timezone

from rooms import state
from rooms.models import InviteLink, Meeting, Participant
from rooms.services import participants
from tests.factories import make_facilitator_user, make_meeting, make_participant

pytestmark = pytest.mark.django_db


def post_join(client, invite, name="Calm Heron"):
    body = {
        "invite": invite,
        "display_name": name,
        "media": "text_only",
        "agreement_accepted": True,
    }
    return client.post("/api/join/", data=json.dumps(body), content_type="application/json")


def owner_client(meeting) -> Client:
    client = Client()
    client.force_login(meeting.owner)
    return client


def shown_secrets(client, meeting) -> dict[str, str]:
    """The invite secrets the owner's page shows now, by role ("" when none is shown)."""
    page = client.get(f"/meetings/{meeting.id}/").content.decode()
    found = {}
    for role in ("peer", "cofacilitator"):
        match = re.search(rf'id="link-{role}" readonly value="[^"]*/join/#([^"]+)"', page)
        found[role] = match.group(1) if match else ""
    return found


def change_link(client, meeting, role, action="replace", days=""):
    return client.post(
        f"/meetings/{meeting.id}/links/",
        {"role": role, "action": action, "expires_in_days": days},
    )


def test_links_are_stored_only_as_hashes_and_the_owner_can_still_copy_them():
    meeting = make_meeting()
    secrets = shown_secrets(owner_client(meeting), meeting)
    assert secrets["peer"] and secrets["cofacilitator"]
    stored = repr(list(InviteLink.objects.values())) + repr(list(Meeting.objects.values()))
    for secret in secrets.values():
        assert secret not in stored
    assert post_join(Client(), secrets["peer"]).status_code == 201


def test_a_replaced_peer_link_says_so_and_the_new_one_works():
    meeting = make_meeting()
    owner = owner_client(meeting)
    old = shown_secrets(owner, meeting)["peer"]
    assert change_link(owner, meeting, "peer").status_code == 302
    new = shown_secrets(owner, meeting)["peer"]
    assert new and new != old

    page = Client().get(f"/join/{old}/")
    assert page.status_code == 410 and "was replaced" in page.content.decode()
    refused = post_join(Client(), old)
    assert refused.status_code == 410 and refused.json()["error"]["code"] == "link_replaced"
    assert post_join(Client(), new).status_code == 201
    assert Participant.objects.filter(meeting=meeting).count() == 1


def test_a_link_can_expire():
    meeting = make_meeting()
    owner = owner_client(meeting)
    change_link(owner, meeting, "peer", days="7")
    page = owner.get(f"/meetings/{meeting.id}/").content.decode()
    assert "Works until" in page
    secret = shown_secrets(owner, meeting)["peer"]
    assert post_join(Client(), secret).status_code == 201
    InviteLink.objects.filter(meeting=meeting, ended_at=None, role="peer").update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    refused = post_join(Client(), secret, name="Bold Wren")
    assert refused.status_code == 410 and refused.json()["error"]["code"] == "link_expired"
    assert "Expired" in owner.get(f"/meetings/{meeting.id}/").content.decode()


def test_the_owner_turns_a_link_off_and_only_the_owner_may():
    meeting = make_meeting()
    owner = owner_client(meeting)
    secret = shown_secrets(owner, meeting)["cofacilitator"]
    stranger = Client()
    stranger.force_login(make_facilitator_user("stranger"))
    assert change_link(stranger, meeting, "cofacilitator", action="turn_off").status_code == 404
    assert change_link(stranger, meeting, "peer").status_code == 404
    assert shown_secrets(owner, meeting)["cofacilitator"] == secret

    change_link(owner, meeting, "cofacilitator", action="turn_off")
    refused = post_join(Client(), secret)
    assert refused.status_code == 410 and refused.json()["error"]["code"] == "link_turned_off"
    assert "turned off" in Client().get(f"/join/{secret}/").content.decode()
    assert shown_secrets(owner, meeting)["cofacilitator"] == ""
    # A new one can be made again.
    change_link(owner, meeting, "cofacilitator")
    assert post_join(Client(), shown_secrets(owner, meeting)["cofacilitator"]).status_code == 201


def test_bad_link_changes_are_refused_and_change_nothing():
    meeting = make_meeting()
    owner = owner_client(meeting)
    before = shown_secrets(owner, meeting)
    assert change_link(owner, meeting, "facilitator").status_code == 400
    assert change_link(owner, meeting, "peer", days="9999").status_code == 400
    assert shown_secrets(owner, meeting) == before


def test_the_cofacilitator_link_lets_one_person_wait_for_the_owner():
    meeting = make_meeting(lobby_enabled=False)
    secret = shown_secrets(owner_client(meeting), meeting)["cofacilitator"]
    first = post_join(Client(), secret, name="Co Cedar")
    assert first.status_code == 201
    assert (first.json()["role"], first.json()["status"]) == ("cofacilitator", "lobby")
    second = post_join(Client(), secret, name="Someone Else")
    assert second.status_code == 410 and second.json()["error"]["code"] == "link_used"
    assert "already been used" in Client().get(f"/join/{secret}/").content.decode()
    assert Participant.objects.filter(meeting=meeting).count() == 1

    # Only the owner (signed in with their account) confirms them, not another co-facilitator.
    owner, _ = make_participant(meeting, "Facilitator Fern", role="facilitator")
    promoted, _ = make_participant(meeting, "Clear Birch", role="cofacilitator")
    waiting = first.json()["participant_id"]
    with pytest.raises(state.RoomError) as refused:
        participants.lobby_admit(
            meeting_id=str(meeting.id), actor_id=str(promoted.id), target_id=waiting
        )
    assert refused.value.code == "forbidden"
    assert Participant.objects.get(id=waiting).status == "lobby"
    participants.lobby_admit(meeting_id=str(meeting.id), actor_id=str(owner.id), target_id=waiting)
    assert Participant.objects.get(id=waiting).status == "admitted"


@pytest.mark.django_db(transaction=True)
def test_the_migration_hashes_links_already_shared_and_they_keep_working():
    executor = MigrationExecutor(connection)
    executor.migrate([("rooms", "0005_retention")])
    try:
        old_apps = executor.loader.project_state([("rooms", "0005_retention")]).apps
        owner = make_facilitator_user()
        old_meeting = old_apps.get_model("rooms", "Meeting").objects.create(
            title="From before",
            owner_id=owner.id,
            peer_invite="old-peer-secret",
            cofacilitator_invite="old-cofac-secret",
            device_salt="",
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    stored = repr(list(InviteLink.objects.values()))
    assert "old-peer-secret" not in stored and "old-cofac-secret" not in stored
    assert post_join(Client(), "old-peer-secret").status_code == 201
    cofac = post_join(Client(), "old-cofac-secret", name="Co Cedar")
    assert cofac.json()["status"] == "lobby"
    assert post_join(Client(), "old-cofac-secret").json()["error"]["code"] == "link_used"
    meeting = Meeting.objects.get(id=old_meeting.id)
    page = owner_client(meeting).get(f"/meetings/{meeting.id}/").content.decode()
    assert "cannot be shown again" in page


@pytest.mark.django_db(transaction=True)
def test_two_people_racing_with_one_cofacilitator_link_cannot_both_get_in():
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from rooms.services import invites
    from rooms.services import meetings as meeting_services

    meeting = make_meeting()
    secret = meeting.cofacilitator_invite
    start = threading.Barrier(4)

    def claim(name: str) -> str:
        try:
            link = invites.invite_find(secret=secret)
            start.wait()
            meeting_services.participant_create(
                meeting=link.meeting, display_name=name, media="text_only",
                role=link.role, agreement_accepted=True, link=link,
            )  # fmt: skip
            return "in"
        except state.RoomError as refused:
            return refused.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(claim, ["A", "B", "C", "D"]))
    assert sorted(results) == ["in", "link_used", "link_used", "link_used"]
    assert Participant.objects.filter(meeting=meeting).count() == 1


def test_a_group_meeting_whose_link_is_off_still_shows_its_page_without_a_join_button():
    from tests.groups.helpers import make_group, make_org, make_staff, weekly

    org, admin = make_org()
    ana = make_staff(org, admin, "ana")
    group = make_group(org, admin, [ana])
    weekly(group, ana)
    occurrence = group.occurrences.first()
    meeting = occurrence.meeting
    client = Client()
    secret = meeting.peer_invite
    assert f"/join/#{secret}" in client.get(f"/groups/meetings/{occurrence.id}/").content.decode()

    change_link(owner_client(meeting), meeting, "peer", action="turn_off")
    page = client.get(f"/groups/meetings/{occurrence.id}/")
    assert page.status_code == 200
    assert "link has been turned off" in page.content.decode()
    assert secret not in page.content.decode() and 'id="join-link"' not in page.content.decode()
    calendar = client.get(f"/groups/meetings/{occurrence.id}/meeting.ics")
    assert calendar.status_code == 200 and secret not in calendar.content.decode()
