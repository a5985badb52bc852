"""One media worker for bench/workers.py, built as ``manage.py media_worker`` builds it.

The same pieces as production: a ``MediaWorker`` reading its own channel
(``media-relay-<worker id>``) on the Redis channel layer (signaling/redis_layer.py), a
``WorkerLease`` in the Redis registry (media/registry.py) renewing every 0.5 s with its
load, run through ``media.runtime.run`` (the worker's default event loop). What differs,
so that no Django, database or browser socket is needed:

- plans: everyone whose id starts with the meeting's id may publish, in one room per
  meeting (production reads rooms.selectors.media_plans from PostgreSQL);
- outbox: outcomes go to the bench gateway's channel on the same channel layer
  (production sends them to each participant's group, read by their web socket).

Prints "READY <worker id>" once its lease is taken; on stdin, "stats" prints one JSON
line (packets, forwarded streams, meetings, codec calls); end of stdin stops it (drain,
as SIGTERM does).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from redis.asyncio import Redis

from media import RelayConfig, RelayEvent
from media.aiortc_private import packet_io
from media.lease import WorkerLease, new_worker_id, worker_channel
from media.registry import Registry
from media.runtime import DEFAULT_LOOP, run
from media.worker import (
    Answered,
    Failed,
    MediaWorker,
    Outcome,
    Ready,
    Restart,
    SpeakingSeconds,
    Stopped,
)
from signaling.redis_layer import RedisChannelLayer, connection_options


def channel_layer(url: str, prefix: str) -> RedisChannelLayer:
    """The channel layer as meetings/settings.py configures it for Redis."""
    return RedisChannelLayer(
        hosts=[{"address": url, **connection_options(max_connections=50)}],
        prefix=prefix,
        channel_capacity={"media-relay-*": 5000, "bench-gateway*": 5000},
    )


@dataclass(frozen=True)
class Everyone:
    room: str
    publish: bool = True
    audio: bool = True
    video: bool = True
    screen: bool = False


class MeetingMembers(Mapping[str, Everyone]):
    """Any id of the form ``<meeting>-<n>`` is a publishing member of that meeting."""

    def __init__(self, meeting_id: str) -> None:
        self.meeting_id = meeting_id

    def __getitem__(self, pid: str) -> Everyone:
        if not pid.startswith(self.meeting_id + "-"):
            raise KeyError(pid)
        return Everyone(room=self.meeting_id)

    def __iter__(self) -> Iterator[str]:
        return iter(())  # nobody to tell on a rejoin: the bench never moves meetings

    def __len__(self) -> int:
        return 0


class BenchPlans:
    async def plans(self, meeting_id: str) -> Mapping[str, Everyone]:
        return MeetingMembers(meeting_id)

    async def close(self) -> None:
        return None


def outcome_dict(outcome: Outcome) -> dict | None:
    match outcome:
        case Ready():
            return {"type": "ready"}
        case Answered(sdp=sdp):
            return {"type": "answered", "sdp": sdp}
        case Failed(code=code):
            return {"type": "failed", "code": code}
        case Stopped() | Restart():
            return {"type": type(outcome).__name__.lower()}
        case RelayEvent():
            return outcome.to_dict()
    return None


class GatewayOutbox:
    def __init__(self, layer: RedisChannelLayer, gateway: str) -> None:
        self.layer = layer
        self.gateway = gateway

    async def to_participant(self, participant_id: str, outcome: Outcome) -> None:
        message = outcome_dict(outcome)
        if message is not None:
            await self.layer.send(
                self.gateway,
                {"type": "bench.outcome", "participant": participant_id, "outcome": message},
            )

    async def to_facilitators(self, meeting_id: str, report: SpeakingSeconds) -> None:
        return None


async def serve(args: argparse.Namespace) -> None:
    layer = channel_layer(args.redis, args.channel_prefix)
    worker_id = new_worker_id()
    worker = MediaWorker(
        [worker_channel(worker_id)],
        RelayConfig(host_addresses=["127.0.0.1"], ice_servers=[]),
        plans=BenchPlans(),
        outbox=GatewayOutbox(layer, args.gateway),
        receive=layer.receive,
    )
    worker.start()
    registry = Registry(lambda: Redis.from_url(args.redis), args.registry_prefix)
    lease = WorkerLease(registry, worker_id, worker, layer.send)
    await lease.start()
    print(f"READY {worker_id}", flush=True)
    loop = asyncio.get_running_loop()
    while line := (await loop.run_in_executor(None, sys.stdin.readline)):
        if line.strip() == "stats":
            stats = worker.relay.stats()
            print(
                json.dumps(
                    {
                        "worker": worker_id,
                        "packets_in": stats.packets_in,
                        "packets_out": stats.packets_out,
                        "participants": stats.participants,
                        "forwarded_streams": worker.relay.forwarded_streams(),
                        "meetings": sorted(worker.hosting()),
                        "encoder_calls": stats.encoder_calls,
                        "decoder_calls": stats.decoder_calls,
                        "packet_io": "compiled" if packet_io.use_compiled() else "python",
                    }
                ),
                flush=True,
            )
    await asyncio.wait_for(lease.drain(), 5)
    await worker.stop()


def deployment_options(gateway_help: str) -> argparse.Namespace:
    """The options bench/workers.py gives the workers and the gateway alike: Redis, the
    registry's and the channel layer's prefixes, the gateway's channel."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--registry-prefix", required=True)
    parser.add_argument("--channel-prefix", required=True)
    parser.add_argument("--gateway", required=True, help=gateway_help)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    return args


def main() -> None:
    run(serve(deployment_options("channel the outcomes go to")), DEFAULT_LOOP)


if __name__ == "__main__":
    main()
