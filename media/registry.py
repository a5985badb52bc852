"""Which media worker serves which meeting, kept in Redis so workers on several hosts share it.

Every worker holds a lease (``{prefix}:media:leases``, a sorted set of worker id -> expiry
in Redis's own clock, so hosts' clocks do not matter) and refreshes it every
``refresh_seconds``. A meeting is placed once, on the least loaded live worker, and stays
there (``{prefix}:media:m:<meeting>`` -> worker id) while that worker's lease holds and it
is not draining. A meeting whose worker lapsed or drains is placed again on the next
``place()``; exactly one caller sees ``moved=True`` for that move and is the one that
tells the meeting's people to join media again. A worker that reports itself not ready
(its channel layer unreachable) keeps its meetings but is given no new or moved ones.

Load is the participants a worker reported at its last refresh, plus, for each meeting
placed on it that nobody has joined there yet, the mean size of the meetings that have been
joined (at least one): at the top of the hour many groups start at once, and a worker whose
people are still joining is not emptier than one whose people have arrived.

Every check-and-set is one Lua script, so concurrent web processes and workers agree.
No Django here: a ``redis.asyncio.Redis`` factory and a key prefix are handed in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

LEASE_SECONDS = 3.0
REFRESH_SECONDS = 0.5
# A meeting nobody has joined on its worker for this long is forgotten by that worker.
IDLE_MEETING_SECONDS = 60.0

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

_LIVE = """
local function live(w)
  local expiry = redis.call('ZSCORE', p .. ':media:leases', w)
  return expiry and tonumber(expiry) > now
end
local function accepting(w)
  return live(w) and redis.call('HGET', p .. ':media:w:' .. w, 'draining') ~= '1'
end
local function takes_new(w)
  return accepting(w) and redis.call('HGET', p .. ':media:w:' .. w, 'ready') ~= '0'
end
"""

# ARGV: prefix, meeting id, worker id to avoid ('' for none), place a new meeting (0/1),
# how long a placement lasts unless its worker hosts the meeting (ms), taken from a lapsed
# worker (0/1)
# -> {worker, channel, moved}, or false when no worker is live (or the meeting is new and
# must not be placed)
_PLACE = (
    "local p = ARGV[1]\n"
    + _NOW
    + _LIVE
    + """
local meeting, avoid = ARGV[2], ARGV[3]
local key = p .. ':media:m:' .. meeting
local current = redis.call('GET', key)
if current and current ~= avoid and accepting(current) then
  return {current, redis.call('HGET', p .. ':media:w:' .. current, 'channel'), 0}
end
if not current and ARGV[4] == '0' then return false end
local candidates, people, joined = {}, 0, 0
for _, w in ipairs(redis.call('ZRANGEBYSCORE', p .. ':media:leases', '(' .. now, '+inf')) do
  if w ~= avoid and takes_new(w) then
    local h = redis.call('HMGET', p .. ':media:w:' .. w, 'load', 'active')
    local load, active = tonumber(h[1] or '0'), tonumber(h[2] or '0')
    local waiting = redis.call('ZCARD', p .. ':media:w:' .. w .. ':meetings') - active
    table.insert(candidates, {w, load, math.max(0, waiting)})
    people, joined = people + load, joined + active
  end
end
local size = 1
if joined > 0 then size = math.max(1, people / joined) end
local best, best_load = false, nil
for _, c in ipairs(candidates) do
  local w, load = c[1], c[2] + c[3] * size
  if best_load == nil or load < best_load or (load == best_load and w < best) then
    best, best_load = w, load
  end
end
if not best then return false end
redis.call('SET', key, best, 'PX', ARGV[5])
redis.call('ZADD', p .. ':media:w:' .. best .. ':meetings', now, meeting)
redis.call('PEXPIRE', p .. ':media:w:' .. best .. ':meetings', 3600000)
local moved = 0
if current then
  moved = 1
  redis.call('ZREM', p .. ':media:w:' .. current .. ':meetings', meeting)
elseif ARGV[6] == '1' then
  moved = 1  -- claimed from a lapsed worker after its placement had expired
end
return {best, redis.call('HGET', p .. ':media:w:' .. best, 'channel'), moved}
"""
)

# ARGV: prefix, worker id, channel, load, draining (0/1), lease ms, idle ms, ready (0/1),
# forwarded streams, hosted meetings...
# -> the hosted meetings that now belong to another worker (moved while we were frozen).
# A hosted meeting with no worker (Redis lost its data, or a lapsed claim not yet placed)
# is taken back, so a Redis restart moves nobody.
_REFRESH = (
    "local p = ARGV[1]\n"
    + _NOW
    + """
local w = ARGV[2]
redis.call('ZADD', p .. ':media:leases', now + tonumber(ARGV[6]), w)
redis.call('HSET', p .. ':media:w:' .. w, 'channel', ARGV[3], 'load', ARGV[4], 'draining', ARGV[5],
  'ready', ARGV[8], 'streams', ARGV[9], 'active', #ARGV - 9)
redis.call('PEXPIRE', p .. ':media:w:' .. w, tonumber(ARGV[6]) * 10)
local meetings = p .. ':media:w:' .. w .. ':meetings'
-- nothing outlives an hour without a live worker (e.g. a deployment torn down)
redis.call('PEXPIRE', p .. ':media:leases', 3600000)
redis.call('PEXPIRE', meetings, 3600000)
local hosted, lost = {}, {}
for i = 10, #ARGV do
  local m = ARGV[i]
  hosted[m] = true
  local owner = redis.call('GET', p .. ':media:m:' .. m)
  if not owner or owner == w then
    redis.call('SET', p .. ':media:m:' .. m, w, 'PX', tonumber(ARGV[7]) * 2)
    redis.call('ZADD', meetings, 'NX', now, m)
  else
    table.insert(lost, m)
  end
end
for _, m in ipairs(redis.call('ZRANGEBYSCORE', meetings, '-inf', now - tonumber(ARGV[7]))) do
  if not hosted[m] then
    redis.call('ZREM', meetings, m)
    if redis.call('GET', p .. ':media:m:' .. m) == w then redis.call('DEL', p .. ':media:m:' .. m) end
  end
end
return lost
"""
)

# ARGV: prefix -> how many workers would take a new meeting now
_READY_WORKERS = (
    "local p = ARGV[1]\n"
    + _NOW
    + _LIVE
    + """
local n = 0
for _, w in ipairs(redis.call('ZRANGEBYSCORE', p .. ':media:leases', '(' .. now, '+inf')) do
  if takes_new(w) then n = n + 1 end
end
return n
"""
)

# ARGV: prefix -> meeting ids of every worker whose lease lapsed (each claimed by one caller)
_CLAIM_LAPSED = (
    "local p = ARGV[1]\n"
    + _NOW
    + """
local leases = p .. ':media:leases'
local meetings = {}
for _, w in ipairs(redis.call('ZRANGEBYSCORE', leases, '-inf', now)) do
  redis.call('ZREM', leases, w)
  local key = p .. ':media:w:' .. w .. ':meetings'
  for _, m in ipairs(redis.call('ZRANGE', key, 0, -1)) do table.insert(meetings, m) end
  redis.call('DEL', key, p .. ':media:w:' .. w)
end
return meetings
"""
)

# ARGV: prefix, worker id -> the worker's lease ends now; its meetings wait for a sweep
_EXPIRE = """
local p = ARGV[1]
if redis.call('ZSCORE', p .. ':media:leases', ARGV[2]) then
  redis.call('ZADD', p .. ':media:leases', 0, ARGV[2])
end
redis.call('HSET', p .. ':media:w:' .. ARGV[2], 'draining', '1')
return 1
"""


# ARGV: prefix, meeting ids... -> {{worker, ms left on its lease, load, draining, meetings
# placed, forwarded streams, ready}...}, {worker of each meeting ('' for none)...}.
# Reads only, for the status page.
_SNAPSHOT = (
    "local p = ARGV[1]\n"
    + _NOW
    + """
local workers = {}
local leases = redis.call('ZRANGE', p .. ':media:leases', 0, -1, 'WITHSCORES')
for i = 1, #leases, 2 do
  local w = leases[i]
  local h = redis.call('HMGET', p .. ':media:w:' .. w, 'load', 'draining', 'streams', 'ready')
  table.insert(workers, {
    w, tonumber(leases[i + 1]) - now, tonumber(h[1] or '0'), h[2] == '1' and 1 or 0,
    redis.call('ZCARD', p .. ':media:w:' .. w .. ':meetings'), tonumber(h[3] or '0'),
    h[4] == '0' and 0 or 1})
end
local placed = {}
for i = 2, #ARGV do placed[i - 1] = redis.call('GET', p .. ':media:m:' .. ARGV[i]) or '' end
return {workers, placed}
"""
)


@dataclass(frozen=True)
class WorkerState:
    """One registered worker as the registry saw it just now."""

    worker: str
    lease_left_seconds: float  # negative: lapsed (the next sweep moves its meetings)
    load: int  # participants with media on it at its last refresh
    meetings: int  # meetings placed on it
    draining: bool
    streams: int = 0  # tracks it forwarded at its last refresh
    ready: bool = True  # False: it keeps its meetings but is given no new ones

    @property
    def alive(self) -> bool:
        return self.lease_left_seconds > 0


@dataclass(frozen=True)
class Placement:
    worker: str
    channel: str
    moved: bool  # this call moved the meeting off a lapsed or draining worker


class Registry:
    """The shared worker and meeting table. One Redis client per event loop."""

    def __init__(
        self,
        connect: Callable[[], Any],
        prefix: str,
        *,
        lease_seconds: float = LEASE_SECONDS,
        idle_meeting_seconds: float = IDLE_MEETING_SECONDS,
    ) -> None:
        self._connect = connect
        self.prefix = prefix
        self.lease_seconds = lease_seconds
        self.idle_meeting_seconds = idle_meeting_seconds
        self._clients: dict[asyncio.AbstractEventLoop, Any] = {}
        self._scripts: dict[tuple[asyncio.AbstractEventLoop, str], Any] = {}

    def _client(self) -> Any:
        loop = asyncio.get_running_loop()
        for old in [old for old in self._clients if old.is_closed()]:
            del self._clients[old]
        if loop not in self._clients:
            self._clients[loop] = self._connect()
        return self._clients[loop]

    async def _run(self, script: str, *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        key = (loop, script)
        if key not in self._scripts:
            self._scripts = {k: v for k, v in self._scripts.items() if not k[0].is_closed()}
            self._scripts[key] = self._client().register_script(script)
        return await self._scripts[key](args=[self.prefix, *args])

    async def place(
        self, meeting_id: str, *, avoid: str = "", new: bool = True, claimed: bool = False
    ) -> Placement | None:
        """The meeting's worker: where it is, or the least loaded live one (None: none live,
        or ``new=False`` and the meeting has no worker yet). ``claimed``: the meeting came
        from ``claim_lapsed()``, so placing it anywhere is a move."""
        placed_ms = int(self.idle_meeting_seconds * 2000)
        found = await self._run(_PLACE, str(meeting_id), avoid, int(new), placed_ms, int(claimed))
        if not found:
            return None
        worker, channel, moved = found
        return Placement(_text(worker), _text(channel), bool(moved))

    async def refresh(
        self,
        worker_id: str,
        channel: str,
        *,
        load: int,
        hosting: Sequence[str],
        draining: bool = False,
        ready: bool = True,
        streams: int = 0,
    ) -> list[str]:
        """Takes or renews the lease; returns the hosted meetings another worker now has.
        A worker not ``ready`` keeps its meetings but is given no new or moved ones."""
        lost = await self._run(
            _REFRESH,
            worker_id,
            channel,
            load,
            int(draining),
            int(self.lease_seconds * 1000),
            int(self.idle_meeting_seconds * 1000),
            int(ready),
            streams,
            *hosting,
        )
        return [_text(m) for m in lost]

    async def ready_workers(self) -> int:
        """Live workers that would take a new meeting now (not draining, ready)."""
        return int(await self._run(_READY_WORKERS))

    async def claim_lapsed(self) -> list[str]:
        """Meetings of workers whose lease lapsed; each lapsed worker is claimed by one caller."""
        return [_text(m) for m in await self._run(_CLAIM_LAPSED)]

    async def expire(self, worker_id: str) -> None:
        """Ends the lease now: a live worker's next sweep places what is left elsewhere."""
        await self._run(_EXPIRE, worker_id)

    async def snapshot(self, meeting_ids: Sequence[str]) -> tuple[list[WorkerState], list[str]]:
        """Every worker holding or lately holding a lease, and each meeting's worker ('':
        none), without placing or moving anything."""
        workers, placed = await self._run(_SNAPSHOT, *map(str, meeting_ids))
        states = [
            WorkerState(
                _text(w),
                left / 1000,
                int(load),
                int(meetings),
                bool(draining),
                int(streams),
                bool(ready),
            )
            for w, left, load, draining, meetings, streams, ready in workers
        ]
        return states, [_text(worker) for worker in placed]

    async def close(self) -> None:
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
