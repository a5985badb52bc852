"""A real daphne, started the way the Docker image starts it, writes an access log (JSON
lines) without invite secrets or client addresses, whether a link is new-style (secret in
the fragment) or old-style (secret in the path)."""

from __future__ import annotations

import http.cookiejar
import json
import re
import shlex
import urllib.parse
import urllib.request

import pytest

from tests import log_lines, servers
from tests.servers import ROOT


def _image_command() -> list[str]:
    """The daphne arguments of the Dockerfile's CMD, moved to a free loopback port."""
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", (ROOT / "Dockerfile").read_text(), re.M)[1])
    served = shlex.split(cmd[-1].split("exec ", 1)[1])
    assert served[:3] == ["python", "-m", "meetings.serve"], served
    return served[1:]


@pytest.mark.timeout(120)
def test_access_log_holds_no_invite_secret_and_no_client_address(tmp_path):
    # LOG_LEVEL as the image has it (the tests' default, WARNING, leaves access lines out)
    env = servers.server_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", LOG_LEVEL="INFO")
    servers.manage(env, "migrate", "-v0")
    demo = servers.seed_demo(env)
    port = servers.free_port()
    args = [{"0.0.0.0": "127.0.0.1", "8000": str(port)}.get(a, a) for a in _image_command()]
    log = tmp_path / "daphne.log"
    base = f"http://127.0.0.1:{port}"
    with servers._process(args, env, log, lambda: servers._listening(port)):
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        # new-style: the page, then its form POST of the fragment's secret
        browser.open(f"{base}/join/", timeout=10).read()
        csrf = next(c.value for c in jar if c.name == "csrftoken")
        form = urllib.parse.urlencode({"invite": demo.peer_invite, "csrfmiddlewaretoken": csrf})
        room = browser.open(f"{base}/join/", data=form.encode(), timeout=10)
        assert room.url == f"{base}/join/{demo.meeting_id}/"
        # old-style: the secret in the path, redirected to the same secret-free URL
        old = browser.open(f"{base}/join/{demo.cofacilitator_invite}/?utm=x", timeout=10)
        assert old.url == f"{base}/join/{demo.meeting_id}/"
        servers.join_over_http(base, demo.peer_invite, "Quiet Lark")
        browser.open(f"{base}/static/css/app.css", timeout=10).read()
    written = log.read_text()
    access = [line for line in log_lines.parsed(written) if line["logger"] == "meetings.access"]
    requests = [
        (a["method"], a["path"], a["status"]) for a in access if a["event"] == "http request"
    ]

    assert demo.peer_invite not in written and demo.cofacilitator_invite not in written
    assert ("GET", "/join/[invite]/", 302) in requests
    assert ("POST", "/join/", 302) in requests and ("POST", "/api/join/", 201) in requests
    assert ("GET", f"/join/{demo.meeting_id}/", 200) in requests
    # the server says where it listens; no line says where a client came from
    assert "127.0.0.1" not in json.dumps(access) and "utm" not in written
