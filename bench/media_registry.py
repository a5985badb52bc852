"""What the media worker registry costs on real Redis (127.0.0.1): one ``place()`` per media
command in the web process, one lease renewal per worker every 0.5 s. Prints one JSON object.

    python bench/media_registry.py --workers 4 --meetings 200 --calls 2000 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from pathlib import Path

from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from media.registry import Registry

REDIS_URL = "redis://127.0.0.1:6379/0"


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3),
    }


async def main(workers: int, meetings: int, calls: int) -> dict:
    prefix = f"bench-media-registry-{uuid.uuid4().hex[:8]}"
    registry = Registry(lambda: Redis.from_url(REDIS_URL), prefix)
    ids = [f"worker-{i}" for i in range(workers)]
    meeting_ids = [str(uuid.uuid4()) for _ in range(meetings)]
    try:
        for worker in ids:
            await registry.refresh(worker, f"media-relay-{worker}", load=0, hosting=[])
        first = []
        for meeting in meeting_ids:
            started = time.perf_counter()
            await registry.place(meeting)
            first.append(time.perf_counter() - started)
        placed = {m: (await registry.place(m)).worker for m in meeting_ids}
        spread = {w: sum(1 for x in placed.values() if x == w) for w in ids}
        again = []
        for i in range(calls):
            started = time.perf_counter()
            await registry.place(meeting_ids[i % meetings])
            again.append(time.perf_counter() - started)
        renewals = []
        for _ in range(max(calls // 10, 10)):
            worker = ids[len(renewals) % workers]
            hosting = [m for m, w in placed.items() if w == worker]
            started = time.perf_counter()
            await registry.refresh(worker, f"media-relay-{worker}", load=10, hosting=hosting)
            renewals.append(time.perf_counter() - started)
        return {
            "workers": workers,
            "meetings": meetings,
            "new_meeting_place": percentiles(first),
            "existing_meeting_place": percentiles(again),
            "lease_renewal": {**percentiles(renewals), "hosting": meetings // workers},
            "meetings_per_worker": spread,
        }
    finally:
        client = Redis.from_url(REDIS_URL)
        keys = [key async for key in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
        await registry.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--meetings", type=int, default=200)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    calls = min(args.calls, 20000)  # bounded
    result = asyncio.run(main(args.workers, min(args.meetings, 5000), calls))
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
