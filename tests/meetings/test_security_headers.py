"""Every kind of HTTP response carries the browser-side protections, through the whole ASGI
app (so static files and Django's error pages too); production settings refuse to start
unsafe."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from asgiref.sync import sync_to_async
from channels.testing import ApplicationCommunicator

from meetings.asgi import application
from meetings.security_headers import CONTENT_SECURITY_POLICY
from tests.factories import make_meeting
from tests.servers import ROOT

pytestmark = pytest.mark.django_db(transaction=True)


async def _get(path: str, method: str = "GET", body: bytes = b"", headers=()) -> tuple[int, dict]:
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:8000"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": body})
    start = await communicator.receive_output(10)
    while (await communicator.receive_output(10)).get("more_body"):
        pass
    await communicator.wait(5)
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}


async def _kinds_of_response() -> dict[str, str]:
    meeting = await sync_to_async(make_meeting)()
    return {
        "home page": "/",
        "sign-in page": "/accounts/login/",
        "redirect to sign-in": "/meetings/",
        "invite link page": "/join/",
        "old-style invite link (redirect)": f"/join/{meeting.peer_invite}/",
        "join page without an exchanged invite (404)": f"/join/{meeting.id}/",
        "unknown invite (404 page)": "/join/not-a-real-invite/",
        "unknown path (404)": "/no/such/page/",
        "stylesheet": "/static/css/app.css",
        "script": "/static/js/room.js",
        "missing static file": "/static/js/nope.js",
        "wrong method (405)": "/api/join/",
    }


async def test_every_kind_of_response_has_the_security_headers():
    kinds = await _kinds_of_response()
    seen_statuses = set()
    for kind, path in kinds.items():
        status, headers = await _get(path)
        seen_statuses.add(status)
        _assert_protected(kind, headers)
    status, headers = await _get("/api/join/", "POST", b"{}", [(b"content-type", b"text/json")])
    seen_statuses.add(status)  # no CSRF token: Django's 403 page
    _assert_protected("CSRF refusal", headers)
    assert {200, 302, 403, 404, 405} <= seen_statuses


def _assert_protected(kind: str, headers: dict) -> None:
    csp = headers.get("content-security-policy", "")
    assert csp == CONTENT_SECURITY_POLICY, kind
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'", kind
    assert "unsafe" not in csp, kind
    assert directives["frame-ancestors"] == "'none'", kind
    permissions = headers.get("permissions-policy", "")
    assert "camera=(self)" in permissions and "microphone=(self)" in permissions, kind
    assert "geolocation=()" in permissions, kind
    assert headers.get("referrer-policy") == "same-origin", kind
    assert headers.get("x-content-type-options") == "nosniff", kind
    assert headers.get("x-frame-options") == "DENY", kind


def test_pages_hold_no_inline_script_or_style():
    """The CSP would block them; the Chromium test shows none is built at run time either."""
    templates = [*ROOT.glob("frontend/templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]
    assert len(templates) > 10
    for template in templates:
        text = template.read_text()
        assert "style=" not in text and "<style" not in text, template
        for tag in text.split("<script")[1:]:
            opening = tag.split(">", 1)[0]
            assert "src=" in opening or "application/json" in opening, template
        assert " onclick=" not in text and " onload=" not in text, template


def _settings_check(**env: str) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "meetings.settings"}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings;"
         "import json; print(json.dumps([settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE,"
         " settings.SECURE_HSTS_SECONDS, getattr(settings, 'SECURE_PROXY_SSL_HEADER', None)]))"],
        cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


GOOD = {
    "PRODUCTION": "true",
    "DJANGO_SECRET_KEY": "q8V3nZ0rT5yW1xL7mK2pJ9hG4fD6sA0bC3eR8tY1uI5oP7wE2aZ",
    "ALLOWED_HOSTS": "meet.example.org",
    "PUBLIC_BASE_URL": "https://meet.example.org",
    "TRUST_PROXY_HEADERS": "true",
}


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"DJANGO_SECRET_KEY": ""}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "embedded-default-not-for-production"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "changeme"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "q8V3nZ0rT5yW1xL7mK2pJ9hG4fD6sA0bC3eR8tY1"}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": "a" * 50}, "DJANGO_SECRET_KEY"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS"),
        ({"PUBLIC_BASE_URL": "http://meet.example.org"}, "PUBLIC_BASE_URL"),
        ({"DJANGO_DEBUG": "true"}, "DJANGO_DEBUG"),
    ],
)
def test_production_mode_refuses_to_start_unsafe(change, complaint):
    env = {k: v for k, v in {**GOOD, **change}.items() if v}
    result = _settings_check(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and complaint in result.stderr


def test_production_mode_starts_with_https_cookies_hsts_and_the_proxy_header():
    result = _settings_check(**GOOD)
    assert result.returncode == 0, result.stderr
    secure_session, secure_csrf, hsts, proxy = json.loads(result.stdout)
    assert secure_session and secure_csrf and hsts >= 15552000
    assert proxy == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_without_the_proxy_setting_a_forwarded_proto_header_is_not_trusted():
    result = _settings_check(**{**GOOD, "TRUST_PROXY_HEADERS": "false"})
    assert json.loads(result.stdout)[3] is None
