"""A media worker's membership in the registry (media/registry.py): lease, sweep, drain.

While it runs, the worker renews its lease every ``refresh_seconds`` with its load, and
sweeps: the meetings of any worker whose lease lapsed (killed, frozen, host gone) are
placed again, and the worker each one lands on tells its people to join media again
(a ``rejoin`` command). ``drain()`` is SIGTERM: no new meetings, every meeting handed to
another worker, the lease given up. ``ready`` (a callable) says whether the worker can
take new meetings now; ``renewed_at`` is when the lease was last renewed (loop time).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .commands import command_message
from .registry import REFRESH_SECONDS, Registry

if TYPE_CHECKING:
    from .worker import MediaWorker

log = logging.getLogger(__name__)

Send = Callable[[str, dict[str, Any]], Awaitable[None]]


def worker_channel(worker_id: str) -> str:
    return f"media-relay-{worker_id}"


def new_worker_id() -> str:
    """Unique per process start: a restarted worker is a new worker with an empty relay."""
    host = "".join(c if c.isalnum() or c in "-." else "-" for c in socket.gethostname())[:40]
    return f"{host}-{os.getpid()}-{secrets.token_hex(3)}"


async def move_meeting(
    registry: Registry, send: Send, meeting_id: str, avoid: str = "", claimed: bool = False
) -> bool:
    """Places the meeting; if that moved it, its new worker tells its people to rejoin."""
    placement = await registry.place(meeting_id, avoid=avoid, claimed=claimed)
    if placement is None:
        return False
    if placement.moved:
        await send(placement.channel, command_message(meeting_id, "rejoin"))
    return True


class WorkerLease:
    def __init__(
        self,
        registry: Registry,
        worker_id: str,
        worker: MediaWorker,
        send: Send,
        *,
        refresh_seconds: float = REFRESH_SECONDS,
        ready: Callable[[], bool] = lambda: True,
    ) -> None:
        self.registry = registry
        self.worker_id = worker_id
        self.channel = worker_channel(worker_id)
        self.worker = worker
        self._send = send
        self.refresh_seconds = refresh_seconds
        self._task: asyncio.Task[None] | None = None
        self._ready = ready
        self.renewed_at: float | None = None

    async def start(self) -> None:
        """Takes the lease (so the worker is placeable once this returns), then keeps it."""
        await self._refresh()
        self._task = asyncio.create_task(self._keep())

    async def _refresh(self) -> None:
        lost = await self.registry.refresh(
            self.worker_id,
            self.channel,
            load=len(self.worker.meetings),
            hosting=sorted(self.worker.hosting()),
            draining=self.worker.draining,
            ready=self._ready(),
            streams=self.worker.relay.forwarded_streams(),
        )
        self.renewed_at = asyncio.get_running_loop().time()
        for meeting_id in lost:
            # We were frozen past our lease and the meeting was placed elsewhere; its
            # people have been told to join there, so our connections are stale.
            log.warning(
                "lease lapsed; a meeting moved to another worker", extra={"meeting_id": meeting_id}
            )
            await self.worker.release(meeting_id)

    async def _keep(self) -> None:
        loop = asyncio.get_running_loop()
        sweep_after = loop.time()
        unreachable = False
        while True:
            try:
                await self._refresh()
                if unreachable:
                    log.warning("registry reachable again")
                    unreachable = False
                if not self.worker.draining and loop.time() >= sweep_after:
                    for meeting_id in await self.registry.claim_lapsed():
                        log.info(
                            "taking over a meeting of a lapsed worker",
                            extra={"meeting_id": meeting_id},
                        )
                        await move_meeting(self.registry, self._send, meeting_id, claimed=True)
            except asyncio.CancelledError:
                raise
            except Exception:
                if not unreachable:
                    log.exception("registry unreachable")
                    unreachable = True
                # After an outage every lease looks lapsed: give the other workers one lease
                # to renew theirs before taking anyone's meetings.
                sweep_after = loop.time() + self.registry.lease_seconds
            await asyncio.sleep(self.refresh_seconds)

    async def drain(self) -> None:
        """Stop taking meetings, hand ours to other workers, give up the lease."""
        self.worker.draining = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._refresh()
        for meeting_id in sorted(self.worker.hosting()):
            # its connections here close with the worker; first the people move
            self.worker.silence(meeting_id)
            if not await move_meeting(self.registry, self._send, meeting_id, self.worker_id):
                log.warning(
                    "no other worker to take a meeting; it waits for one",
                    extra={"meeting_id": meeting_id},
                )
        # What is left (no other worker, or placed here but not joined yet) goes to the
        # next worker's sweep.
        await self.registry.expire(self.worker_id)
        await self.registry.close()
