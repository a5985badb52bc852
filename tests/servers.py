"""Real server processes for integration and browser tests: migrate, seed, serve with daphne."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
# The staff account of the status page's deployment (tests/conftest.py, status_deployment).
STATUS_OPERATOR = ("operator", "status-page-operator-1")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@dataclass
class Demo:
    meeting_id: str
    peer_invite: str
    cofacilitator_invite: str
    username: str
    password: str


def seed_demo(env: dict) -> Demo:
    # Peers come in with sound at once: most browser tests listen for it.
    out = manage(env, "demo", "--password", "peer-support", "--peers-join-unmuted")
    return Demo(
        meeting_id=re.search(r"/meetings/([0-9a-f-]{36})/room/", out).group(1),
        peer_invite=re.search(r"Peer invite link: +\S+/join/#(\S+)", out).group(1),
        cofacilitator_invite=re.search(r"Co-facilitator link: \S+/join/#(\S+)", out).group(1),
        username="facilitator",
        password="peer-support",
    )


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for several processes to share; dropped afterwards."""
    import psycopg

    name = f"meetings_it_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(
        "host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True
    ) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True
        ) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def seeded_on_redis(
    redis_url: str = "redis://127.0.0.1:6379/0", **overrides: str
) -> Iterator[tuple[dict, Demo]]:
    """Production's shape: a fresh PostgreSQL database, real Redis under a prefix of its own,
    migrated and seeded with the demo meeting; yields the server environment and the demo."""
    with postgres_database() as database_url:
        env = server_env(
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            CHANNEL_PREFIX=f"it-{uuid.uuid4().hex[:8]}",
            **overrides,
        )
        manage(env, "migrate", "-v0")
        yield env, seed_demo(env)


@contextlib.contextmanager
def _process(
    args: list[str], env: dict, log_path: Path, ready
) -> Iterator[subprocess.Popen[bytes]]:
    """Runs a server process from the repository root until `ready()` is true; stops it after."""
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 30
            while not ready():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{args[:3]} did not start:\n{log_path.read_text()}")
                time.sleep(0.1)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def serve_args(port: int) -> list[str]:
    """Python's arguments for a web process on a loopback port, started as the image and
    scripts/serve start it (meetings/serve.py: daphne with the project's access log)."""
    return ["-m", "meetings.serve", "-b", "127.0.0.1", "-p", str(port), "meetings.asgi:application"]


@contextlib.contextmanager
def daphne(env: dict, log_path: Path) -> Iterator[str]:
    """Serves the ASGI app on a free loopback port; yields its base URL."""
    with daphne_process(env, log_path) as (base_url, _):
        yield base_url


@contextlib.contextmanager
def daphne_process(env: dict, log_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`daphne`, also yielding the process, for tests that kill or stop it."""
    port = free_port()
    with _process(serve_args(port), env, log_path, lambda: _listening(port)) as process:
        yield f"http://127.0.0.1:{port}", process


@contextlib.contextmanager
def two_web_processes_on_redis(
    log_dir: Path, **overrides: str
) -> Iterator[tuple[Demo, str, subprocess.Popen[bytes], str]]:
    """Two daphne processes sharing real Redis and a fresh PostgreSQL (``seeded_on_redis``),
    logging to a.log and b.log in ``log_dir``: yields the demo, A's URL and process (for a
    test to kill or stop), and B's URL."""
    with (
        seeded_on_redis(**overrides) as (env, demo),
        daphne_process(env, log_dir / "a.log") as (server_a, process_a),
        daphne(env, log_dir / "b.log") as server_b,
    ):
        yield demo, server_a, process_a, server_b


@contextlib.contextmanager
def media_worker(env: dict, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Production's separate relay process (`manage.py media_worker`), registered once
    this yields; yields the process (a fault test may kill it)."""
    args = ["manage.py", "media_worker"]
    with _process(args, env, log_path, lambda: worker_id(log_path) is not None) as process:
        yield process


def worker_id(log_path: Path) -> str | None:
    """The id a media worker logged once it registered, from its log."""
    for line in log_path.read_text().splitlines():
        if line.startswith("{") and '"media worker started"' in line:
            return json.loads(line)["worker_id"]
    return None


@contextlib.contextmanager
def own_redis(port: int, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A redis-server of the test's own on a loopback port, without persistence (a restart
    loses everything, as a crashed Redis without a volume does). Never the machine's Redis."""
    args = ["--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    with open(log_path, "a") as log:
        process = subprocess.Popen(["redis-server", *args], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start:\n{log_path.read_text()}")
            time.sleep(0.05)
        yield process
    finally:
        process.terminate()
        process.wait(10)


def server_env(**overrides: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "meetings.settings", "LOG_LEVEL": "WARNING"})
    env.update(overrides)
    return env


def join_over_http(base_url: str, invite: str, name: str, media: str = "camera_mic") -> dict:
    """Does what the join page does: fetch the page for its CSRF cookie, then POST /api/join/."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base_url}/join/{invite}/", timeout=10).read()
    return _post_join(
        opener,
        jar,
        base_url,
        {
            "invite": invite,
            "display_name": name,
            "media": media,
            "agreement_accepted": True,
        },
    )


def _post_join(opener, jar, base_url: str, body: dict) -> dict:
    """POST /api/join/ with the CSRF token the opener's cookie jar holds."""
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    request = urllib.request.Request(
        f"{base_url}/api/join/",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "X-CSRFToken": csrf,
            "Referer": base_url + "/",
        },
        method="POST",
    )
    with opener.open(request, timeout=10) as response:
        return json.loads(response.read())


def facilitator_over_http(base_url: str, demo: Demo, name: str, media: str = "camera_mic") -> dict:
    """Signs in as the demo facilitator and joins its meeting (a facilitating participant
    that needs nobody's confirmation, unlike someone with the co-facilitator link)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base_url}/accounts/login/", timeout=10).read()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    form = urllib.parse.urlencode(
        {"username": demo.username, "password": demo.password, "csrfmiddlewaretoken": csrf}
    ).encode()
    login = urllib.request.Request(
        f"{base_url}/accounts/login/", data=form, headers={"Referer": base_url + "/"}
    )
    opener.open(login, timeout=10).read()
    body = {"meeting_id": demo.meeting_id, "display_name": name, "media": media}
    return _post_join(opener, jar, base_url, body)
