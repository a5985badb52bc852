"""Facilitator sign-in resists guessing: lock-out, password rules, no admin, a local-only demo."""

import importlib
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import clear_url_caches

from meetings.auth import DEMO_PASSWORD
from tests.factories import make_facilitator_user

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "walnut-harbour-lantern"


def sign_in(client, username, password, **meta):
    return client.post("/accounts/login/", {"username": username, "password": password}, **meta)


def signed_in(client) -> bool:
    return client.get("/meetings/").status_code == 200


def test_wrong_passwords_lock_out_the_address_with_a_clear_page(client, settings):
    settings.AXES_FAILURE_LIMIT = 5
    user = make_facilitator_user("fern")
    user.set_password(GOOD_PASSWORD)
    user.save()
    for attempt in range(4):
        response = sign_in(client, "fern", f"guess-{attempt}", REMOTE_ADDR="203.0.113.9")
        assert response.status_code == 200 and "did not match" in response.content.decode()
    locked = sign_in(client, "fern", "guess-5", REMOTE_ADDR="203.0.113.9")
    assert locked.status_code == 429
    assert "Sign-in paused" in locked.content.decode() and "15 minutes" in locked.content.decode()
    # Even the right password is refused from there now...
    assert sign_in(client, "fern", GOOD_PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 429
    assert not signed_in(client)
    # ...while the facilitator, from their own network, is not locked out by someone else.
    response = sign_in(client, "fern", GOOD_PASSWORD, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 302 and signed_in(client)


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("8364917203", "entirely numeric"),
        ("alexandra-pine", "too similar"),
    ],
)
def test_create_facilitator_refuses_weak_passwords(password, says):
    with pytest.raises(CommandError, match=says):
        call_command("create_facilitator", "alexandra-pine", "--password", password)
    assert not get_user_model().objects.filter(username="alexandra-pine").exists()


def test_create_facilitator_with_a_strong_password_can_sign_in(client):
    call_command("create_facilitator", "alex", "--password", GOOD_PASSWORD)
    assert sign_in(client, "alex", GOOD_PASSWORD).status_code == 302 and signed_in(client)


def test_create_facilitator_reads_the_password_from_stdin_when_not_given(client):
    call_command(
        "create_facilitator", "sam", stdin=StringIO(GOOD_PASSWORD + "\n"), stdout=StringIO()
    )
    assert sign_in(client, "sam", GOOD_PASSWORD).status_code == 302 and signed_in(client)
    with pytest.raises(CommandError, match="too common"):
        call_command("create_facilitator", "kim", stdin=StringIO("password123\n"))


def reload_urls():
    import meetings.urls

    importlib.reload(meetings.urls)
    clear_url_caches()


def test_admin_is_off_unless_enabled(client):
    assert client.get("/admin/").status_code == 404
    try:
        with override_settings(ADMIN_ENABLED=True):
            reload_urls()
            response = client.get("/admin/")
            assert response.status_code == 302 and "/admin/login/" in response.url
    finally:
        reload_urls()
    assert client.get("/admin/").status_code == 404


LOCAL = {"SERVER_NAME": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "testserver"}


def test_the_demo_password_works_only_on_a_loopback_server_from_this_machine(client):
    call_command("demo")
    assert sign_in(client, "facilitator", DEMO_PASSWORD, **LOCAL).status_code == 302
    client.logout()
    for meta in (
        {
            **LOCAL,
            "SERVER_NAME": "192.0.2.10",
            "REMOTE_ADDR": "192.0.2.44",
        },  # bound beyond loopback
        {**LOCAL, "HTTP_X_FORWARDED_FOR": "192.0.2.44"},  # a proxy in front of loopback
    ):
        response = sign_in(client, "facilitator", DEMO_PASSWORD, **meta)
        assert response.status_code == 200 and not signed_in(client)


@pytest.mark.parametrize("bind", ["0.0.0.0", "192.0.2.10", "::"])
def test_demo_refuses_to_exist_beyond_loopback(bind):
    with pytest.raises(CommandError, match="No demo"):
        call_command("demo", "--bind", bind)
    assert not get_user_model().objects.filter(username="facilitator").exists()


def test_a_demo_left_from_a_loopback_run_is_switched_off_on_a_public_bind(client):
    call_command("demo", "--bind", "127.0.0.1")
    with pytest.raises(CommandError):
        call_command("demo", "--bind", "0.0.0.0")
    user = get_user_model().objects.get(username="facilitator")
    assert not user.has_usable_password()
    assert sign_in(client, "facilitator", DEMO_PASSWORD, **LOCAL).status_code == 200
    # Served on loopback again, the demo works again.
    call_command("demo", "--bind", "127.0.0.1", stdout=StringIO())
    assert sign_in(client, "facilitator", DEMO_PASSWORD, **LOCAL).status_code == 302


def test_an_account_with_its_own_password_is_not_touched_by_the_demo_guard():
    user = make_facilitator_user("facilitator")
    user.set_password(GOOD_PASSWORD)
    user.save()
    with pytest.raises(CommandError):
        call_command("demo", "--bind", "0.0.0.0")
    assert get_user_model().objects.get(username="facilitator").check_password(GOOD_PASSWORD)


def test_purge_forgets_failed_sign_ins_once_they_can_no_longer_lock_anyone_out(client):
    from datetime import timedelta

    from axes.models import AccessAttempt
    from django.utils import timezone

    sign_in(client, "fern", "guess", REMOTE_ADDR="203.0.113.9")
    sign_in(client, "fern", "guess", REMOTE_ADDR="198.51.100.7")
    assert AccessAttempt.objects.count() == 2
    AccessAttempt.objects.filter(ip_address="203.0.113.9").update(
        attempt_time=timezone.now() - timedelta(minutes=16)
    )
    call_command("purge", stdout=StringIO())
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["198.51.100.7"]
