"""Groups and schedules through the services: meetings made per date, team rights, bad input."""

import json
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from groups import schedules, services
from groups.errors import GroupError
from groups.models import Group, Occurrence, Schedule
from rooms.models import Meeting
from tests.factories import make_facilitator_user, make_participant

from .helpers import make_group, make_org, make_staff, weekly

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_setup():
    org, admin = make_org()
    ana = make_staff(org, admin, "ana", verification="Certified peer specialist")
    ben = make_staff(org, admin, "ben")
    cai = make_staff(org, admin, "cai")
    group_a = make_group(org, admin, [ana, ben])
    group_b = make_group(org, admin, [cai], title="Bereavement circle")
    return org, admin, ana, ben, cai, group_a, group_b


def test_a_weekly_schedule_makes_one_meeting_per_date_each_with_its_own_link(org_setup):
    *_, ana, _, _, group_a, _ = org_setup
    weekly(group_a, ana)
    occurrences = list(Occurrence.objects.filter(group=group_a).select_related("meeting"))
    # Tuesdays from 5 March to 30 April 2030; London moves to BST on 31 March.
    assert len(occurrences) == 9
    assert occurrences[0].starts_at.isoformat() == "2030-03-05T18:00:00+00:00"
    assert occurrences[-1].starts_at.isoformat() == "2030-04-30T17:00:00+00:00"
    assert all(o.meeting.starts_at == o.starts_at for o in occurrences)
    assert all(o.meeting.title == "Tuesday anxiety circle" for o in occurrences)
    assert len({o.meeting.peer_invite for o in occurrences}) == 9


def test_skip_and_move_one_date(org_setup):
    *_, ana, _, _, group_a, _ = org_setup
    schedule = weekly(group_a, ana)
    schedules.date_skip(actor=ana, schedule=schedule, original_date=date(2030, 3, 12))
    schedules.date_move(
        actor=ana,
        schedule=schedule,
        original_date=date(2030, 3, 19),
        new_local=datetime(2030, 3, 20, 19, 30),
    )
    starts = [o.starts_at.isoformat() for o in group_a.occurrences.all()[:3]]
    assert starts == [
        "2030-03-05T18:00:00+00:00",
        "2030-03-20T19:30:00+00:00",
        "2030-03-26T18:00:00+00:00",
    ]
    assert Meeting.objects.filter(occurrence__group=group_a).count() == 8
    with pytest.raises(GroupError) as refused:
        schedules.date_skip(actor=ana, schedule=schedule, original_date=date(2030, 3, 13))
    assert refused.value.code == "not_a_date"


def test_a_facilitator_of_one_group_cannot_touch_another(org_setup, client):
    *_, ana, _, cai, group_a, group_b = org_setup
    weekly(group_a, ana)
    with pytest.raises(GroupError) as refused:
        weekly(group_b, ana)
    assert refused.value.code == "forbidden"
    with pytest.raises(GroupError):
        services.group_update(actor=cai, group=group_a, title="Mine now")
    with pytest.raises(GroupError):
        schedules.start_now(actor=cai, group=group_a)
    meeting = group_a.occurrences.first().meeting
    client.force_login(cai)
    assert client.get(f"/meetings/{meeting.id}/room/").status_code == 404
    joined = client.post(
        "/api/join/",
        data=json.dumps({"meeting_id": str(meeting.id), "display_name": "C", "media": "text_only"}),
        content_type="application/json",
    )
    assert joined.status_code == 404


def test_any_team_facilitator_opens_and_runs_the_groups_meeting(org_setup, client):
    *_, ana, ben, _, group_a, _ = org_setup
    weekly(group_a, ana)  # set up by ana: ben never got a link
    meeting = group_a.occurrences.first().meeting
    client.force_login(ben)
    assert client.get(f"/meetings/{meeting.id}/").status_code == 200
    assert client.get(f"/meetings/{meeting.id}/room/").status_code == 200
    joined = client.post(
        "/api/join/",
        data=json.dumps(
            {"meeting_id": str(meeting.id), "display_name": "Ben", "media": "text_only"}
        ),
        content_type="application/json",
    )
    assert joined.status_code == 201
    assert joined.json()["role"] == "facilitator"


def test_start_now_makes_an_ad_hoc_meeting_open_at_once(org_setup):
    *_, ben, _, group_a, _ = org_setup
    occurrence = schedules.start_now(actor=ben, group=group_a)
    assert occurrence.schedule is None
    assert abs(occurrence.meeting.starts_at - timezone.now()) < timedelta(seconds=5)
    participant, _ = make_participant(occurrence.meeting, "Robin")
    assert participant.status == "lobby"


def test_a_rule_with_thousands_of_dates_creates_nothing(org_setup):
    *_, ana, _, _, group_a, _ = org_setup
    before = Meeting.objects.count()
    with pytest.raises(GroupError) as refused:
        schedules.schedule_add(
            actor=ana,
            group=group_a,
            frequency="weekly",
            start_date=date(2030, 1, 1),
            local_time=time(18),
            until=date(2060, 1, 1),
            weekdays=[0, 1, 2, 3, 4, 5, 6],
        )
    assert refused.value.code == "too_many_dates"
    assert Schedule.objects.count() == 0 and Meeting.objects.count() == before


def test_a_rule_with_no_date_creates_nothing(org_setup):
    *_, ana, _, _, group_a, _ = org_setup
    with pytest.raises(GroupError) as refused:
        weekly(group_a, ana, start=date(2030, 3, 4), until=date(2030, 3, 4), weekdays=(1,))
    assert refused.value.code == "no_dates"
    assert Schedule.objects.count() == 0 and Occurrence.objects.count() == 0


def test_unknown_time_zone_creates_no_group(org_setup):
    org, admin, ana, *_ = org_setup
    count = Group.objects.count()
    with pytest.raises(GroupError) as refused:
        make_group(org, admin, [ana], title="Nowhere", time_zone="Europe/Atlantis")
    assert refused.value.code == "unknown_time_zone"
    assert Group.objects.count() == count


def test_a_team_member_outside_the_staff_creates_no_group(org_setup):
    org, admin, ana, *_ = org_setup
    stranger = make_facilitator_user("stranger")
    count = Group.objects.count()
    with pytest.raises(GroupError) as refused:
        make_group(org, admin, [ana, stranger], title="Half made")
    assert refused.value.code == "not_staff"
    assert Group.objects.count() == count


def test_only_an_admin_creates_groups(org_setup):
    org, _, ana, *_ = org_setup
    with pytest.raises(GroupError) as refused:
        make_group(org, ana, [ana], title="Own group")
    assert refused.value.code == "forbidden"


def test_maximum_below_current_attendance_is_refused(org_setup):
    *_, ana, _, _, group_a, _ = org_setup
    meeting = schedules.start_now(actor=ana, group=group_a).meeting
    for name in ("Robin", "Sky", "Jo"):
        make_participant(meeting, name)
    with pytest.raises(GroupError) as refused:
        services.group_update(actor=ana, group=group_a, max_attendees=2)
    assert refused.value.code == "max_below_attendance"
    group_a.refresh_from_db()
    assert group_a.max_attendees == 12
    services.group_update(actor=ana, group=group_a, max_attendees=3)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"max_attendees": 0}, "invalid_max_attendees"),
        ({"max_attendees": "9"}, "invalid_max_attendees"),
        ({"duration_minutes": 5}, "invalid_duration_minutes"),
        ({"language": "English"}, "invalid_language"),
        ({"visibility": "private"}, "needs_passcode"),
        ({"visibility": "private", "passcode": "123"}, "weak_passcode"),
        ({"visibility": "secret"}, "invalid_visibility"),
        ({"title": "   "}, "invalid_title"),
        ({"colour": "blue"}, "unknown_field"),
    ],
)
def test_bad_group_settings_are_refused(org_setup, fields, code):
    *_, ana, _, _, group_a, _ = org_setup
    with pytest.raises(GroupError) as refused:
        services.group_update(actor=ana, group=group_a, **fields)
    assert refused.value.code == code


def test_a_private_passcode_is_stored_hashed(org_setup):
    *_, ana, _, _, group_a, _ = org_setup
    services.group_update(actor=ana, group=group_a, visibility="private", passcode="blue-heron")
    group_a.refresh_from_db()
    assert "blue-heron" not in group_a.passcode_hash and group_a.passcode_hash
    assert services.passcode_check(group=group_a, passcode="blue-heron", client="x")
    assert not services.passcode_check(group=group_a, passcode="wrong", client="x")


def test_changing_the_time_zone_moves_future_meetings(org_setup):
    *_, ana, _, _, group_a, _ = org_setup
    weekly(group_a, ana)
    services.group_update(actor=ana, group=group_a, time_zone="America/New_York")
    first = group_a.occurrences.first()
    assert first.starts_at.isoformat() == "2030-03-05T23:00:00+00:00"
    assert first.meeting.starts_at == first.starts_at


def test_peers_of_a_muted_on_entry_group_come_in_muted_and_may_unmute(org_setup):
    from rooms import persistence
    from rooms.services import facilitation

    *_, ana, _, _, group_a, _ = org_setup
    services.group_update(actor=ana, group=group_a, muted_on_entry=True, lobby_default=False)
    group_a.refresh_from_db()
    meeting = schedules.start_now(actor=ana, group=group_a).meeting
    fac, _ = make_participant(meeting, "Ana", role="facilitator")
    peer, _ = make_participant(meeting, "Robin")
    assert (fac.muted_by, peer.muted_by) == (None, "self")
    room = persistence.room_load(meeting=Meeting.objects.get(pk=meeting.pk))
    assert room.members[str(peer.id)].public().audio == "off_by_self"
    facilitation.unmute(meeting_id=str(meeting.id), actor_id=str(peer.id), kind="audio")
    peer.refresh_from_db()
    assert peer.muted_by is None


def test_a_team_facilitator_ends_the_groups_meeting_from_its_page(org_setup, client):
    *_, ana, ben, cai, group_a, _ = org_setup
    meeting = schedules.start_now(actor=ana, group=group_a).meeting
    client.force_login(cai)
    assert client.post(f"/meetings/{meeting.id}/end/").status_code == 404
    client.force_login(ben)
    assert client.post(f"/meetings/{meeting.id}/end/").status_code == 302
    meeting.refresh_from_db()
    assert meeting.ended_at is not None
