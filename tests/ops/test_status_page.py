"""The status page and its JSON through Django's test client: who may see it, what it
counts, and that no participant's name ever appears."""

import io
import json
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from groups import schedules
from groups.models import Group
from ops import error_counts
from ops.models import ErrorCount
from rooms.models import Participant
from tests.factories import make_facilitator_user, make_meeting, make_participant
from tests.groups.helpers import make_group, make_org, make_staff

pytestmark = pytest.mark.django_db

MARKER = "Zebra Marker Quill"


def _in_room(meeting, name, media="camera_mic", connection="online", status="admitted"):
    participant, _ = make_participant(meeting, name, media=media)
    Participant.objects.filter(pk=participant.pk).update(status=status, connection=connection)
    return participant


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _staff():
    return get_user_model().objects.create_user("operator", password="x", is_staff=True)


def test_anonymous_visitor_is_sent_to_sign_in_and_the_json_refuses():
    page = _client().get("/ops/status/")
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/login/?next=/ops/status/")
    assert _client().get("/ops/status.json").status_code == 403


def test_a_facilitator_who_is_not_an_admin_is_refused():
    plain = make_facilitator_user()
    org, admin = make_org()
    on_team = make_staff(org, admin)
    for user in (plain, on_team):
        page = _client(user).get("/ops/status/")
        assert page.status_code == 403
        assert "for organisation admins" in page.content.decode()
        assert _client(user).get("/ops/status.json").status_code == 403


def test_staff_see_live_meetings_counted_by_state_and_media_without_names():
    meeting = make_meeting(title="Thursday evening circle")
    _in_room(meeting, MARKER)
    _in_room(meeting, "Second Person", media="text_only")
    _in_room(meeting, "Third Person", connection="reconnecting")
    _in_room(meeting, "Knocking Person", status="lobby")
    _in_room(meeting, "Gone Person", connection="offline", status="left")
    quiet = make_meeting(title="Nobody here yet")
    make_participant(quiet, "Offline Person")

    client = _client(_staff())
    html = client.get("/ops/status/").content.decode()
    figures = client.get("/ops/status.json").json()

    assert [m["title"] for m in figures["meetings"]] == ["Thursday evening circle"]
    row = figures["meetings"][0]
    assert (row["in_room"], row["reconnecting"], row["lobby"]) == (2, 1, 1)
    assert (row["camera_mic"], row["text_only"]) == (2, 1)
    assert figures["totals"]["people"] == 4
    assert "Thursday evening circle" in html and "Nobody here yet" not in html
    for shown in (html, json.dumps(figures)):
        for name in (MARKER, "Second Person", "Third Person", "Knocking Person"):
            assert name not in shown
    # the embedded default, before anyone joined media in this process
    assert figures["media"]["mode"] == "embedded"
    assert "The built-in relay starts with the first person" in html


def test_an_organisation_admin_sees_only_their_organisations_meetings():
    org, admin = make_org()
    other_org, _ = make_org()
    ours = schedules.start_now(actor=admin, group=make_group(org, admin, [admin])).meeting
    other_admin = other_org.staff.get().user
    theirs_group = make_group(other_org, other_admin, [other_admin], title="Their circle")
    theirs = schedules.start_now(actor=other_admin, group=theirs_group).meeting
    loose = make_meeting(title="A facilitator's own meeting")
    for meeting in (ours, theirs, loose):
        _in_room(meeting, MARKER)

    # an admin finds the page from their groups page
    assert 'href="/ops/status/"' in _client(admin).get("/groups/manage/").content.decode()
    figures = _client(admin).get("/ops/status.json").json()
    assert [(m["organisation"], m["group"]) for m in figures["meetings"]] == [
        ("Riverside Peer Support", "Tuesday anxiety circle")
    ]
    everything = _client(_staff()).get("/ops/status.json").json()
    assert len(everything["meetings"]) == 3


def test_a_one_to_one_session_is_not_shown_by_its_title():
    org, admin = make_org()
    session = make_group(org, admin, [admin], title="Session with Sam", kind="one_to_one")
    assert session.kind == Group.Kind.ONE_TO_ONE
    meeting = schedules.start_now(actor=admin, group=session).meeting
    _in_room(meeting, MARKER)
    html = _client(admin).get("/ops/status/").content.decode()
    assert "One-to-one session" in html and "Sam" not in html


def test_errors_sent_in_the_last_hour_are_counted_by_code():
    now = timezone.now().replace(second=0, microsecond=0)
    error_counts.write({(now, "forbidden"): 2, (now, "rate_limited"): 1})
    error_counts.write({(now, "forbidden"): 1})
    error_counts.write({(now - timedelta(hours=2), "internal"): 5})  # too old to show

    figures = _client(_staff()).get("/ops/status.json").json()
    assert [(e["code"], e["count"]) for e in figures["errors"]] == [
        ("forbidden", 3),
        ("rate_limited", 1),
    ]
    assert figures["errors"][0]["meaning"]  # what the page was told, from the protocol
    assert figures["totals"]["errors"] == 4


@pytest.mark.django_db(transaction=True)  # the flush writes on a database thread
def test_recorded_errors_reach_the_table_after_a_flush():
    error_counts._pending.clear()  # what earlier tests in this process left unflushed

    async def send_some():
        error_counts.record("forbidden")
        error_counts.record("forbidden")
        error_counts.record("bad_json")
        await error_counts.flush()

    async_to_sync(send_some)()
    assert dict(ErrorCount.objects.values_list("code", "count")) == {"forbidden": 2, "bad_json": 1}


def test_purge_deletes_error_counts_older_than_a_day():
    now = timezone.now().replace(second=0, microsecond=0)
    error_counts.write({(now - timedelta(hours=25), "forbidden"): 1, (now, "forbidden"): 1})
    call_command("purge", stdout=io.StringIO())
    assert list(ErrorCount.objects.values_list("minute", flat=True)) == [now]


def test_a_registry_that_does_not_answer_is_said_and_the_meetings_still_show(settings, monkeypatch):
    from redis.asyncio import Redis

    from media.registry import Registry
    from signaling import media_bridge

    nowhere = "redis://127.0.0.1:9/0"  # the discard port: nothing listens there
    settings.MEDIA_REGISTRY_URL = nowhere
    monkeypatch.setattr(
        media_bridge, "registry", lambda: Registry(lambda: Redis.from_url(nowhere), "x")
    )
    _in_room(make_meeting(title="Thursday evening circle"), MARKER)

    client = _client(_staff())
    figures = client.get("/ops/status.json").json()
    assert "registry did not answer" in figures["media"]["problem"]
    assert [m["title"] for m in figures["meetings"]] == ["Thursday evening circle"]
    assert "registry did not answer" in client.get("/ops/status/").content.decode()
