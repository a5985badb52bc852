"""Chat load on real signaling servers: joins, chat fan-out latency, delivery, CPU.

    python bench/signaling_load.py --meetings 1 --participants 150 --chat-rate 50 --json
    python bench/signaling_load.py --meetings 50 --participants 500 --processes 2 \\
        --chat-rate 50 --json

Starts `--processes` web processes on 127.0.0.1 as the image starts them (daphne through
`python -m meetings.serve`; media off: this measures signaling), on the embedded default
(SQLite + in-memory layer; one process only) or on PostgreSQL + Redis (`--stack
production`, the default with more than one process), creates the meetings
and their participants (lobby off), opens one socket per participant from this process
(round-robin over the servers), then sends `--chat-rate` chat messages a second in total
for `--seconds`, each from a random participant to their meeting. Everything is bounded in
time and stays on loopback. Prints one JSON object:

- `joined_ratio`: participants who got `room.state`;
- `delivered_ratio`: acknowledged messages (`chat.ack`) that reached every participant of
  their meeting, the sender included; `duplicates`: the same message id twice on a socket;
- `fanout_p50_ms` / `fanout_p99_ms`: from `chat.send` to each recipient's `chat.message`;
- `frames`: WebSocket frames received from the first chat message on (a frame holds several
  messages when the server groups what one person is due);
- `errors`: `error` messages by code (plus `connect_failed`);
- `cpu`: cores used by each server process and by this load client over the chat window;
- `cpu_ms_per_message`: CPU milliseconds each server process spent per chat message, from
  the first message until the last delivery (or the drain's end): the cost of a message
  and its fan-out, which a loaded machine changes less than it changes latency.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402

from tests import servers  # noqa: E402

BATCH = os.environ.get("BENCH_BATCH", "1") == "1"  # hello `batch`: several messages a frame

SETUP = """
import json
from django.contrib.auth import get_user_model
from rooms.services import meetings
owner, _ = get_user_model().objects.get_or_create(username="bench")
out = []
for m in range({meetings}):
    meeting = meetings.meeting_create(owner=owner, title=f"Bench {{m}}", lobby_enabled=False)
    tokens = [
        meetings.participant_create(
            meeting=meeting, display_name=f"P{{m}}-{{i}}", media="text_only", role="peer", agreement_accepted=True
        )[1]
        for i in range({per_meeting})
    ]
    out.append({{"id": str(meeting.id), "tokens": tokens}})
print("BENCH" + json.dumps(out))
"""


@dataclass
class Person:
    index: int
    meeting: int
    meeting_id: str
    token: str
    url: str
    ws: object = None
    joined: bool = False


@dataclass
class Stats:
    sent: dict[str, tuple[float, int]] = field(default_factory=dict)  # client id -> t, meeting
    acked: dict[str, int] = field(default_factory=dict)  # client id -> message id
    reached: Counter = field(default_factory=Counter)  # client id -> distinct recipients
    seen: set[tuple[int, int]] = field(default_factory=set)  # (person, message id)
    latencies: list[float] = field(default_factory=list)
    last_frame: float = 0.0  # when any socket last received anything
    frames: int = 0  # WebSocket frames received (one may hold several messages)
    duplicates: int = 0
    errors: Counter = field(default_factory=Counter)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def listen(person: Person, stats: Stats, room_state: asyncio.Event) -> None:
    async for frame in person.ws:
        now = stats.last_frame = time.perf_counter()
        stats.frames += 1
        parsed = json.loads(frame)
        for message in parsed if isinstance(parsed, list) else [parsed]:
            await handle(person, stats, room_state, message, now)


async def handle(person: Person, stats: Stats, room_state, message: dict, now: float) -> None:
    kind = message["type"]
    if kind == "chat.message":
        info = message["message"]
        key = (person.index, info["id"])
        if key in stats.seen:
            stats.duplicates += 1
            return
        stats.seen.add(key)
        sent = stats.sent.get(info["text"].split()[-1])
        if sent is not None:
            stats.reached[info["text"].split()[-1]] += 1
            stats.latencies.append((now - sent[0]) * 1000)
    elif kind == "chat.ack":
        stats.acked[message["client_id"]] = message["message_id"]
    elif kind == "room.state":
        person.joined = True
        room_state.set()
    elif kind == "ping":
        await person.ws.send('{"type": "pong"}')
    elif kind == "error":
        stats.errors[message["code"]] += 1


async def connect(person: Person, stats: Stats, gate: asyncio.Semaphore, tasks: list) -> None:
    async with gate:
        room_state = asyncio.Event()
        try:
            person.ws = await websockets.connect(
                person.url,
                origin=person.url.replace("ws://", "http://").split("/ws/")[0],
                max_queue=None,
            )
            await person.ws.send(
                json.dumps({"type": "hello", "version": 1, "token": person.token, "batch": BATCH})
            )
            tasks.append(asyncio.create_task(listen(person, stats, room_state)))
            await asyncio.wait_for(room_state.wait(), 30)
        except Exception:
            stats.errors["connect_failed"] += 1


async def load(args, meetings: list[dict], urls: list[str], pids: dict[str, int]) -> dict:
    stats = Stats()
    people: list[Person] = []
    for m, meeting in enumerate(meetings):
        for token in meeting["tokens"]:
            url = urls[len(people) % len(urls)] + f"/ws/meetings/{meeting['id']}/"
            people.append(Person(len(people), m, meeting["id"], token, url))
    tasks: list[asyncio.Task] = []
    gate = asyncio.Semaphore(25)
    async with asyncio.timeout(120):
        await asyncio.gather(*(connect(p, stats, gate, tasks) for p in people))
    joined = [p for p in people if p.joined]
    members = Counter(p.meeting for p in joined)
    # the joins' own fan-out (everyone hears of everyone) settles before chat starts
    settled = time.perf_counter() + args.settle
    while time.perf_counter() - stats.last_frame < 1 and time.perf_counter() < settled:
        await asyncio.sleep(0.2)

    if os.environ.get("BENCH_CHAT_MARK"):  # for a profiler to attach to the chat window only
        Path(os.environ["BENCH_CHAT_MARK"]).touch()
    own = os.getpid()
    frames_before = stats.frames
    before = {name: cpu_seconds(pid) for name, pid in {**pids, "client": own}.items()}
    started = time.perf_counter()
    rng = random.Random(7)
    interval = 1 / args.chat_rate
    count = int(args.chat_rate * args.seconds)
    for n in range(count):
        delay = started + n * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sender = rng.choice(joined)
        client_id = uuid.uuid4().hex[:16]
        stats.sent[client_id] = (time.perf_counter(), sender.meeting)
        message = {"type": "chat.send", "text": f"load {client_id}", "client_id": client_id}
        with contextlib.suppress(Exception):
            await sender.ws.send(json.dumps(message))
    window = time.perf_counter() - started
    after = {name: cpu_seconds(pid) for name, pid in {**pids, "client": own}.items()}

    def complete(client_id: str) -> bool:
        return stats.reached[client_id] >= members[stats.sent[client_id][1]]

    deadline = time.perf_counter() + args.drain
    while time.perf_counter() < deadline:
        if len(stats.acked) == count and all(complete(c) for c in stats.acked):
            break
        await asyncio.sleep(0.2)
    # all the work the chat caused, however long the servers took to catch up
    work = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
    for person in joined:
        with contextlib.suppress(Exception):
            await person.ws.close()
    for task in tasks:
        task.cancel()

    delivered = sum(1 for c in stats.acked if complete(c))
    latencies = sorted(stats.latencies)

    def pct(q: float) -> float | None:
        if not latencies:
            return None
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 1)

    return {
        "participants": len(people),
        "meetings": len(meetings),
        "processes": len(urls),
        "stack": args.stack,
        "chat_rate": args.chat_rate,
        "seconds": args.seconds,
        "joined_ratio": round(len(joined) / len(people), 4),
        "messages_sent": count,
        "acknowledged": len(stats.acked),
        "delivered_ratio": round(delivered / len(stats.acked), 4) if stats.acked else 0.0,
        "deliveries": len(latencies),
        "frames": stats.frames - frames_before,
        "duplicates": stats.duplicates,
        "fanout_p50_ms": pct(0.50),
        "fanout_p99_ms": pct(0.99),
        "fanout_max_ms": round(latencies[-1], 1) if latencies else None,
        "errors": dict(stats.errors),
        "cpu": {name: round((after[name] - before[name]) / window, 3) for name in before},
        "cpu_ms_per_message": {
            name: round(seconds * 1000 / count, 2) for name, seconds in work.items()
        },
    }


@contextlib.contextmanager
def stack(args, workdir: Path):
    """The servers' environment: embedded (SQLite, in-memory layer) or PostgreSQL + Redis."""
    # Every simulated person connects from 127.0.0.1, which the per-address hello throttle
    # would take for one abuser; the throttle is not what this measures.
    common = {"MEDIA_ENABLED": "false", "LOG_LEVEL": "ERROR", "HELLO_RATE_PER_ADDRESS": "100000/m"}
    if args.stack == "embedded":
        yield servers.server_env(DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}", **common)
        return
    with servers.postgres_database() as database_url:
        yield servers.server_env(
            DATABASE_URL=database_url,
            REDIS_URL="redis://127.0.0.1:6379/0",
            CHANNEL_PREFIX=f"bench-{uuid.uuid4().hex[:8]}",
            **common,
        )


def run(args) -> dict:
    with (
        tempfile.TemporaryDirectory(prefix="signaling-load-") as tmp,
        stack(args, Path(tmp)) as env,
    ):
        servers.manage(env, "migrate", "-v0")
        per_meeting = args.participants // args.meetings
        script = SETUP.format(meetings=args.meetings, per_meeting=per_meeting)
        out = servers.manage(env, "shell", "-c", script)
        meetings = json.loads(out.split("BENCH", 1)[1])
        with contextlib.ExitStack() as running:
            urls, pids = [], {}
            for n in range(args.processes):
                port = servers.free_port()
                log = open(Path(tmp) / f"web-{n + 1}.log", "w")  # noqa: SIM115
                running.callback(log.close)
                process = subprocess.Popen(
                    [sys.executable, *servers.serve_args(port)],
                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                )  # fmt: skip
                running.callback(_stop, process)
                deadline = time.monotonic() + 30
                while not servers._listening(port):
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise RuntimeError(f"web-{n + 1} did not start")
                    time.sleep(0.1)
                urls.append(f"ws://127.0.0.1:{port}")
                pids[f"web-{n + 1}"] = process.pid
            return asyncio.run(load(args, meetings, urls, pids))


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--meetings", type=int, default=1)
    parser.add_argument("--participants", type=int, default=150)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--chat-rate", type=float, default=50, help="messages a second, in all")
    parser.add_argument("--seconds", type=float, default=10, help="how long chat is sent")
    parser.add_argument("--drain", type=float, default=15, help="most seconds to wait after")
    parser.add_argument(
        "--settle", type=float, default=60, help="most seconds to wait for the joins' fan-out"
    )
    parser.add_argument("--stack", choices=["embedded", "production"], default=None)
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    args = parser.parse_args()
    args.stack = args.stack or ("production" if args.processes > 1 else "embedded")
    if args.stack == "embedded" and args.processes != 1:
        parser.error("the embedded default runs one process (in-memory channel layer)")
    result = run(args)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
