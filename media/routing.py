"""Which media worker serves a meeting, and how a command gets there.

Everyone in a meeting shares one relay. The router is chosen once, at start-up, from
plain values:

- ``LocalRouter`` (embedded default, one process, no Redis): the workers run inside this
  process, one per event loop, started on first use; a meeting is pinned to one by its
  id (``UUID.int % workers``); commands still travel over the channel layer to them.
- ``EmbeddedRegistryRouter`` (relays inside several web processes on Redis): each
  process's relay registers like a separate worker (below).
- ``RegistryRouter`` (production): ``manage.py media_worker`` processes, on any host,
  register with a lease in Redis (media/registry.py); a meeting is placed on the least
  loaded live worker and stays there, or moves when its worker lapses or drains.
- ``OffRouter``: media is turned off; commands go nowhere.

No Django or Channels here: the channel layer's ``send``, the registry and a function
that builds a started worker are handed in.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from structlog.contextvars import bind_contextvars

from .commands import command_message
from .lease import WorkerLease, new_worker_id
from .lease import worker_channel as registered_channel

if TYPE_CHECKING:
    from .registry import Registry
    from .worker import MediaWorker

Send = Callable[[str, dict[str, Any]], Awaitable[None]]
StartWorker = Callable[[list[str]], "MediaWorker"]  # builds and starts a worker on channels


def worker_channel_name(index: int) -> str:
    return f"media-relay-{index}"


def worker_channel(meeting_id: str, workers: int) -> str:
    return worker_channel_name(UUID(str(meeting_id)).int % workers)


class Router(Protocol):
    async def command(
        self, meeting_id: str, op: str, participant_id: str | None = None, **data: Any
    ) -> None: ...

    async def sync(self, meeting_id: str) -> None:
        """Room state changed: the meeting's relay re-reads who is where and what is muted."""
        ...


class NoMediaWorker(Exception):
    """No media worker is live to take the meeting."""


class RegistryRouter:
    def __init__(self, registry: Registry, send: Send) -> None:
        self.registry = registry
        self._send = send

    async def _channel(self, meeting_id: str, new: bool = True) -> str | None:
        placement = await self.registry.place(meeting_id, new=new)
        if placement is None:
            return None
        if placement.moved:
            # this command is the first to notice the meeting's worker is gone
            await self._send(placement.channel, command_message(meeting_id, "rejoin"))
        return placement.channel

    async def command(
        self, meeting_id: str, op: str, participant_id: str | None = None, **data: Any
    ) -> None:
        channel = await self._channel(meeting_id)
        if channel is None:
            raise NoMediaWorker(meeting_id)
        await self._send(channel, command_message(meeting_id, op, participant_id, **data))

    async def sync(self, meeting_id: str) -> None:
        channel = await self._channel(meeting_id, new=False)
        if channel is not None:  # no worker yet (or none live): nobody has media to change
            await self._send(channel, command_message(meeting_id, "sync"))


class ChannelRouter:
    """Sends each meeting's commands to ``media-relay-<UUID.int % workers>``."""

    def __init__(self, workers: int, send: Send) -> None:
        self.workers = workers
        self._send = send

    async def command(
        self, meeting_id: str, op: str, participant_id: str | None = None, **data: Any
    ) -> None:
        message = command_message(meeting_id, op, participant_id, **data)
        await self._send(worker_channel(meeting_id, self.workers), message)

    async def sync(self, meeting_id: str) -> None:
        await self.command(meeting_id, "sync")


class LocalRouter(ChannelRouter):
    def __init__(self, workers: int, send: Send, start_worker: StartWorker) -> None:
        super().__init__(workers, send)
        self._start_worker = start_worker
        self._local: dict[asyncio.AbstractEventLoop, MediaWorker] = {}

    async def command(
        self, meeting_id: str, op: str, participant_id: str | None = None, **data: Any
    ) -> None:
        self.ensure_local_worker()
        await super().command(meeting_id, op, participant_id, **data)

    async def sync(self, meeting_id: str) -> None:
        if asyncio.get_running_loop() not in self._local:
            return  # no relay has started in this process, so nobody has media to change
        await super().sync(meeting_id)

    def ensure_local_worker(self) -> None:
        loop = asyncio.get_running_loop()
        for old_loop in [old for old in self._local if old.is_closed()]:
            del self._local[old_loop]
        if loop not in self._local:
            channels = [worker_channel_name(i) for i in range(self.workers)]
            self._local[loop] = self._start_worker(channels)

    def local_worker(self) -> MediaWorker | None:
        """This process's relay worker, if one has started on the running loop."""
        return self._local.get(asyncio.get_running_loop())

    async def stop_local_worker(self) -> None:
        worker = self._local.pop(asyncio.get_running_loop(), None)
        if worker is not None:
            await worker.stop()


class EmbeddedRegistryRouter(RegistryRouter):
    """Relays inside the web processes, on Redis: each process's relay, started on its
    first media command, registers like a separate worker, so several web processes share
    meetings (one relay per meeting) and take over each other's when one dies."""

    def __init__(self, registry: Registry, send: Send, start_worker: StartWorker) -> None:
        super().__init__(registry, send)
        self._start_worker = start_worker
        self._local: dict[asyncio.AbstractEventLoop, tuple[MediaWorker, WorkerLease]] = {}
        self._starting: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}

    async def command(
        self, meeting_id: str, op: str, participant_id: str | None = None, **data: Any
    ) -> None:
        await self.ensure_local_worker()
        await super().command(meeting_id, op, participant_id, **data)

    async def ensure_local_worker(self) -> None:
        loop = asyncio.get_running_loop()
        for old in [old for old in self._starting if old.is_closed()]:
            del self._starting[old]
            self._local.pop(old, None)
        if loop not in self._starting:
            # a context of its own: the worker's lines carry its id, not the socket's that
            # happened to start it
            self._starting[loop] = loop.create_task(
                self._start(loop), context=contextvars.Context()
            )
        await asyncio.shield(self._starting[loop])

    async def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        worker_id = new_worker_id()
        bind_contextvars(worker_id=worker_id)
        worker = self._start_worker([registered_channel(worker_id)])
        lease = WorkerLease(self.registry, worker_id, worker, self._send)
        self._local[loop] = (worker, lease)
        await lease.start()

    def local_worker(self) -> MediaWorker | None:
        local = self._local.get(asyncio.get_running_loop())
        return local[0] if local else None

    async def stop_local_worker(self) -> None:
        loop = asyncio.get_running_loop()
        self._starting.pop(loop, None)
        local = self._local.pop(loop, None)
        if local is not None:
            worker, lease = local
            with contextlib.suppress(Exception):
                await asyncio.wait_for(lease.drain(), 1.5)  # the web process stops within 10 s
            await worker.stop()


class OffRouter:
    async def command(
        self, meeting_id: str, op: str, participant_id: str | None = None, **data: Any
    ) -> None:
        return None

    async def sync(self, meeting_id: str) -> None:
        return None


def choose_router(
    *,
    enabled: bool,
    in_process: bool,
    workers: int,
    send: Send,
    start_worker: StartWorker,
    registry: Callable[[], Registry] | None,
) -> Router:
    """The one place that decides between embedded and separate media workers; with a
    registry (Redis), relays register there wherever they run."""
    if not enabled:
        return OffRouter()
    if in_process and registry is not None:
        return EmbeddedRegistryRouter(registry(), send, start_worker)
    if in_process:
        return LocalRouter(workers, send, start_worker)
    if registry is None:
        raise ValueError("separate media workers need a registry (REDIS_URL)")
    return RegistryRouter(registry(), send)
