"""Crisis resources: configured per deployment, with a default, on every screen of a meeting."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from meetings import crisis
from tests.factories import make_meeting

pytestmark = pytest.mark.django_db

OURS = [{"region": "Wales", "lines": [{"name": "CALL helpline", "phone": "0800 132 737"}]}]


def _room_page(client) -> str:
    meeting = make_meeting()
    return client.get(f"/join/{meeting.peer_invite}/", follow=True).content.decode()


def test_the_default_list_has_the_us_and_uk_lines(client):
    page = _room_page(client)
    for line in (
        "988 Suicide &amp; Crisis Lifeline",
        "Call 988",
        "Call 116 123",
        'href="tel:116123"',
    ):
        assert line in page
    # one step away on every screen: the header's button, the goodbye screen, the dialogs
    assert 'id="crisis-button"' in page
    assert (
        page.count("data-crisis-resources") == 3
    )  # the goodbye, the crisis dialog, "I need support"


def test_a_deployment_sets_its_own_from_a_json_file(client, settings, tmp_path, monkeypatch):
    settings.CRISIS_RESOURCES = None
    path = tmp_path / "lines.json"
    path.write_text(json.dumps(OURS))
    monkeypatch.setenv("CRISIS_RESOURCES_FILE", str(path))
    page = _room_page(client)
    assert "CALL helpline" in page and "Call 0800 132 737" in page
    assert "988" not in page


def test_or_from_the_setting(settings):
    settings.CRISIS_RESOURCES = OURS
    assert [r.region for r in crisis.crisis_resources()] == ["Wales"]


@pytest.mark.parametrize(
    "bad",
    [
        [],
        [{"region": "Nowhere", "lines": [{"name": "No way to reach it"}]}],
        [{"region": "X", "lines": [{"name": "Y", "url": "javascript:alert(1)"}]}],
        [{"region": "X", "lines": [{"name": "Y", "phone": "1", "fax": "2"}]}],
        {"region": "not a list"},
    ],
)
def test_a_wrong_list_fails_loudly_not_blank(settings, bad):
    settings.CRISIS_RESOURCES = bad
    with pytest.raises(ImproperlyConfigured):
        crisis.crisis_resources()


def test_a_missing_file_fails_loudly(settings, monkeypatch, tmp_path):
    settings.CRISIS_RESOURCES = None
    monkeypatch.setenv("CRISIS_RESOURCES_FILE", str(tmp_path / "missing.json"))
    with pytest.raises(ImproperlyConfigured):
        crisis.crisis_resources()
