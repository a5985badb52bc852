"""The web process's part for bench/workers.py: media commands to the meeting's worker.

Synthetic clients (synthetic_clients.py) connect over TCP on 127.0.0.1 with the same JSON
lines as bench/relay_server.py. Each request becomes a media command sent as production's
web process sends it: ``media.routing.RegistryRouter`` places the meeting on the least
loaded live worker in the Redis registry (``Registry.place``) and sends the command to that
worker's channel on the Redis channel layer. Outcomes come back on this gateway's channel
(bench/media_worker_process.py's outbox): "ready" answers a join, "answered" an offer,
relay offers are pushed as ``{"event": {...}}``. A participant id is ``<meeting>-<n>``.

Prints "READY <port>"; on stdin, "placements" prints one JSON line {meeting: worker}.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from media_worker_process import channel_layer, deployment_options
from redis.asyncio import Redis

from media.registry import Registry
from media.routing import RegistryRouter


def meeting_of(participant: str) -> str:
    return participant.rsplit("-", 1)[0]


async def serve(args: argparse.Namespace) -> None:
    layer = channel_layer(args.redis, args.channel_prefix)
    registry = Registry(lambda: Redis.from_url(args.redis), args.registry_prefix)
    router = RegistryRouter(registry, layer.send)
    writers: dict[str, asyncio.StreamWriter] = {}
    waiting: dict[str, asyncio.Future[dict]] = {}
    meetings: set[str] = set()

    async def read_outcomes() -> None:
        while True:
            message = await layer.receive(args.gateway)
            pid, outcome = message["participant"], message["outcome"]
            kind = outcome["type"]
            if kind in ("ready", "answered", "failed"):
                future = waiting.pop(pid, None)
                if future is not None and not future.done():
                    future.set_result(outcome)
            elif kind == "renegotiate":
                writer = writers.get(pid)
                if writer is not None and not writer.is_closing():
                    writer.write((json.dumps({"event": outcome}) + "\n").encode())

    async def command(op: str, pid: str, **data) -> dict:
        future = asyncio.get_running_loop().create_future()
        waiting[pid] = future
        await router.command(meeting_of(pid), op, pid, **data)
        outcome = await asyncio.wait_for(future, 30)
        if outcome["type"] == "failed":
            return {"error": outcome["code"]}
        return {"sdp": outcome["sdp"]} if "sdp" in outcome else {}

    async def handle(request: dict, writer: asyncio.StreamWriter) -> dict:
        op, pid = request["op"], request.get("participant", "")
        if op == "join":
            writers[pid] = writer
            meetings.add(meeting_of(pid))
            return await command("join", pid)
        if op == "offer":
            return await command("offer", pid, sdp=request["sdp"])
        if op == "answer":
            # the worker answers an answer with nothing; its per-person lock keeps order
            await router.command(meeting_of(pid), "answer", pid, sdp=request["sdp"])
            return {}
        raise ValueError(op)

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def respond(request: dict) -> None:
            response = await handle(request, writer)
            writer.write((json.dumps({"id": request["id"], **response}) + "\n").encode())

        tasks = set()
        with contextlib.suppress(ConnectionError):
            while line := await reader.readline():
                # concurrent: a client's participants join at the same time
                task = asyncio.ensure_future(respond(json.loads(line)))
                tasks.add(task)
                task.add_done_callback(tasks.discard)

    reading = asyncio.ensure_future(read_outcomes())
    server = await asyncio.start_server(on_connection, "127.0.0.1", 0)
    print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
    loop = asyncio.get_running_loop()
    while line := (await loop.run_in_executor(None, sys.stdin.readline)):
        if line.strip() == "placements":
            placed = {}
            for meeting in sorted(meetings):
                placement = await registry.place(meeting, new=False)
                placed[meeting] = placement.worker if placement else None
            print(json.dumps(placed), flush=True)
    reading.cancel()
    server.close()
    await registry.close()


def main() -> None:
    asyncio.run(serve(deployment_options("the channel outcomes arrive on")))


if __name__ == "__main__":
    main()
