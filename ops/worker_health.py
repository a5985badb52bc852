"""A media worker's own `/healthz` and `/readyz`, on a small HTTP listener of its own
(``MEDIA_WORKER_HEALTH_PORT``, on ``MEDIA_WORKER_HEALTH_ADDRESS``: loopback by default).

Ready means: its event loop runs on time, its lease was renewed within the lease time and
it is not draining, and its channel layer carries a message to a fresh channel and back.
The layer is also probed every second in the background and the result goes into the
lease (``ready``), so a worker that cannot reach its layer is given no new meetings
(media/registry.py) while it keeps the ones it has.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
from typing import Any

from ops.health import CHECK_TIMEOUT_SECONDS, channel_layer_round_trip, run_checks, status_code

log = logging.getLogger(__name__)

TICK_SECONDS = 0.2
LAG_REMEMBERED_SECONDS = 5.0  # a freeze keeps the worker unready this long after it ends
LAYER_PROBE_EVERY_SECONDS = 1.0
_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}


class WorkerHealth:
    def __init__(self, layer: Any, *, lease_seconds: float) -> None:
        self.layer = layer
        self.lease_seconds = lease_seconds
        self.lease: Any = None  # media.lease.WorkerLease, once it exists
        self.layer_reachable = True
        self._ticked_at = 0.0
        self._lagged_at = float("-inf")  # when a tick last came more than a check's time late
        self._tasks: list[asyncio.Task[None]] = []
        self._server: asyncio.Server | None = None

    def ready_for_meetings(self) -> bool:
        """What the lease tells the registry: may this worker be given new meetings."""
        return self.layer_reachable

    async def start(self) -> None:
        self._ticked_at = asyncio.get_running_loop().time()
        await self._probe_layer()  # the first lease already says the truth
        self._tasks = [asyncio.create_task(self._tick()), asyncio.create_task(self._watch_layer())]

    async def serve(self, host: str, port: int, *, tries: int = 1) -> int:
        """Listens on the first free port of ``port``, ``port + 1``, … (``tries`` of them),
        so that K workers sharing a host's network (compose ``--scale media=K``) each get
        one; returns the port."""
        for candidate in range(port, port + tries):
            try:
                self._server = await asyncio.start_server(self._answer, host, candidate)
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE or candidate == port + tries - 1:
                    raise
                continue
            return candidate
        raise ValueError("tries must be at least 1")

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            if now - self._ticked_at - TICK_SECONDS > CHECK_TIMEOUT_SECONDS:
                self._lagged_at = now
            self._ticked_at = now
            await asyncio.sleep(TICK_SECONDS)

    async def _probe_layer(self) -> str | None:
        try:
            error = await asyncio.wait_for(
                channel_layer_round_trip(self.layer), CHECK_TIMEOUT_SECONDS
            )
        except TimeoutError:
            error = "timeout"
        except Exception:
            error = "unreachable"
        reachable = error is None
        if reachable != self.layer_reachable:
            if reachable:
                log.warning("channel layer reachable again")
            else:
                log.warning("channel layer unreachable; no new meetings", extra={"code": error})
        self.layer_reachable = reachable
        return error

    async def _watch_layer(self) -> None:
        while True:
            await asyncio.sleep(LAYER_PROBE_EVERY_SECONDS)
            await self._probe_layer()

    # --- checks ----------------------------------------------------------------------

    async def _event_loop(self) -> str | None:
        now = asyncio.get_running_loop().time()
        late = now - self._ticked_at - TICK_SECONDS > CHECK_TIMEOUT_SECONDS
        lagged = now - self._lagged_at < LAG_REMEMBERED_SECONDS
        return "event_loop_lag" if late or lagged else None

    async def _lease(self) -> str | None:
        lease = self.lease
        if lease is None or lease.renewed_at is None:
            return "no_lease"
        if lease.worker.draining:
            return "draining"
        if asyncio.get_running_loop().time() - lease.renewed_at > self.lease_seconds:
            return "lease_not_renewed"
        return None

    async def _channel_layer(self) -> str | None:
        return await self._probe_layer()

    async def readyz(self) -> dict:
        return await run_checks(
            {
                "event_loop": self._event_loop,
                "lease": self._lease,
                "channel_layer": self._channel_layer,
            }
        )

    # --- HTTP ------------------------------------------------------------------------

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            response = await self._response(reader)
            if response:
                writer.write(response)
                await writer.drain()
        except Exception:  # a client that went away, or sent nonsense: nothing to answer
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _response(self, reader: asyncio.StreamReader) -> bytes | None:
        request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2.0)
        method, path, _ = request.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        path = path.split("?", 1)[0]
        if method not in {"GET", "HEAD"}:
            status, report = 405, {"status": "fail", "checks": {}}
        elif path == "/healthz":
            status, report = 200, {"status": "ok", "checks": {}}
        elif path == "/readyz":
            report = await self.readyz()
            status = status_code(report)
        else:
            status, report = 404, {"status": "fail", "checks": {}}
        body = json.dumps(report).encode()
        head = (
            f"HTTP/1.1 {status} {_REASONS[status]}\r\n"
            "Content-Type: application/json\r\nCache-Control: no-store\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        return head.encode() + (b"" if method == "HEAD" else body)
