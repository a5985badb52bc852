"""One fan-out per process: a meeting's message reaches this process once, not once per socket.

Sockets do not join channel-layer groups themselves. The process's hub joins each group any
of its sockets is in, receives every message sent to it once, and hands it to its local
members in order. What a member is due then goes out in one pass over all members
(`flush`), each member's frames as one WebSocket frame when its client reads batches.

Why: in a meeting of 150 each chat message used to wake 150 consumers through the channel
layer (a task and a thread hop per consumer, channels' dispatch) and send 150 frames at
once; the process fell behind at ~20 messages a second. Here a message costs one layer
receive, a list append per member, and frames are grouped per member while the process
is busy sending (`Window`): a quiet room still gets each message on the next loop turn.

Every message to a group carries the group's name (`group_send` adds it): the layer says
which channel a message is for, not through which group it came.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
import weakref
from collections import defaultdict
from typing import Any, Protocol

from channels.layers import get_channel_layer

from signaling import metrics
from signaling.frames import Shared

log = logging.getLogger(__name__)

# channels_redis forgets a group membership a day after it was added: a long-lived
# subscription is renewed well before that.
_RENEW_SECONDS = 3600.0


class Member(Protocol):
    def from_hub(self, message: dict) -> None: ...

    def pending_frames(self) -> bool: ...

    async def flush_frames(self, shared: Shared | None = None) -> None: ...


class Window:
    """How long frames wait to be grouped: not at all while sending keeps up, longer while
    it does not. After a pass that took `cost` seconds the next pass waits `cost` times
    `ratio` (at most `ceiling`), so sending never takes more than 1/(1+ratio) of the loop
    and everything due meanwhile goes out in the same frames. A pass to a few people costs
    well under a millisecond (no wait); one to 150 a few milliseconds, more on a loaded
    machine, which is when fewer frames matter most (each costs a system call)."""

    def __init__(self, ratio: float = 4.0, ceiling: float = 0.1, floor: float = 0.002) -> None:
        self.ratio, self.ceiling, self.floor = ratio, ceiling, floor
        self.wait = 0.0

    def after_pass(self, cost: float) -> None:
        wait = cost * self.ratio
        self.wait = 0.0 if wait < self.floor else min(wait, self.ceiling)


class Hub:
    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.channel = ""
        self.members: dict[str, set[Member]] = defaultdict(set)
        self.subscribed: dict[str, float] = {}  # group -> when the hub last joined it
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._dirty: dict[Member, None] = {}  # insertion-ordered set
        self._dirty_since = 0.0  # when the first of them became due (fan-out latency)
        self._flush_at: float | None = None
        self._last_pass = 0.0
        self.window = Window()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._passes: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        if self._task is None:
            # contexts of their own: the hub's lines are not those of the socket that
            # happened to start it or a pass
            self._task = asyncio.get_running_loop().create_task(
                self._run(), context=contextvars.Context()
            )
        await self._ready.wait()

    async def _run(self) -> None:
        self.channel = await self.layer.new_channel()
        self._ready.set()
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the layer retries outages itself; never stop fanning out
                log.warning("hub receive failed", extra={"error": type(exc).__name__})
                await asyncio.sleep(0.1)
                continue
            self._fan_out(message)

    def _fan_out(self, message: dict) -> None:
        group = message.get("group")
        members = list(self.members.get(group, ())) if group else []
        for member in members:
            try:
                member.from_hub(message)
            except Exception:
                log.exception("hub member failed to take a message")
        if message.get("type") == "room.event":
            metrics.count_sent_event(message.get("event"), len(members))

    # --- membership ----------------------------------------------------------------

    async def join(self, group: str, member: Member) -> None:
        """From now on `member` gets what is sent to `group` (once this returns)."""
        self.members[group].add(member)
        async with self._locks[group]:
            joined = self.subscribed.get(group)
            if joined is None or time.monotonic() - joined > _RENEW_SECONDS:
                async with metrics.channel_layer_call("group_add"):
                    await self.layer.group_add(group, self.channel)
                self.subscribed[group] = time.monotonic()

    async def leave(self, group: str, member: Member) -> None:
        members = self.members.get(group)
        if members is None or member not in members:
            return
        members.discard(member)
        if not members:
            await self.unsubscribe(group)

    async def unsubscribe(self, group: str) -> None:
        """Takes the hub out of `group` if no local member is left in it."""
        async with self._locks[group]:
            if self.members.get(group) or group not in self.subscribed:
                return  # someone joined again meanwhile
            self.members.pop(group, None)
            del self.subscribed[group]
            await self.layer.group_discard(group, self.channel)
        lock = self._locks.get(group)
        if lock is not None and not lock.locked() and group not in self.subscribed:
            del self._locks[group]

    def forget(self, member: Member) -> list[str]:
        """Takes `member` out of every group at once (its socket is gone); the groups it
        was the last local member of are returned, to `unsubscribe` from."""
        emptied = []
        for group, members in list(self.members.items()):
            if member in members:
                members.discard(member)
                if not members:
                    emptied.append(group)
        self._dirty.pop(member, None)
        return emptied

    # --- sending ---------------------------------------------------------------------

    def due(self, member: Member) -> None:
        """`member` has frames to send: they go out with the next pass."""
        if not self._dirty:
            self._dirty_since = time.monotonic()
        self._dirty[member] = None
        if self._flush_at is None:
            self._schedule()

    def _schedule(self) -> None:
        loop = asyncio.get_running_loop()
        self._flush_at = max(loop.time(), self._last_pass + self.window.wait)
        loop.call_at(self._flush_at, self._start_pass, context=contextvars.Context())

    def _start_pass(self) -> None:
        self._passes.add(task := asyncio.get_running_loop().create_task(self._pass()))
        task.add_done_callback(self._passes.discard)

    async def _pass(self) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        dirty, self._dirty = self._dirty, {}
        since = self._dirty_since
        shared = Shared()  # members due the same frames (a broadcast) share one payload
        for member in dirty:
            if member.pending_frames():
                try:
                    await member.flush_frames(shared)
                except Exception as exc:  # a socket closing under us; the others still get theirs
                    log.info("hub send failed", extra={"error": type(exc).__name__})
        self._last_pass = loop.time()
        if dirty:
            metrics.FANOUT_SECONDS.observe(time.monotonic() - since)
        self.window.after_pass(self._last_pass - started)
        self._flush_at = None
        if self._dirty:
            self._schedule()


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


async def current() -> Hub:
    """This process's hub (one per event loop: tests run a loop each), started."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None or hub.layer is not get_channel_layer():
        hub = _hubs[loop] = Hub(get_channel_layer())
    await hub.start()
    return hub


async def group_send(layer: Any, group: str, message: dict) -> None:
    """Sends `message` to everyone in `group`, through each process's hub."""
    async with metrics.channel_layer_call("group_send"):
        await layer.group_send(group, {**message, "group": group})
