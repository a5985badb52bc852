"""`/healthz` and `/readyz` for web processes, answered before Django's middleware.

- ``/healthz``: the process is up and its event loop answers; nothing else is touched.
- ``/readyz``: the database answers ``SELECT 1``, the channel layer carries a message to a
  fresh channel and back, and a media worker would take a new meeting; each within
  ``CHECK_TIMEOUT_SECONDS``.

Both answer JSON ``{"status": "ok"|"fail", "checks": {name: {"ok", "ms", "error"}}}`` with
200 or 503; an error is a short code, never a host name or a message from a library.
They sit in front of Django (``probe_endpoints`` wraps the ASGI app) because a probe comes
over plain HTTP from inside the container with the container's own address as its Host:
production's ALLOWED_HOSTS and HTTPS redirect would refuse it, and it needs no session,
CSRF or sign-in lockout. meetings/access_log.py keeps successful probes out of the access log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 1.0
PROBE_PATHS = ("/healthz", "/readyz")

# A check returns None when all is well, else a short error code.
Check = Callable[[], Awaitable[str | None]]


async def run_checks(checks: dict[str, Check], timeout: float = CHECK_TIMEOUT_SECONDS) -> dict:
    """Runs the checks at once, each within ``timeout``; the report's body."""
    names = list(checks)
    results = await asyncio.gather(*(_timed(name, checks[name], timeout) for name in names))
    report = dict(zip(names, results, strict=True))
    return {"status": "ok" if all(r["ok"] for r in results) else "fail", "checks": report}


_failing: set[str] = set()


async def _timed(name: str, check: Check, timeout: float) -> dict:
    loop = asyncio.get_running_loop()
    started = loop.time()
    cause = ""  # the exception's type, for the log only
    try:
        error = await asyncio.wait_for(check(), timeout)
    except TimeoutError:
        error = "timeout"
    except Exception as exc:
        error, cause = "unreachable", type(exc).__name__
    result: dict[str, Any] = {"ok": error is None, "ms": round((loop.time() - started) * 1000, 1)}
    if error is not None:
        result["error"] = error
        if name not in _failing:  # once per outage, not once per probe
            log.warning(
                "health check failing", extra={"check": name, "code": error, "error": cause}
            )
            _failing.add(name)
    elif name in _failing:
        log.warning("health check ok again", extra={"check": name})
        _failing.discard(name)
    return result


def status_code(report: dict) -> int:
    return 200 if report["status"] == "ok" else 503


# --- the checks ------------------------------------------------------------------------


_database_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="health-db")
_database_probe: Future[None] | None = None


def _select_one() -> None:
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()  # back to the pool (PostgreSQL); a broken one is not kept


async def database() -> str | None:
    """``SELECT 1`` on a thread of its own: a hung database holds up one probe thread, not
    the sockets' database threads, and probes do not queue up behind a stuck one."""
    global _database_probe
    if _database_probe is None or _database_probe.done():
        _database_probe = _database_executor.submit(_select_one)
    await asyncio.shield(asyncio.wrap_future(_database_probe))
    return None


async def channel_layer_round_trip(layer: Any) -> str | None:
    """A message sent to a fresh channel comes back from it (so a Redis that is gone, or
    accepts but never delivers, is seen)."""
    channel = f"health-probe.{secrets.token_hex(8)}"
    token = secrets.token_hex(8)
    await layer.send(channel, {"type": "health.probe", "token": token})
    message = await layer.receive(channel)
    return None if message.get("token") == token else "wrong_message"


async def channel_layer() -> str | None:
    from channels.layers import get_channel_layer

    return await channel_layer_round_trip(get_channel_layer())


async def media_worker() -> str | None:
    """Separate workers: one whose lease is live would take a new meeting. Embedded: the
    relay runs on this process's event loop (started with its first meeting), which is
    answering this probe; it fails only if a relay started here has stopped listening."""
    from signaling import media_bridge

    if settings.MEDIA_IN_PROCESS:
        local = media_bridge.local_worker()
        return None if local is None or local.running else "relay_stopped"
    ready = await media_bridge.registry().ready_workers()
    return None if ready else "no_ready_worker"


def readiness_checks() -> dict[str, Check]:
    checks: dict[str, Check] = {"database": database, "channel_layer": channel_layer}
    if settings.MEDIA_ENABLED:  # a chat-only service has no media worker to wait for
        checks["media_worker"] = media_worker
    return checks


async def healthz() -> dict:
    return {"status": "ok", "checks": {}}


async def readyz() -> dict:
    return await run_checks(readiness_checks())


# --- ASGI ----------------------------------------------------------------------------

_PROBES: dict[str, Callable[[], Awaitable[dict]]] = {"/healthz": healthz, "/readyz": readyz}
_HEADERS = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]


def probe_endpoints(app: Any) -> Any:
    """The ASGI app with GET/HEAD ``/healthz`` and ``/readyz`` answered in front of it."""

    async def serve(scope: dict, receive: Any, send: Any) -> None:
        probe = _PROBES.get(scope.get("path", "")) if scope["type"] == "http" else None
        if probe is None or scope.get("method") not in {"GET", "HEAD"}:
            await app(scope, receive, send)
            return
        report = await probe()
        body = json.dumps(report).encode()
        await send(
            {"type": "http.response.start", "status": status_code(report), "headers": _HEADERS}
        )
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )

    return serve
