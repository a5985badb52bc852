"""Presence that does not depend on a socket's own goodbye.

A socket's own goodbye (`disconnect()`) and the expiry timer it starts live in the memory
of the process that holds the socket; a process killed with -9 runs neither, and even a
living process can lose one (the goodbye failing, or the server cancelling a consumer that
took too long to finish). So every beat each process sweeps: people recorded as online on a
socket of this process that is no longer open here are marked reconnecting, and people
whose grace has run out are taken out of the meeting (rooms/ decides what that means, as
for any timeout). On Redis each web process also keeps a lease (a key with a TTL, renewed
every beat), and the sweep counts the sockets of a process without a lease as gone too.
The embedded default (one process, in-memory layer) runs the local sweep alone.

A process finds its socket by the channel name: channels_redis names each socket's
channel `specific.<process prefix>!<random>`, one prefix per process (the in-memory
layer's are all `specific..inmemory!<random>`, one process).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from datetime import timedelta
from typing import Protocol

from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings
from django.utils import timezone

from rooms import selectors
from rooms.services import participants
from signaling import delivery, metrics
from signaling.db import in_db_thread
from signaling.redis_layer import RedisChannelLayer

log = logging.getLogger(__name__)

# A lease outlives a few missed beats; a killed process's people show as reconnecting
# within LEASE_SECONDS + BEAT_SECONDS, and as gone within that plus the grace.
LEASE_SECONDS = 8
BEAT_SECONDS = 2

_online_sockets = in_db_thread(selectors.online_sockets)
_lapsed_meetings = in_db_thread(selectors.meetings_with_lapsed_reconnects)
_socket_lost = in_db_thread(participants.participant_disconnect)
_expire_lapsed = in_db_thread(participants.participants_expire_lapsed)


class LocalSocket(Protocol):
    channel_name: str

    async def close_to_reconnect(self) -> None: ...


# The sockets this process holds, by channel name (the consumers add and remove themselves).
local_sockets: dict[str, LocalSocket] = {}
metrics.SOCKETS_OPEN.set_function(lambda: len(local_sockets))


def process_of(channel_name: str) -> str:
    return channel_name.partition("!")[0].rpartition(".")[2]


class LocalPresence:
    """The sweep of this process's own sockets (the whole of it on the in-memory layer)."""

    def __init__(self, layer: BaseChannelLayer) -> None:
        self.layer = layer
        self.process = ""  # known once the loop runs (run())

    async def run(self) -> None:
        if not self.process:
            self.process = process_of(await self.layer.new_channel())
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                await self.beat()
                await self.sweep()
            except Exception as exc:
                # Redis or the database away for a moment: the next beat tries again.
                log.warning("presence beat failed", extra={"error": type(exc).__name__})
            await asyncio.sleep(max(0.1, BEAT_SECONDS - (loop.time() - started)))

    async def beat(self) -> None:
        """Nothing to renew: the in-memory layer's sockets die with their one process."""

    async def lapsed_processes(self, processes: set[str]) -> set[str]:
        return set()

    async def sweep(self) -> None:
        sockets = await _online_sockets()
        lapsed = await self.lapsed_processes({process_of(s.channel_name) for s in sockets})
        for socket in sockets:
            process = process_of(socket.channel_name)
            gone_here = process == self.process and socket.channel_name not in local_sockets
            if process in lapsed or gone_here:
                outcome = await _socket_lost(
                    meeting_id=socket.meeting_id,
                    participant_id=socket.participant_id,
                    channel_name=socket.channel_name,
                )
                await delivery.deliver(socket.meeting_id, outcome)
        grace = settings.RECONNECT_GRACE_SECONDS
        cutoff = timezone.now() - timedelta(seconds=grace)
        for meeting_id in await _lapsed_meetings(disconnected_before=cutoff):
            outcome = await _expire_lapsed(meeting_id=meeting_id, grace_seconds=grace)
            await delivery.deliver(meeting_id, outcome)

    async def release(self) -> None:
        """Stops beating (a clean shutdown)."""
        if _running is not None:
            _running[1].cancel()


class Presence(LocalPresence):
    """On Redis: the local sweep, a lease, and the sockets of processes whose lease lapsed."""

    layer: RedisChannelLayer

    def __init__(self, layer: RedisChannelLayer) -> None:
        super().__init__(layer)
        self.process = layer.client_prefix
        self.beats = 0

    def lease_key(self, process: str) -> str:
        return f"{self.layer.prefix}:lease:{process}"

    async def beat(self) -> None:
        redis = self.layer.connection(0)
        held = await redis.set(self.lease_key(self.process), b"1", ex=LEASE_SECONDS, get=True)
        self.beats += 1
        if held is None and self.beats > 1:
            # Others may already have counted this process's people as gone: every socket
            # here reconnects (to any process) and so is counted present again.
            log.warning("presence lease had lapsed; asking this process's sockets to reconnect")
            for socket in list(local_sockets.values()):
                await socket.close_to_reconnect()

    async def lapsed_processes(self, processes: set[str]) -> set[str]:
        others = sorted(processes - {self.process})
        if not others:
            return set()
        leases = await self.layer.connection(0).mget([self.lease_key(p) for p in others])
        return {process for process, lease in zip(others, leases, strict=True) if lease is None}

    async def release(self) -> None:
        """Stops beating and gives the lease up at once (a clean shutdown): the others sweep
        whatever this process leaves behind without waiting for the lease to lapse."""
        await super().release()
        with contextlib.suppress(Exception):
            await self.layer.connection(0).delete(self.lease_key(self.process))


_running: tuple[LocalPresence, asyncio.Task[None]] | None = None
# On the in-memory layer the sweep runs in a served process (shutdown.on_server_start), not
# in tests that drive consumers directly, unless they ask for it.
local_sweep = False


def start(*, served: bool = False) -> LocalPresence | None:
    """Starts this process's sweep (and on Redis its lease) on the running loop, once per
    loop (tests run each on a loop of its own)."""
    global _running, local_sweep
    local_sweep = local_sweep or served
    loop = asyncio.get_running_loop()
    if _running is not None and _running[1].get_loop() is loop and not _running[1].done():
        return _running[0]
    layer = get_channel_layer()
    assert layer is not None
    if not isinstance(layer, RedisChannelLayer) and not local_sweep:
        return None
    presence = Presence(layer) if isinstance(layer, RedisChannelLayer) else LocalPresence(layer)
    # a context of its own: its lines are not those of the socket that happened to start it
    _running = (presence, loop.create_task(presence.run(), context=contextvars.Context()))
    return presence


def current() -> LocalPresence | None:
    return _running[0] if _running is not None else None
