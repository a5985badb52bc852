"""Calendar files parse with `icalendar` the way a phone calendar reads them."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from groups import schedules

from .helpers import make_group, make_org, make_staff, weekly

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def group_with_exceptions():
    org, admin = make_org()
    ana = make_staff(org, admin, "ana")
    group = make_group(org, admin, [ana])
    schedule = weekly(group, ana, start=date(2030, 3, 5), until=date(2030, 4, 30))
    schedules.date_skip(actor=ana, schedule=schedule, original_date=date(2030, 3, 12))
    schedules.date_move(
        actor=ana,
        schedule=schedule,
        original_date=date(2030, 4, 2),
        new_local=datetime(2030, 4, 3, 19, 0),
    )
    return group, ana


def events(cal: Calendar):
    return [c for c in cal.walk("VEVENT")]


def test_group_feed_has_tzid_rrule_exdate_and_a_moved_date(client, group_with_exceptions):
    group, _ = group_with_exceptions
    response = client.get(f"/groups/{group.id}/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    text = response.content.decode()
    assert "DTSTART;TZID=Europe/London:20300305T180000" in text
    assert "BEGIN:VTIMEZONE" in text and "TZID:Europe/London" in text
    cal = Calendar.from_ical(response.content)
    main, moved = events(cal)
    assert main["RRULE"]["FREQ"] == ["WEEKLY"] and main["RRULE"]["BYDAY"] == ["TU"]
    assert main.decoded("DTSTART") == datetime(2030, 3, 5, 18, 0, tzinfo=LONDON)
    assert main.decoded("DTSTART").tzinfo.key == "Europe/London"
    exdates = [d.dt for d in main["EXDATE"].dts]
    assert exdates == [datetime(2030, 3, 12, 18, 0, tzinfo=LONDON)]
    assert moved["UID"] == main["UID"]
    assert moved.decoded("RECURRENCE-ID") == datetime(2030, 4, 2, 18, 0, tzinfo=LONDON)
    assert moved.decoded("DTSTART") == datetime(2030, 4, 3, 19, 0, tzinfo=LONDON)
    assert moved.decoded("DTEND") == datetime(2030, 4, 3, 20, 0, tzinfo=LONDON)


def test_the_feed_expands_to_the_same_dates_as_the_schedule(client, group_with_exceptions):
    from dateutil.rrule import rrulestr

    group, _ = group_with_exceptions
    cal = Calendar.from_ical(client.get(f"/groups/{group.id}/calendar.ics").content)
    main, moved = events(cal)
    rule = rrulestr(
        main["RRULE"].to_ical().decode(), dtstart=main.decoded("DTSTART"), forceset=True
    )
    for excluded in main["EXDATE"].dts:
        rule.exdate(excluded.dt)
    rule.exdate(moved.decoded("RECURRENCE-ID"))
    from_feed = sorted([*list(rule), moved.decoded("DTSTART")])
    from_db = [o.starts_at for o in group.occurrences.order_by("starts_at")]
    assert from_feed == from_db


def test_a_meetings_ics_links_to_its_own_invite(client, group_with_exceptions):
    group, _ = group_with_exceptions
    occurrence = group.occurrences.order_by("starts_at")[1]
    response = client.get(f"/groups/meetings/{occurrence.id}/meeting.ics")
    (event,) = events(Calendar.from_ical(response.content))
    invite = f"/join/#{occurrence.meeting.peer_invite}"
    assert str(event["URL"]).endswith(invite) and str(event["LOCATION"]).endswith(invite)
    assert "RRULE" not in event
    assert event.decoded("DTSTART") == occurrence.starts_at


def test_ad_hoc_meetings_appear_in_the_feed_on_their_own(client, group_with_exceptions):
    group, ana = group_with_exceptions
    occurrence = schedules.start_now(actor=ana, group=group)
    cal = Calendar.from_ical(client.get(f"/groups/{group.id}/calendar.ics").content)
    uids = [str(e["UID"]) for e in events(cal)]
    assert any(uid.startswith(f"meeting-{occurrence.id}@") for uid in uids)


def test_private_feeds_and_meeting_files_are_refused_without_the_passcode(client):
    org, admin = make_org()
    ana = make_staff(org, admin, "ana")
    group = make_group(org, admin, [ana], visibility="private", passcode="heron-42")
    occurrence = schedules.start_now(actor=ana, group=group)
    feed = client.get(f"/groups/{group.id}/calendar.ics")
    assert feed.status_code == 403 and "passcode" in feed.content.decode()
    assert client.get(f"/groups/meetings/{occurrence.id}/meeting.ics").status_code == 403
    client.post(f"/groups/{group.id}/", {"passcode": "heron-42"})
    assert client.get(f"/groups/{group.id}/calendar.ics").status_code == 200


def test_a_turned_off_link_is_left_out_of_the_page_and_the_ics(client, group_with_exceptions):
    from rooms.services import invites

    group, _ = group_with_exceptions
    occurrence = group.occurrences.order_by("starts_at")[0]
    invites.link_turn_off(meeting=occurrence.meeting, role="peer")
    page = client.get(f"/groups/meetings/{occurrence.id}/").content.decode()
    assert "turned off" in page and "/join/" not in page
    response = client.get(f"/groups/meetings/{occurrence.id}/meeting.ics")
    (event,) = events(Calendar.from_ical(response.content))
    assert "URL" not in event and "Ask the facilitators" in str(event["DESCRIPTION"])


def test_a_private_groups_calendar_address_works_from_a_calendar_app_until_the_passcode_changes(
    client,
):
    import re

    from django.test import Client

    from groups import services

    org, admin = make_org()
    ana = make_staff(org, admin, "ana")
    group = make_group(org, admin, [ana], visibility="private", passcode="heron-42")
    weekly(group, ana, start=date(2030, 3, 5), until=date(2030, 3, 26))
    client.post(f"/groups/{group.id}/", {"passcode": "heron-42"})
    page = client.get(f"/groups/{group.id}/").content.decode()
    (address,) = re.findall(r'href="https?://[^"/]+(/groups/[^"]+/calendar\.ics\?key=\w+)"', page)
    assert "share it only with people you would give the passcode to" in page

    calendar_app = Client()  # no session, no passcode: only the address
    feed = calendar_app.get(address)
    assert feed.status_code == 200 and len(events(Calendar.from_ical(feed.content))) == 1
    wrong = address[:-4] + ("0000" if not address.endswith("0000") else "1111")
    assert calendar_app.get(wrong).status_code == 403

    services.group_update(actor=ana, group=group, passcode="kingfisher-7")
    assert calendar_app.get(address).status_code == 403
