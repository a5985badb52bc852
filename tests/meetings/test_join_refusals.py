"""The join endpoint after facilitation: locked, banned (by browser), ended."""

import json

import pytest
from django.test import Client

from rooms import moderation
from rooms.models import Participant
from rooms.services import unit
from tests.factories import make_meeting, make_participant

pytestmark = pytest.mark.django_db


def post_join(client, invite, name="Calm Heron", **extra):
    body = {
        "invite": invite,
        "display_name": name,
        "media": "text_only",
        "agreement_accepted": True,
        **extra,
    }
    return client.post("/api/join/", data=json.dumps(body), content_type="application/json")


def _facilitate(meeting, operation):
    fac = Participant.objects.filter(meeting=meeting, role="facilitator").first()
    if fac is None:
        fac, _ = make_participant(meeting, "Facilitator Fern", role="facilitator")
    return unit.apply(str(meeting.id), lambda r: operation(r, str(fac.id)))


def test_removed_with_no_rejoin_cannot_come_back_from_the_same_browser():
    meeting = make_meeting(lobby_enabled=False)
    browser, other_browser = Client(), Client()
    first = post_join(browser, meeting.peer_invite)
    assert first.status_code == 201
    cookie = first.cookies["pm_device"]
    assert cookie["httponly"] and cookie.value not in Participant.objects.get().device_hash
    _facilitate(
        meeting, lambda r, fac: moderation.remove(r, fac, first.json()["participant_id"], ban=True)
    )

    again = post_join(browser, meeting.peer_invite, name="A New Name")
    assert again.status_code == 403
    assert again.json()["error"]["code"] == "banned"
    assert post_join(other_browser, meeting.peer_invite).status_code == 201


def test_removed_without_ban_may_join_again():
    meeting = make_meeting(lobby_enabled=False)
    browser = Client()
    first = post_join(browser, meeting.peer_invite)
    _facilitate(meeting, lambda r, fac: moderation.remove(r, fac, first.json()["participant_id"]))
    assert post_join(browser, meeting.peer_invite).status_code == 201


def test_locked_meeting_refuses_peers_but_takes_the_cofacilitator_link():
    meeting = make_meeting()
    _facilitate(meeting, lambda r, fac: moderation.configure(r, fac, locked=True))
    refused = post_join(Client(), meeting.peer_invite)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "meeting_locked"
    assert refused.json()["error"]["can_knock"] is True
    assert post_join(Client(), meeting.cofacilitator_invite).status_code == 201


def test_a_latecomer_knocks_on_a_locked_meeting_and_waits_in_the_lobby_marked():
    meeting = make_meeting(lobby_enabled=False)
    _facilitate(meeting, lambda r, fac: moderation.configure(r, fac, locked=True))
    assert post_join(Client(), meeting.peer_invite, knock="yes").status_code == 403  # not coerced
    knocked = post_join(Client(), meeting.peer_invite, knock=True)
    assert knocked.status_code == 201
    assert knocked.json()["status"] == "lobby"  # whatever the lobby setting
    assert Participant.objects.get(id=knocked.json()["participant_id"]).latecomer


def test_ended_meeting_refuses_joins_and_its_page_says_so():
    meeting = make_meeting()
    _facilitate(meeting, moderation.end)
    refused = post_join(Client(), meeting.peer_invite)
    assert refused.json()["error"]["code"] == "meeting_ended"
    page = Client().get(f"/join/{meeting.peer_invite}/", follow=True).content.decode()
    assert 'data-ended="true"' in page
