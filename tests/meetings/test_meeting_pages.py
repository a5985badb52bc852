"""The meetings list and a meeting's page: upcoming / live / ended, start times, the
invitation to paste, edit and end; an ended meeting looks ended."""

import re
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from rooms.models import Meeting, Participant
from rooms.services import meetings as services
from tests.factories import make_facilitator_user, make_participant

pytestmark = pytest.mark.django_db


def _meeting(owner, title, **fields):
    meeting = services.meeting_create(owner=owner, title=title)
    Meeting.objects.filter(id=meeting.id).update(**fields)
    meeting.refresh_from_db()
    return meeting


def _part(page: str, heading: str) -> str:
    """The text of one section of the list, from its heading to the next."""
    start = page.index(f">{heading}</h2>")
    end = page.find("</section>", start)
    return page[start:end]


def test_the_list_has_live_upcoming_and_ended_parts_with_start_times(client):
    fern = make_facilitator_user("fern")
    client.force_login(fern)
    later = _meeting(fern, "Thursday circle", starts_at=datetime(2026, 12, 10, 18, 30, tzinfo=UTC))
    live = _meeting(fern, "Tonight's circle")
    heron, _ = make_participant(live, "Calm Heron")
    Participant.objects.filter(id=heron.id).update(status="admitted", connection="online")
    done = _meeting(fern, "Last week's circle", ended_at=timezone.now())
    _meeting(make_facilitator_user("other"), "Someone else's circle")

    page = client.get("/meetings/").content.decode()
    assert "Someone else" not in page
    live_part = _part(page, "Live now")
    assert "Tonight&#x27;s circle" in live_part and "1 in the room" in live_part
    upcoming = _part(page, "Upcoming")
    assert "Thursday circle" in upcoming and "Thu 10 Dec 2026, 18:30 UTC" in upcoming
    assert f"/meetings/{later.id}/room/" in upcoming
    ended = _part(page, "Ended")
    assert "Last week&#x27;s circle" in ended and "Ended" in ended
    assert f"/meetings/{done.id}/room/" not in page  # nothing offers to open an ended meeting


def test_a_meeting_page_shows_its_start_links_and_an_invitation_to_paste(client):
    fern = make_facilitator_user("fern")
    client.force_login(fern)
    meeting = _meeting(
        fern, "Thursday circle", starts_at=datetime(2026, 12, 10, 18, 30, tzinfo=UTC)
    )
    page = client.get(f"/meetings/{meeting.id}/").content.decode()
    assert "Thursday 10 December 2026, 18:30 UTC" in page
    peer_link = f"http://127.0.0.1:8000/join/#{meeting.peer_invite}"
    invitation = re.search(r'<textarea id="invitation"[^>]*>(.*?)</textarea>', page, re.S)
    text = invitation.group(1)
    assert "Thursday circle" in text and "Thursday 10 December 2026 at 18:30 (UTC)" in text
    assert peer_link in text and "text only" in text and "waiting room" in text
    assert meeting.cofacilitator_invite not in text  # the co-facilitator link is not for peers
    assert page.count("data-copy=") == 3
    assert "Open the meeting" in page and 'value="2026-12-10T18:30"' in page
    # a strict CSP: no inline script or style on the page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert " style=" not in page and "<style" not in page


def test_an_ended_meeting_looks_ended_and_offers_nothing_to_open(client):
    fern = make_facilitator_user("fern")
    client.force_login(fern)
    meeting = _meeting(fern, "Last week's circle", ended_at=timezone.now())
    page = client.get(f"/meetings/{meeting.id}/").content.decode()
    assert "This meeting has ended" in page and "phase-ended" in page
    assert "Open the meeting" not in page
    assert meeting.peer_invite not in page and meeting.cofacilitator_invite not in page
    assert "/edit/" not in page and "/end/" not in page


def test_the_owner_edits_title_start_and_lobby(client):
    fern = make_facilitator_user("fern")
    client.force_login(fern)
    meeting = _meeting(fern, "Thursday circle")
    response = client.post(
        f"/meetings/{meeting.id}/edit/",
        {"title": "  Friday circle ", "starts_at": "2026-12-11T19:00"},
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.title == "Friday circle" and not meeting.lobby_enabled
    assert meeting.starts_at == datetime(2026, 12, 11, 19, 0, tzinfo=UTC)

    bad = client.post(f"/meetings/{meeting.id}/edit/", {"title": " ", "starts_at": ""})
    assert bad.status_code == 400 and "A meeting needs a title." in bad.content.decode()
    meeting.refresh_from_db()
    assert meeting.title == "Friday circle"


def test_only_the_owner_edits_or_ends_and_an_ended_meeting_stays_ended(client):
    fern = make_facilitator_user("fern")
    meeting = _meeting(fern, "Thursday circle")
    client.force_login(make_facilitator_user("other"))
    assert client.post(f"/meetings/{meeting.id}/end/").status_code == 404
    assert client.post(f"/meetings/{meeting.id}/edit/", {"title": "Mine"}).status_code == 404
    client.force_login(fern)
    assert client.get(f"/meetings/{meeting.id}/end/").status_code == 405
    assert client.post(f"/meetings/{meeting.id}/end/").status_code == 302
    meeting.refresh_from_db()
    assert meeting.ended_at is not None
    response = client.post(f"/meetings/{meeting.id}/edit/", {"title": "Again"})
    assert response.status_code == 400
    meeting.refresh_from_db()
    assert meeting.title == "Thursday circle"
