"""Presence that survives a web process's death.

A socket's own goodbye (`disconnect()`) and the expiry timer it starts live in the memory
of the process that holds the socket; a process killed with -9 runs neither. So each web
process on Redis keeps a lease (a key with a TTL, renewed every beat), and every beat each
process sweeps: people whose socket belongs to a process without a lease, or to this
process but no longer open here, are marked reconnecting; people whose grace has run out
are taken out of the meeting (rooms/ decides what that means, as for any timeout).

A process finds its socket by the channel name: channels_redis names each socket's
channel `specific.<process prefix>!<random>`, one prefix per process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from rooms import selectors
from rooms.services import participants
from signaling import delivery
from signaling.redis_layer import RedisChannelLayer

log = logging.getLogger(__name__)

# A lease outlives a few missed beats; a killed process's people show as reconnecting
# within LEASE_SECONDS + BEAT_SECONDS, and as gone within that plus the grace.
LEASE_SECONDS = 8
BEAT_SECONDS = 2

_online_sockets = database_sync_to_async(selectors.online_sockets)
_lapsed_meetings = database_sync_to_async(selectors.meetings_with_lapsed_reconnects)
_socket_lost = database_sync_to_async(participants.participant_disconnect)
_expire_lapsed = database_sync_to_async(participants.participants_expire_lapsed)


class LocalSocket(Protocol):
    channel_name: str

    async def close_to_reconnect(self) -> None: ...


# The sockets this process holds, by channel name (the consumers add and remove themselves).
local_sockets: dict[str, LocalSocket] = {}


def process_of(channel_name: str) -> str:
    return channel_name.partition("!")[0].rpartition(".")[2]


class Presence:
    def __init__(self, layer: RedisChannelLayer) -> None:
        self.layer = layer
        self.process = layer.client_prefix
        self.beats = 0

    def lease_key(self, process: str) -> str:
        return f"{self.layer.prefix}:lease:{process}"

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                await self.beat()
                await self.sweep()
            except Exception as exc:
                # Redis or the database away for a moment: the next beat tries again.
                log.warning("presence: beat failed error=%s", type(exc).__name__)
            await asyncio.sleep(max(0.1, BEAT_SECONDS - (loop.time() - started)))

    async def beat(self) -> None:
        redis = self.layer.connection(0)
        held = await redis.set(self.lease_key(self.process), b"1", ex=LEASE_SECONDS, get=True)
        self.beats += 1
        if held is None and self.beats > 1:
            # Others may already have counted this process's people as gone: every socket
            # here reconnects (to any process) and so is counted present again.
            log.warning(
                "presence: this process's lease had lapsed; asking its sockets to reconnect"
            )
            for socket in list(local_sockets.values()):
                await socket.close_to_reconnect()

    async def lapsed_processes(self, processes: set[str]) -> set[str]:
        others = sorted(processes - {self.process})
        if not others:
            return set()
        leases = await self.layer.connection(0).mget([self.lease_key(p) for p in others])
        return {process for process, lease in zip(others, leases, strict=True) if lease is None}

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
        """Stops beating and gives the lease up at once (a clean shutdown): the others sweep
        whatever this process leaves behind without waiting for the lease to lapse."""
        if _running is not None:
            _running[1].cancel()
        with contextlib.suppress(Exception):
            await self.layer.connection(0).delete(self.lease_key(self.process))


_running: tuple[Presence, asyncio.Task[None]] | None = None


def start() -> Presence | None:
    """Starts this process's lease and sweep on the running loop (once; Redis layer only)."""
    global _running
    if _running is not None:
        return _running[0]
    layer = get_channel_layer()
    if not isinstance(layer, RedisChannelLayer):
        return None  # the in-memory layer is one process: its sockets die with it
    presence = Presence(layer)
    _running = (presence, asyncio.get_running_loop().create_task(presence.run()))
    return presence


def current() -> Presence | None:
    return _running[0] if _running is not None else None
