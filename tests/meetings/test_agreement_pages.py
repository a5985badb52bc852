"""The agreement and the welcome on the pages: join refusal, pre-join text, the meeting page."""

from __future__ import annotations

import json

import pytest

from rooms import agreement
from rooms.models import Meeting, Participant
from tests.factories import make_facilitator_user, make_meeting

pytestmark = pytest.mark.django_db


def _join(client, body):
    return client.post("/api/join/", data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize("accepted", [None, False, "true", 1])
def test_joining_without_accepting_is_refused_with_a_typed_error(client, accepted):
    meeting = make_meeting()
    body = {"invite": meeting.peer_invite, "display_name": "Calm Heron", "media": "text_only"}
    if accepted is not None:
        body["agreement_accepted"] = accepted
    response = _join(client, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "agreement_required"
    assert not Participant.objects.exists()


def test_the_pre_join_page_shows_the_agreement_welcome_and_one_accept_button(client):
    meeting = make_meeting(muted_on_entry=True)
    meeting.owner.first_name = "Fern"
    meeting.owner.save()
    page = client.get(f"/join/{meeting.peer_invite}/", follow=True).content.decode()
    assert "Our group agreement" in page
    first_rule = agreement.DEFAULT_AGREEMENT.splitlines()[0]
    assert first_rule.replace("'", "&#x27;") in page
    assert "I agree, join" in page
    assert "Run by</span> Fern" in page
    assert "Nobody can see or hear you yet" in page
    assert "You come in muted" in page
    assert "data-open-crisis" in page  # the crisis lines, one step away


def test_the_owner_edits_the_agreement_and_muted_on_entry(client):
    fern = make_facilitator_user("fern")
    client.force_login(fern)
    client.post("/meetings/", {"title": "Circle", "lobby_enabled": "on"})
    meeting = Meeting.objects.get(title="Circle")
    assert not meeting.muted_on_entry  # the form's box was left unticked
    page = client.get(f"/meetings/{meeting.id}/").content.decode()
    assert agreement.DEFAULT_AGREEMENT.splitlines()[1] in page  # shown to start from
    client.post(
        f"/meetings/{meeting.id}/edit/",
        {"title": "Circle", "muted_on_entry": "on", "agreement": "Cameras optional."},
    )
    meeting.refresh_from_db()
    assert meeting.muted_on_entry and meeting.agreement == "Cameras optional."
    too_long = client.post(
        f"/meetings/{meeting.id}/edit/", {"title": "Circle", "agreement": "x" * 4001}
    )
    assert too_long.status_code == 400
    meeting.refresh_from_db()
    assert meeting.agreement == "Cameras optional." and meeting.muted_on_entry
