"""Joins are throttled per address and per browser, with an error the page can show."""

import json

import pytest

from meetings.views import DEVICE_COOKIE
from tests.factories import make_meeting

pytestmark = pytest.mark.django_db


def join(client, meeting, address, name="Calm Heron"):
    body = {
        "invite": meeting.peer_invite,
        "display_name": name,
        "media": "text_only",
        "agreement_accepted": True,
    }
    return client.post(
        "/api/join/", data=json.dumps(body), content_type="application/json", REMOTE_ADDR=address
    )


def test_joins_from_one_address_are_throttled_and_others_are_not(client, settings):
    settings.JOIN_RATE_PER_ADDRESS = "3/h"
    settings.JOIN_RATE_PER_DEVICE = "100/h"
    meeting = make_meeting()
    for _ in range(3):
        client.cookies.clear()
        assert join(client, meeting, "203.0.113.9").status_code == 201
    client.cookies.clear()
    refused = join(client, meeting, "203.0.113.9")
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "too_many_joins" and "wait a minute" in error["message"]
    assert meeting.participants.count() == 3
    assert join(client, meeting, "198.51.100.7").status_code == 201


def test_joins_from_one_browser_are_throttled_whatever_its_address(client, settings):
    settings.JOIN_RATE_PER_ADDRESS = "100/h"
    settings.JOIN_RATE_PER_DEVICE = "2/h"
    meeting = make_meeting()
    # The first join gives the browser its cookie; from then on it is counted.
    assert join(client, meeting, "203.0.113.1").status_code == 201
    assert DEVICE_COOKIE in client.cookies
    assert join(client, meeting, "203.0.113.2").status_code == 201
    assert join(client, meeting, "203.0.113.3").status_code == 201
    assert join(client, meeting, "203.0.113.4").json()["error"]["code"] == "too_many_joins"
    # Another browser on the same network still gets in.
    client.cookies.clear()
    assert join(client, meeting, "203.0.113.4").status_code == 201
