"""/readyz on production's shape: PostgreSQL, a redis-server of the test's own, two web
processes started as the image starts them (meetings.serve, PRODUCTION=true, probed over
plain HTTP by address as compose does) and a separate media worker with its own /readyz.
Redis killed: every /readyz says the channel layer, and all recover when it is back. The
worker killed with kill -9: web's /readyz names the media worker once its lease runs out,
and is ready again when a new worker starts. Compose's own check commands agree."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests import log_lines, servers
from tests.servers import ROOT

PRODUCTION = {
    "PRODUCTION": "true",
    "TRUST_PROXY_HEADERS": "true",
    "DJANGO_SECRET_KEY": "r7Kp2Vx9Qm4Lz8Nw3Bt6Yh1Jd5Fs0Gc7Xa2Pe9Ru4Mk6Tn8Wb3Zq",
    "ALLOWED_HOSTS": "meet.example.org",
    "PUBLIC_BASE_URL": "https://meet.example.org",
}


def _compose_probe(service: str) -> str:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return compose["services"][service]["healthcheck"]["test"][3]


def _compose_check_passes(service: str, port: int, port_file: Path | None = None) -> bool:
    """Runs compose's healthcheck command for the service against our port (a media
    worker's: the port it wrote to its port file)."""
    command = _compose_probe(service).replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    env = {"PATH": "/usr/bin:/bin", "MEDIA_WORKER_HEALTH_PORT_FILE": str(port_file)}
    result = subprocess.run([sys.executable, "-c", command], env=env, timeout=10)
    return result.returncode == 0


@contextlib.contextmanager
def _web(env: dict, log: Path) -> Iterator[str]:
    """A web process as the image runs it (meetings.serve, LOG_LEVEL at INFO: the access log)."""
    port = servers.free_port()
    args = ["-m", "meetings.serve", "-b", "127.0.0.1", "-p", str(port), "meetings.asgi:application"]
    env = {**env, "LOG_LEVEL": "INFO"}
    with servers._process(args, env, log, lambda: servers._listening(port)):
        yield f"http://127.0.0.1:{port}"


def _readyz(base: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{base}/readyz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
    except OSError:
        return 0, {}


def _until(base: str, status: int, also: Callable[[dict], bool] = lambda _: True) -> dict:
    deadline = time.monotonic() + 20
    seen: tuple[int, dict] = (0, {})
    while time.monotonic() < deadline:
        seen = _readyz(base)
        if seen[0] == status and also(seen[1]):
            return seen[1]
        time.sleep(0.25)
    raise AssertionError(f"{base}/readyz never gave {status}; last {seen}")


def _failing(report: dict) -> set[str]:
    return {name for name, check in report["checks"].items() if not check["ok"]}


@pytest.mark.timeout(240)
def test_readyz_follows_redis_and_the_media_worker_going_and_coming_back(tmp_path):
    redis_port, worker_port, next_worker_port = (servers.free_port() for _ in range(3))
    port_file = tmp_path / "media-worker-health-port"
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    with (
        servers.own_redis(redis_port, tmp_path / "redis.log") as redis,
        servers.seeded_on_redis(
            redis_url=redis_url,
            MEDIA_IN_PROCESS="false",
            MEDIA_WORKER_LEASE_SECONDS="1",
            MEDIA_HOST_ADDRESSES="127.0.0.1",
        ) as (env, _demo),
        _web({**env, **PRODUCTION}, tmp_path / "a.log") as a,
        _web({**env, **PRODUCTION}, tmp_path / "b.log") as b,
        servers.media_worker(
            {
                **env,
                "MEDIA_WORKER_HEALTH_PORT": str(worker_port),
                "MEDIA_WORKER_HEALTH_PORT_FILE": str(port_file),
            },
            tmp_path / "w1.log",
        ) as first_worker,
    ):
        worker = f"http://127.0.0.1:{worker_port}"
        for base in (a, b):
            report = _until(base, 200)
            assert set(report["checks"]) == {"database", "channel_layer", "media_worker"}
        assert set(_until(worker, 200)["checks"]) == {"event_loop", "lease", "channel_layer"}
        assert _compose_check_passes("web", int(a.rsplit(":", 1)[1]))
        assert _compose_check_passes("media", worker_port, port_file)

        redis.terminate()
        redis.wait(5)
        for base in (a, b):
            report = _until(base, 503, lambda r: "channel_layer" in _failing(r))
            assert report["checks"]["database"]["ok"]
            assert all(c["ms"] < 2000 for c in report["checks"].values()), report
            assert str(redis_port) not in json.dumps(report)  # no internals in the body
        assert "channel_layer" in _failing(_until(worker, 503))
        assert not _compose_check_passes("media", worker_port, port_file)

        with servers.own_redis(redis_port, tmp_path / "redis.log"):
            for base in (a, b, worker):
                _until(base, 200)

            first_worker.kill()  # kill -9: no goodbye; its lease runs out after 1 s
            first_worker.wait(5)
            for base in (a, b):
                report = _until(base, 503)
                assert _failing(report) == {"media_worker"}, report
                assert report["checks"]["media_worker"]["error"] == "no_ready_worker"
            assert not _compose_check_passes("web", int(a.rsplit(":", 1)[1]))

            with servers.media_worker(
                {**env, "MEDIA_WORKER_HEALTH_PORT": str(next_worker_port)}, tmp_path / "w2.log"
            ):
                for base in (a, b, f"http://127.0.0.1:{next_worker_port}"):
                    _until(base, 200)

    for name in ("a.log", "b.log"):
        log = (tmp_path / name).read_text()
        requests = [
            (line["path"], line["status"], line["level"])
            for line in log_lines.parsed(log)
            if line["event"] == "http request"
        ]
        assert ("/readyz", 503, "warning") in requests  # failures are written ...
        assert not [r for r in requests if r[:2] == ("/readyz", 200)]  # ... passing probes not
        assert "Exception inside application" not in log, log[-3000:]


@pytest.mark.timeout(60)
def test_readyz_names_the_database_when_it_does_not_answer(tmp_path):
    """A PostgreSQL that is not there: the probe still answers within about a second."""
    gone = f"postgres://postgres@127.0.0.1:{servers.free_port()}/meetings"
    env = servers.server_env(DATABASE_URL=gone, MEDIA_ENABLED="false")
    with _web(env, tmp_path / "web.log") as web:
        started = time.monotonic()
        status, report = _readyz(web)
        assert time.monotonic() - started < 3
        assert status == 503 and _failing(report) == {"database"}, report
        assert set(report["checks"]) == {"database", "channel_layer"}
        assert urllib.request.urlopen(f"{web}/healthz", timeout=5).status == 200


@pytest.mark.timeout(180)
def test_two_media_workers_on_one_host_each_answer_on_their_own_ports(tmp_path):
    # docker compose up --scale media=2: host network, the same ports configured for both
    redis_port, health_port, metrics_port = (servers.free_port() for _ in range(3))
    shared = {"MEDIA_WORKER_HEALTH_PORT": str(health_port), "METRICS_PORT": str(metrics_port)}
    with (
        servers.own_redis(redis_port, tmp_path / "redis.log"),
        servers.seeded_on_redis(
            redis_url=f"redis://127.0.0.1:{redis_port}/0",
            MEDIA_IN_PROCESS="false",
            MEDIA_HOST_ADDRESSES="127.0.0.1",
        ) as (env, _demo),
        servers.media_worker(
            {**env, **shared, "MEDIA_WORKER_HEALTH_PORT_FILE": str(tmp_path / "one.port")},
            tmp_path / "one.log",
        ),
        servers.media_worker(
            {**env, **shared, "MEDIA_WORKER_HEALTH_PORT_FILE": str(tmp_path / "two.port")},
            tmp_path / "two.log",
        ),
    ):
        ports = [int((tmp_path / f"{n}.port").read_text()) for n in ("one", "two")]
        assert health_port in ports and len(set(ports)) == 2  # the next free one for the second
        for name, port in zip(("one", "two"), ports, strict=True):
            assert _until(f"http://127.0.0.1:{port}", 200)["checks"]["lease"]["ok"]
            assert _compose_check_passes("media", port, tmp_path / f"{name}.port")
        # both workers' metrics are scraped, each on its own port
        scraped = set()
        for port in range(metrics_port, metrics_port + 3):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    if b"meetings_event_loop_lag_seconds" in r.read():
                        scraped.add(port)
            except OSError:
                continue
        assert len(scraped) == 2, scraped
