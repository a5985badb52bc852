"""The public directory, group and meeting pages, passcodes, the editors, the join limits."""

import json
import re
from datetime import date

import pytest

from groups import schedules, services
from groups.models import Group, Schedule
from rooms.models import Meeting

from .helpers import make_group, make_org, make_staff, weekly

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    org, admin = make_org()
    ana = make_staff(org, admin, "ana", verification="Certified peer specialist")
    ben = make_staff(org, admin, "ben")
    anxiety = org.support_types.get(name="Anxiety")
    grief = org.support_types.get(name="Bereavement")
    listed = make_group(org, admin, [ana, ben], support_type=anxiety)
    french = make_group(
        org, admin, [ana], title="Cercle du deuil", support_type=grief, language="fr"
    )
    unlisted = make_group(org, admin, [ana], title="Unlisted circle", visibility="unlisted")
    private = make_group(
        org, admin, [ana], title="Private circle", visibility="private", passcode="heron-42"
    )
    for group in (listed, french, unlisted, private):
        weekly(group, ana, start=date(2030, 3, 5), until=date(2030, 3, 26))
    return {"org": org, "admin": admin, "ana": ana, "ben": ben, "listed": listed,
            "french": french, "unlisted": unlisted, "private": private, "anxiety": anxiety}  # fmt: skip


@pytest.fixture(autouse=True)
def in_2030(monkeypatch):
    """The pages list meetings of the next 60 days: pretend it is 1 March 2030."""
    import datetime as dt

    from django.utils import timezone

    fixed = dt.datetime(2030, 3, 1, 12, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: fixed)


def test_directory_lists_only_listed_groups_with_utc_times(client, setup):
    page = client.get("/groups/").content.decode()
    assert "Tuesday anxiety circle" in page and "Cercle du deuil" in page
    assert "Unlisted circle" not in page and "Private circle" not in page
    assert 'datetime="2030-03-05T18:00:00Z"' in page
    assert "Join when it opens" in page
    # a strict CSP is coming: no inline script or style on the page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "style=" not in page and "<style" not in page


def test_directory_filters_by_support_type_and_language(client, setup):
    by_type = client.get(f"/groups/?support={setup['anxiety'].id}").content.decode()
    assert "Tuesday anxiety circle" in by_type and "Cercle du deuil" not in by_type
    by_language = client.get("/groups/?language=fr").content.decode()
    assert "Cercle du deuil" in by_language and "Tuesday anxiety circle" not in by_language
    assert "Private circle" not in client.get("/groups/?language=en").content.decode()


def test_group_page_shows_team_with_verification_and_next_meetings(client, setup):
    page = client.get(f"/groups/{setup['listed'].id}/").content.decode()
    assert "Verified: Certified peer specialist" in page
    assert "Samaritans: 116 123" in page
    assert page.count("Join when it opens") == 4
    assert "Edit schedule" not in page  # a peer sees no team controls


def test_unlisted_group_is_reachable_by_its_link(client, setup):
    assert client.get(f"/groups/{setup['unlisted'].id}/").status_code == 200


def test_private_group_needs_its_passcode_and_guessing_is_throttled(client, setup):
    private = setup["private"]
    url = f"/groups/{private.id}/"
    first = client.get(url)
    assert (
        "Enter the passcode" in first.content.decode()
        and "Next meetings" not in first.content.decode()
    )
    occurrence = private.occurrences.first()
    assert client.get(f"/groups/meetings/{occurrence.id}/").status_code == 200
    assert (
        occurrence.meeting.peer_invite
        not in client.get(f"/groups/meetings/{occurrence.id}/").content.decode()
    )
    assert client.get(f"/groups/{private.id}/calendar.ics").status_code == 403
    for _ in range(services.PASSCODE_TRIES_PER_CLIENT):
        assert client.post(url, {"passcode": "guess"}).status_code == 403
    throttled = client.post(url, {"passcode": "heron-42"})
    assert throttled.status_code == 429 and "Too many" in throttled.content.decode()
    other = client.__class__(REMOTE_ADDR="10.0.0.9")
    assert other.post(url, {"passcode": "heron-42"}).status_code == 302
    assert "Next meetings" in other.get(url).content.decode()
    assert other.get(f"/groups/{private.id}/calendar.ics").status_code == 200


def test_occurrence_page_waits_for_the_doors_then_shows_the_invite(client, setup):
    occurrence = setup["listed"].occurrences.first()
    page = client.get(f"/groups/meetings/{occurrence.id}/").content.decode()
    assert f"/join/#{occurrence.meeting.peer_invite}" in page
    assert 'id="join-link"' in page and 'data-opens-at="2030-03-05T17:50:00+00:00"' in page
    assert re.search(r'<a class="button" id="join-link"[^>]*hidden', page)


def join(client, invite, name="Robin"):
    return client.post(
        "/api/join/",
        data=json.dumps(
            {
                "invite": invite,
                "display_name": name,
                "media": "text_only",
                "agreement_accepted": True,
            }
        ),
        content_type="application/json",
    )


def test_a_peer_is_refused_before_the_doors_open(client, setup):
    meeting = setup["listed"].occurrences.first().meeting
    refused = join(client, meeting.peer_invite)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_open_yet"
    assert "17:50" in refused.json()["error"]["message"]  # 17:50 London time, 10 minutes early
    assert join(client, meeting.cofacilitator_invite, "Co").status_code == 201


def test_maximum_attendees_is_enforced_at_the_join(client, setup):
    group = setup["listed"]
    services.group_update(actor=setup["ana"], group=group, max_attendees=2)
    meeting = schedules.start_now(actor=setup["ana"], group=group).meeting
    assert join(client, meeting.peer_invite, "One").status_code == 201
    assert join(client, meeting.peer_invite, "Two").status_code == 201
    full = join(client, meeting.peer_invite, "Three")
    assert full.status_code == 403
    assert full.json()["error"] == {
        "code": "meeting_full",
        "message": "This meeting is full (2 people). Please try another time.",
    }
    assert meeting.participants.count() == 2
    assert join(client, meeting.cofacilitator_invite, "Helper").status_code == 201


def test_schedule_editor_is_for_the_team_only(client, setup):
    url = f"/groups/{setup['listed'].id}/schedule/"
    outsider = make_staff(setup["org"], setup["admin"], "cai")
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(setup["ben"])
    page = client.get(url)
    assert page.status_code == 200 and "Add a schedule" in page.content.decode()


def test_schedule_editor_adds_skips_and_refuses_bad_rules(client, setup):
    group = setup["listed"]
    client.force_login(setup["ben"])
    url = f"/groups/{group.id}/schedule/"
    before = Meeting.objects.count()
    bad = client.post(url, {"action": "add", "frequency": "weekly", "start_date": "2030-04-01",
                            "local_time": "19:00", "until": "2090-01-01", "weekday": ["0", "3"]})  # fmt: skip
    assert bad.status_code == 400 and "more than 200" in bad.content.decode()
    assert Meeting.objects.count() == before
    added = client.post(url, {"action": "add", "frequency": "fortnightly", "start_date": "2030-04-01",
                              "local_time": "19:00", "until": "2030-04-30", "weekday": ["3"]})  # fmt: skip
    assert added.status_code == 302
    schedule = Schedule.objects.filter(group=group).latest("pk")
    assert schedule.occurrences.count() == 2  # Thursdays 4 and 18 April
    skipped = client.post(url, {"action": "skip", "schedule": schedule.pk, "date": "2030-04-04"})
    assert skipped.status_code == 302 and schedule.occurrences.count() == 1
    tz = client.post(url, {"action": "add", "frequency": "once", "start_date": "nonsense",
                           "local_time": "19:00"})  # fmt: skip
    assert tz.status_code == 400 and "use a date like" in tz.content.decode()


def test_an_admin_creates_a_group_with_two_facilitators(client, setup):
    client.force_login(setup["admin"])
    response = client.post("/groups/manage/", {
        "title": "Recovery check-in", "language": "en", "time_zone": "America/New_York",
        "duration_minutes": "45", "max_attendees": "10", "doors_open_minutes": "5",
        "visibility": "listed", "lobby_default": "on",
        "facilitator": [str(setup["ana"].pk), str(setup["ben"].pk)],
    })  # fmt: skip
    group = Group.objects.get(title="Recovery check-in")
    assert response.status_code == 302 and response.url == f"/groups/{group.id}/schedule/"
    assert set(group.facilitators.all()) == {setup["ana"], setup["ben"]}
    assert group.agreement == "What is said here stays here."
    bad = client.post("/groups/manage/", {"title": "Nowhere", "language": "en",
        "time_zone": "Mars/Base", "duration_minutes": "45", "max_attendees": "10",
        "doors_open_minutes": "5", "visibility": "listed", "facilitator": [str(setup["ana"].pk)]})  # fmt: skip
    assert bad.status_code == 400 and "not a time zone we know" in bad.content.decode()
    assert not Group.objects.filter(title="Nowhere").exists()


def test_a_facilitator_cannot_create_groups(client, setup):
    client.force_login(setup["ana"])
    page = client.get("/groups/manage/").content.decode()
    assert "New group" not in page and "Tuesday anxiety circle" in page


def test_the_team_edits_settings_and_an_admin_edits_the_team(client, setup):
    group = setup["listed"]
    url = f"/groups/{group.id}/schedule/"
    client.force_login(setup["ben"])
    page = client.get(url).content.decode()
    assert 'value="Tuesday anxiety circle"' in page and "Save team" not in page
    saved = client.post(url, {
        "action": "settings", "title": "Tuesday calm circle", "language": "en",
        "time_zone": "Europe/London", "duration_minutes": "90", "max_attendees": "8",
        "doors_open_minutes": "15", "visibility": "private", "passcode": "kingfisher",
        "support_type": str(setup["anxiety"].id), "muted_on_entry": "on",
    })  # fmt: skip
    assert saved.status_code == 302
    group.refresh_from_db()
    assert (group.title, group.duration_minutes, group.visibility) == (
        "Tuesday calm circle",
        90,
        "private",
    )
    assert group.muted_on_entry and not group.lobby_default
    assert group.agreement == "What is said here stays here."
    assert "Tuesday calm circle" not in client.get("/groups/").content.decode()
    assert (
        client.post(url, {"action": "team", "facilitator": [str(setup["ben"].pk)]}).status_code
        == 400
    )
    client.force_login(setup["admin"])
    team = client.post(url, {"action": "team", "facilitator": [str(setup["ben"].pk)]})
    assert team.status_code == 302 and list(group.facilitators.all()) == [setup["ben"]]


def test_an_admin_verifies_a_facilitator_and_adds_a_support_type(client, setup):
    from tests.factories import make_facilitator_user

    make_facilitator_user("dee")
    client.force_login(setup["ana"])
    assert client.get("/groups/organisation/").status_code == 404
    client.force_login(setup["admin"])
    added = client.post("/groups/organisation/", {"action": "staff", "username": "dee",
                        "role": "facilitator", "verification": "Certified peer specialist"})  # fmt: skip
    assert added.status_code == 302
    page = client.get("/groups/organisation/").content.decode()
    assert "dee" in page and page.count("Certified peer specialist") >= 2
    client.post("/groups/organisation/", {"action": "support_type", "name": "Eating disorders"})
    assert setup["org"].support_types.filter(name="Eating disorders").exists()
    unknown = client.post("/groups/organisation/", {"action": "staff", "username": "nobody",
                          "role": "facilitator"})  # fmt: skip
    assert unknown.status_code == 400 and "no account" in unknown.content.decode()
    demote = client.post("/groups/organisation/", {"action": "staff",
                         "username": setup["admin"].username, "role": "facilitator"})  # fmt: skip
    assert demote.status_code == 400


def test_an_admin_removes_someone_from_the_staff_once_they_run_no_group(client, setup):
    from groups.models import Staff
    from tests.groups.helpers import make_staff

    org, admin, ben = setup["org"], setup["admin"], setup["ben"]
    carl = make_staff(org, admin, "carl")
    client.force_login(carl)  # a facilitator, not an admin: nothing changes
    assert client.get("/groups/organisation/").status_code == 404
    client.force_login(admin)
    page = client.get("/groups/organisation/").content.decode()
    assert 'aria-label="Remove carl from the staff"' in page
    assert f'aria-label="Remove {admin.username} from the staff"' not in page  # not yourself

    gone = client.post("/groups/organisation/", {"action": "staff_remove", "username": "carl"})
    assert gone.status_code == 302
    assert not Staff.objects.filter(organisation=org, user=carl).exists()
    assert "carl" not in client.get("/groups/organisation/").content.decode()

    # ben is on the team of a listed group: he stays, and the admin is told which
    kept = client.post("/groups/organisation/", {"action": "staff_remove", "username": "ben"})
    assert kept.status_code == 400
    assert "ben still facilitates Tuesday anxiety circle" in kept.content.decode()
    assert Staff.objects.filter(organisation=org, user=ben).exists()
    for username in (admin.username, "nobody"):
        refused = client.post(
            "/groups/organisation/", {"action": "staff_remove", "username": username}
        )
        assert refused.status_code == 400
    assert Staff.objects.filter(organisation=org, user=admin).exists()
