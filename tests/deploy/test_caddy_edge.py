"""The real edge: Caddy with deploy/Caddyfile (TLS from its internal CA) in front of daphne
started as the image starts it, in production mode. Every kind of response through it,
down to daphne's refusal of a WebSocket upgrade, carries the security headers; Django
sees HTTPS through the forwarded header and marks its cookies Secure; the health probes
are not served to the internet; each request's id is Caddy's, and the access log has it."""

from __future__ import annotations

import base64
import contextlib
import http.client
import http.cookiejar
import json
import os
import shutil
import ssl
import subprocess
import time
import urllib.request
import uuid

import pytest

from meetings.security_headers import CONTENT_SECURITY_POLICY
from tests import log_lines, servers
from tests.integration.test_access_log import _image_command

ROOT = servers.ROOT
PROBES = ("/healthz", "/readyz", "/readyz/", "/%72eadyz")
pytestmark = pytest.mark.skipif(not shutil.which("caddy"), reason="caddy not installed")


@contextlib.contextmanager
def _caddy(tmp_path, daphne_port: int, https_port: int):
    text = (ROOT / "deploy" / "Caddyfile").read_text()
    # test-only: free ports, a private storage dir, no system trust store, loopback daphne
    text = text.replace(
        "\tadmin off\n",
        f"\tadmin off\n\thttp_port {servers.free_port()}\n\thttps_port {https_port}\n"
        f"\tskip_install_trust\n\tstorage file_system {tmp_path / 'caddy'}\n",
    )
    assert "reverse_proxy web:8000" in text
    text = text.replace("reverse_proxy web:8000", f"reverse_proxy 127.0.0.1:{daphne_port}")
    config = tmp_path / "Caddyfile"
    config.write_text(text)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "SITE_ADDRESS": "localhost"}
    with open(tmp_path / "caddy.log", "w") as log:
        process = subprocess.Popen(
            ["caddy", "run", "--config", str(config), "--adapter", "caddyfile"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        root = tmp_path / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        deadline = time.monotonic() + 30
        while not (root.exists() and servers._listening(https_port)):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / "caddy.log").read_text())
            time.sleep(0.2)
        yield ssl.create_default_context(cafile=str(root))
    finally:
        process.terminate()
        process.wait(10)


def _request(context, port, path, method="GET", headers=None) -> http.client.HTTPResponse:
    connection = http.client.HTTPSConnection("localhost", port, context=context, timeout=15)
    connection.request(method, path, headers={"Host": f"localhost:{port}", **(headers or {})})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.mark.timeout(120)
def test_every_response_through_caddy_is_protected_and_https_is_seen(tmp_path):
    https_port, daphne_port = servers.free_port(), servers.free_port()
    env = servers.server_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        PRODUCTION="true",
        TRUST_PROXY_HEADERS="true",
        DJANGO_SECRET_KEY=base64.b64encode(os.urandom(39)).decode(),
        ALLOWED_HOSTS="localhost",
        PUBLIC_BASE_URL=f"https://localhost:{https_port}",
        SERVE_STATIC="true",
        LOG_LEVEL="INFO",  # as the image has it: access lines are written
    )
    servers.manage(env, "migrate", "-v0")
    demo = servers.seed_demo(env)
    args = [{"0.0.0.0": "127.0.0.1", "8000": str(daphne_port)}.get(a, a) for a in _image_command()]
    with (
        servers._process(args, env, tmp_path / "daphne.log", lambda: servers._listening(daphne_port)),
        _caddy(tmp_path, daphne_port, https_port) as tls,
    ):  # fmt: skip
        kinds = {
            "page": _request(
                tls, https_port, "/accounts/login/", headers={"X-Request-ID": "client-made-id-1"}
            ),
            "redirect": _request(tls, https_port, "/meetings/"),
            "404": _request(tls, https_port, "/no/such/page/"),
            "static": _request(tls, https_port, "/static/css/app.css"),
            "websocket upgrade refused": _request(
                tls,
                https_port,
                "/ws/meetings/00000000-0000-0000-0000-000000000000/",
                headers={
                    "Connection": "Upgrade",
                    "Upgrade": "websocket",
                    "Sec-WebSocket-Version": "13",
                    "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
                    "Origin": "https://evil.example",
                },
            ),
        }
        device_cookie = _join_device_cookie(tls, https_port, demo.peer_invite)
        probes = {path: _request(tls, https_port, path).status for path in PROBES}
        with urllib.request.urlopen(f"http://127.0.0.1:{daphne_port}/healthz", timeout=10) as r:
            assert r.status == 200  # inside, where compose's health check asks, it answers

    # the probes are for the internal network: through the edge they are not found
    assert probes == dict.fromkeys(PROBES, 404)
    statuses = {kind: r.status for kind, r in kinds.items()}
    assert statuses == {
        "page": 200, "redirect": 302, "404": 404, "static": 200, "websocket upgrade refused": 403,
    }  # fmt: skip
    # the request id is Caddy's, not the client's, and the access log line carries it
    given = kinds["page"].getheader("X-Request-ID")
    assert str(uuid.UUID(given)) == given
    access = [
        (line["path"], line.get("request_id"))
        for line in log_lines.read(tmp_path / "daphne.log")
        if line.get("event") == "http request"
    ]
    assert ("/accounts/login/", given) in access
    assert "client-made-id-1" not in (tmp_path / "daphne.log").read_text()
    for kind, response in kinds.items():
        assert response.getheader("Content-Security-Policy") == CONTENT_SECURITY_POLICY, kind
        assert response.getheader("Strict-Transport-Security", "").startswith("max-age="), kind
        assert response.getheader("X-Content-Type-Options") == "nosniff", kind
        assert response.getheader("Referrer-Policy") == "same-origin", kind
        assert response.getheader("Server") is None, kind
    # Django saw https (from Caddy's X-Forwarded-Proto): its cookies are Secure
    cookies = kinds["page"].getheader("Set-Cookie", "")
    assert "csrftoken=" in cookies and "Secure" in cookies and "HttpOnly" in cookies
    assert kinds["redirect"].getheader("Location").startswith("/accounts/login/")
    # the join sets its device cookie Secure only when Django sees HTTPS; a client's own
    # "X-Forwarded-Proto: http" was replaced by Caddy's, not believed
    assert "pm_device=" in device_cookie and "Secure" in device_cookie


def _join_device_cookie(tls, port: int, invite: str) -> str:
    base = f"https://localhost:{port}"
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=tls), urllib.request.HTTPCookieProcessor(jar)
    )
    opener.open(f"{base}/join/{invite}/", timeout=15).read()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    request = urllib.request.Request(
        f"{base}/api/join/",
        data=json.dumps(
            {
                "invite": invite,
                "display_name": "Safe Swift",
                "media": "text_only",
                "agreement_accepted": True,
            }
        ).encode(),
        headers={
            "Content-Type": "application/json",
            "X-CSRFToken": csrf,
            "Origin": base,
            "Referer": base + "/",
            "X-Forwarded-Proto": "http",
        },
        method="POST",
    )
    with opener.open(request, timeout=15) as response:
        assert response.status == 201
        return response.headers.get("Set-Cookie", "")
