"""A media worker's own /healthz and /readyz, over a real socket: its loop, its lease, its
channel layer; and what it tells the registry when its layer is gone."""

from __future__ import annotations

import asyncio
import json
import time
from types import SimpleNamespace

import pytest

from ops.worker_health import WorkerHealth
from signaling.layers import InMemoryChannelLayer
from signaling.redis_layer import RedisChannelLayer
from tests.servers import free_port


async def _http(port: int, path: str, method: str = "GET") -> tuple[int, dict | None]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    await writer.drain()
    response = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    return status, json.loads(body) if body else None


def _lease(renewed_ago: float = 0.0, draining: bool = False) -> SimpleNamespace:
    now = asyncio.get_running_loop().time()
    return SimpleNamespace(renewed_at=now - renewed_ago, worker=SimpleNamespace(draining=draining))


async def _served(layer) -> tuple[WorkerHealth, int]:
    health = WorkerHealth(layer, lease_seconds=1.0)
    await health.start()
    port = free_port()
    await health.serve("127.0.0.1", port)
    return health, port


async def test_a_worker_with_its_lease_and_layer_is_ready():
    health, port = await _served(InMemoryChannelLayer())
    try:
        assert await _http(port, "/healthz") == (200, {"status": "ok", "checks": {}})
        assert (await _http(port, "/readyz"))[1]["checks"]["lease"]["error"] == "no_lease"
        health.lease = _lease()
        status, report = await _http(port, "/readyz")
        assert status == 200, report
        assert set(report["checks"]) == {"event_loop", "lease", "channel_layer"}
        assert await _http(port, "/readyz", method="HEAD") == (200, None)
        assert (await _http(port, "/nope"))[0] == 404
        assert (await _http(port, "/readyz", method="POST"))[0] == 405
        # nonsense gets the connection closed, and the listener carries on
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"\x00\x01garbage\r\n\r\n")
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
        assert (await _http(port, "/healthz"))[0] == 200
    finally:
        await health.stop()


async def test_a_draining_worker_or_a_stale_lease_is_not_ready():
    health, port = await _served(InMemoryChannelLayer())
    try:
        health.lease = _lease(draining=True)
        status, report = await _http(port, "/readyz")
        assert status == 503 and report["checks"]["lease"]["error"] == "draining"
        health.lease = _lease(renewed_ago=2.0)
        status, report = await _http(port, "/readyz")
        assert status == 503 and report["checks"]["lease"]["error"] == "lease_not_renewed"
    finally:
        await health.stop()


async def test_a_worker_whose_event_loop_froze_is_not_ready_for_a_while():
    health, port = await _served(InMemoryChannelLayer())
    try:
        await asyncio.sleep(0.3)
        time.sleep(1.5)  # something held the loop: every packet of every meeting waited
        health.lease = _lease()
        status, report = await _http(port, "/readyz")
        assert status == 503 and report["checks"]["event_loop"]["error"] == "event_loop_lag"
    finally:
        await health.stop()


async def test_a_worker_whose_layer_is_unreachable_asks_for_no_new_meetings():
    dead = f"redis://127.0.0.1:{free_port()}/0"
    layer = RedisChannelLayer(hosts=[{"address": dead}])
    health, port = await _served(layer)
    try:
        assert health.ready_for_meetings() is False
        health.lease = _lease()
        status, report = await _http(port, "/readyz")
        assert status == 503 and not report["checks"]["channel_layer"]["ok"]
        assert report["checks"]["lease"]["ok"] and report["checks"]["event_loop"]["ok"]
        assert "127.0.0.1" not in json.dumps(report)  # no internal address in the body
    finally:
        await health.stop()


async def test_workers_sharing_a_host_each_get_their_own_health_port():
    # compose --scale media=2 in the host's network: both are configured with one port
    first = WorkerHealth(InMemoryChannelLayer(), lease_seconds=1.0)
    second = WorkerHealth(InMemoryChannelLayer(), lease_seconds=1.0)
    alone = WorkerHealth(InMemoryChannelLayer(), lease_seconds=1.0)
    configured = free_port()
    try:
        for health in (first, second, alone):
            await health.start()
        first_port = await first.serve("127.0.0.1", configured, tries=4)
        second_port = await second.serve("127.0.0.1", configured, tries=4)
        assert first_port == configured
        assert configured < second_port < configured + 4
        first.lease, second.lease = _lease(), _lease(draining=True)
        # each port answers for its own worker
        assert (await _http(first_port, "/readyz"))[0] == 200
        status, report = await _http(second_port, "/readyz")
        assert status == 503 and report["checks"]["lease"]["error"] == "draining"
        # a worker allowed only its configured port says that it is taken
        with pytest.raises(OSError):
            await alone.serve("127.0.0.1", configured)
    finally:
        for health in (first, second, alone):
            await health.stop()
