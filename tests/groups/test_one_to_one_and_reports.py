"""One-to-one sessions, the mood trend by group, and attendance reports with no names."""

import csv
import io
from datetime import timedelta

import pytest

from groups import schedules, services
from groups.errors import GroupError
from groups.models import Group
from rooms import selectors
from rooms.errors import RoomError
from rooms.models import Meeting
from rooms.services import breakouts
from rooms.services import checkins as checkin_services
from tests.factories import make_participant

from .helpers import make_group, make_org, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_setup():
    org, admin = make_org()
    ana = make_staff(org, admin, "ana")
    ben = make_staff(org, admin, "ben")
    return org, admin, ana, ben


def test_a_facilitator_offers_a_one_to_one_with_its_own_link_and_lobby(org_setup, client):
    org, _, ana, _ = org_setup
    session = services.one_to_one_offer(
        actor=ana, organisation=org, title="Peer mentoring", time_zone="Europe/London"
    )
    assert (session.kind, session.max_attendees, session.visibility) == (
        "one_to_one",
        1,
        "unlisted",
    )
    assert list(session.facilitators.all()) == [ana]
    meeting = schedules.start_now(actor=ana, group=session).meeting
    assert meeting.lobby_enabled and meeting.peer_invite
    assert "Peer mentoring" not in client.get("/groups/").content.decode()
    peer, _ = make_participant(meeting, "Robin")
    assert peer.status == "lobby"
    with pytest.raises(RoomError) as full:
        make_participant(meeting, "Sky")
    assert full.value.code == "meeting_full"
    with pytest.raises(GroupError):
        services.group_update(actor=ana, group=session, max_attendees=3)
    with pytest.raises(GroupError):
        services.group_update(actor=ana, group=session, visibility="listed")


def test_one_to_one_has_no_breakouts_and_no_anonymous_check_ins(org_setup):
    org, _, ana, _ = org_setup
    session = services.one_to_one_offer(
        actor=ana, organisation=org, title="Peer mentoring", time_zone="Europe/London"
    )
    meeting = schedules.start_now(actor=ana, group=session).meeting
    fac, _ = make_participant(meeting, "Ana", role="facilitator")
    with pytest.raises(RoomError) as refused:
        breakouts.breakout_create(meeting_id=str(meeting.id), actor_id=str(fac.id), count=2)
    assert refused.value.code == "forbidden" and "one-to-one" in refused.value.message
    spec = {"kind": "scale", "question": "How are you?", "options": [], "moment": None}
    with pytest.raises(RoomError) as anonymous:
        checkin_services.checkin_post(
            meeting_id=str(meeting.id), actor_id=str(fac.id), anonymous=True, **spec
        )
    assert anonymous.value.code == "invalid_prompt"
    named = checkin_services.checkin_post(
        meeting_id=str(meeting.id), actor_id=str(fac.id), anonymous=False, **spec
    )
    assert named.events


def test_a_group_meeting_keeps_its_breakouts(org_setup):
    org, admin, ana, _ = org_setup
    group = make_group(org, admin, [ana])
    meeting = schedules.start_now(actor=ana, group=group).meeting
    fac, _ = make_participant(meeting, "Ana", role="facilitator")
    outcome = breakouts.breakout_create(meeting_id=str(meeting.id), actor_id=str(fac.id), count=2)
    assert outcome.events


def run_checkins(meeting, arriving, leaving):
    """A facilitator and len(arriving) peers; a check-in and a check-out, closed."""
    fac, _ = make_participant(meeting, "Fern", role="facilitator")
    peers = [make_participant(meeting, f"Peer {i}")[0] for i in range(len(arriving))]
    for moment, points in (("check_in", arriving), ("check_out", leaving)):
        outcome = checkin_services.checkin_post(
            meeting_id=str(meeting.id), actor_id=str(fac.id), kind="scale",
            question="How are you?", options=[], anonymous=True, moment=moment,
        )  # fmt: skip
        prompt_id = outcome.events[0].data["prompt"]["id"]
        for peer, point in zip(peers, points, strict=True):
            answer = checkin_services.checkin_answer
            answer(
                meeting_id=str(meeting.id), actor_id=str(peer.id), prompt_id=prompt_id, scale=point
            )
        checkin_services.checkin_close(
            meeting_id=str(meeting.id), actor_id=str(fac.id), prompt_id=prompt_id
        )


def two_past_meetings(group, actor):
    meetings = []
    for days_ago in (14, 7):
        occurrence = schedules.start_now(actor=actor, group=group)
        past = occurrence.starts_at - timedelta(days=days_ago)
        type(occurrence).objects.filter(pk=occurrence.pk).update(starts_at=past)
        Meeting.objects.filter(pk=occurrence.meeting_id).update(starts_at=past, created_at=past)
        meetings.append(Meeting.objects.get(pk=occurrence.meeting_id))
    return meetings


def test_mood_trend_follows_the_group_not_the_title(org_setup):
    org, admin, ana, ben = org_setup
    # Two groups with the same title and the same creator: the old guess would merge them.
    circle_a = make_group(org, admin, [ana], title="Circle", lobby_default=False)
    circle_b = make_group(org, admin, [ben], title="Circle", lobby_default=False)
    a_first, a_second = two_past_meetings(circle_a, ana)
    (b_only, _) = two_past_meetings(circle_b, ben)
    run_checkins(a_first, (2, 2), (3, 3))
    run_checkins(b_only, (1, 1), (5, 5))
    run_checkins(a_second, (2, 2), (4, 4))
    mood = selectors.meeting_mood(meeting=a_second)
    assert mood["change"] == 2.0
    assert [(p["meeting_id"], p["change"]) for p in mood["trend"]] == [(str(a_first.id), 1.0)]


def test_attendance_report_has_counts_and_mood_but_no_names(org_setup, client):
    org, admin, ana, ben = org_setup
    group = make_group(org, admin, [ana], title="Circle", lobby_default=False)
    first, second = two_past_meetings(group, ana)
    run_checkins(first, (2, 2, 3), (3, 4, 5))
    make_participant(second, "Only One")
    client.force_login(admin)
    response = client.get(f"/groups/{group.id}/attendance.csv")
    assert response.status_code == 200
    text = response.content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["peers"], r["facilitators"]) for r in rows] == [("3", "1"), ("1", "0")]
    assert rows[0]["mood_check_in"] == "2.33" and rows[0]["mood_change"] == "1.67"
    assert rows[1]["mood_change"] == ""
    for name in ("Fern", "Peer 0", "Only One", "ana"):
        assert name not in text
    whole = client.get("/groups/manage/attendance.csv").content.decode()
    assert whole.count("Circle") == 2
    # the team sees the report page; only admins download; another team sees nothing
    client.force_login(ana)
    page = client.get(f"/groups/{group.id}/report/")
    assert page.status_code == 200 and "Download CSV" not in page.content.decode()
    assert client.get(f"/groups/{group.id}/attendance.csv").status_code == 404
    client.force_login(ben)
    assert client.get(f"/groups/{group.id}/report/").status_code == 404
    assert client.get("/groups/manage/attendance.csv").status_code == 404


def test_one_to_one_reports_attendance_without_mood(org_setup, client):
    org, admin, ana, _ = org_setup
    session = services.one_to_one_offer(
        actor=ana, organisation=org, title="Mentoring", time_zone="UTC"
    )
    (meeting, _) = two_past_meetings(session, ana)
    make_participant(meeting, "Ana", role="facilitator")
    make_participant(meeting, "Robin")
    client.force_login(admin)
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/groups/{session.id}/attendance.csv").content.decode())
        )
    )
    assert rows[0]["peers"] == "1" and rows[0]["mood_check_in"] == ""
    assert Group.objects.get(pk=session.pk).kind == "one_to_one"


def test_offer_page_for_facilitators(org_setup, client):
    _, _, ana, _ = org_setup
    client.force_login(ana)
    response = client.post(
        "/groups/manage/", {"action": "one_to_one", "title": "Mentoring", "time_zone": "UTC"}
    )
    session = Group.objects.get(title="Mentoring")
    assert response.status_code == 302 and session.kind == "one_to_one"
    bad = client.post(
        "/groups/manage/", {"action": "one_to_one", "title": "X", "time_zone": "Nowhere/City"}
    )
    assert bad.status_code == 400 and not Group.objects.filter(title="X").exists()
