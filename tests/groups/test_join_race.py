"""Many people joining a nearly full meeting at once: exactly the maximum get in."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from groups import schedules, services
from rooms.errors import RoomError
from tests.factories import make_participant

from .helpers import make_group, make_org, make_staff

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_joins_never_pass_the_maximum():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL behaviour; SQLite serialises writes anyway")
    org, admin = make_org()
    ana = make_staff(org, admin, "ana")
    group = make_group(org, admin, [ana])
    services.group_update(actor=ana, group=group, max_attendees=3)
    meeting = schedules.start_now(actor=ana, group=group).meeting

    def try_join(index):
        try:
            make_participant(meeting, f"Peer {index}")
            return "in"
        except RoomError as exc:
            return exc.code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(try_join, range(8)))
    assert results.count("in") == 3 and results.count("meeting_full") == 5
    assert meeting.participants.count() == 3
