"""/healthz and /readyz of a web process through the whole ASGI app, on the embedded default
(SQLite or the test database, in-memory layer, the relay in this process)."""

from __future__ import annotations

import json
import logging

import pytest
from channels.testing import ApplicationCommunicator

from meetings.access_log import AccessLog
from meetings.asgi import application


async def _get(path: str, method: str = "GET", host: bytes = b"10.0.0.7:8000") -> tuple[int, bytes]:
    """A probe as compose sends it: plain HTTP, the container's own address as Host."""
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", host)],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(10)
    body = b""
    while True:
        part = await communicator.receive_output(10)
        body += part.get("body", b"")
        if not part.get("more_body"):
            break
    await communicator.wait(5)
    return start["status"], body


async def test_healthz_answers_without_touching_the_database():
    # no django_db mark: a query here would fail the test
    status, body = await _get("/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok", "checks": {}}


@pytest.mark.django_db(transaction=True)
async def test_readyz_checks_database_layer_and_the_embedded_relay(settings):
    settings.ALLOWED_HOSTS = ["meet.example.org"]  # the probe's Host is not one of them
    settings.SECURE_SSL_REDIRECT = True  # nor is it HTTPS
    status, body = await _get("/readyz")
    report = json.loads(body)
    assert status == 200, report
    assert report["status"] == "ok"
    assert set(report["checks"]) == {"database", "channel_layer", "media_worker"}
    for check in report["checks"].values():
        assert check["ok"] is True and 0 <= check["ms"] < 1000
    # only the probes skip those: any other page still needs the right host and HTTPS
    assert (await _get("/accounts/login/"))[0] == 400


@pytest.mark.django_db(transaction=True)
async def test_head_answers_without_a_body_and_post_is_not_a_probe():
    assert await _get("/readyz", method="HEAD") == (200, b"")
    status, _ = await _get("/readyz", method="POST", host=b"127.0.0.1:8000")
    assert status == 404


async def test_a_chat_only_service_does_not_wait_for_a_media_worker(settings):
    from ops.health import readiness_checks

    settings.MEDIA_ENABLED = False
    assert set(readiness_checks()) == {"database", "channel_layer"}


@pytest.mark.parametrize(("path", "status", "written"), [
    ("/readyz", 200, False), ("/healthz", 200, False), ("/readyz", 503, True),
    ("/healthz?x=1", 200, False), ("/meetings/", 200, True),
])  # fmt: skip
async def test_passing_probes_stay_out_of_the_access_log(path, status, written, caplog):
    async def answer(scope, receive, send):
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    path, _, query = path.partition("?")
    scope = {"type": "http", "method": "GET", "path": path, "query_string": query.encode()}
    caplog.set_level(logging.INFO, logger="meetings.access")
    await AccessLog(answer)(scope, None, _ignore)
    assert any(r.getMessage() == "http request" for r in caplog.records) == written


async def _ignore(message: dict) -> None:
    pass
