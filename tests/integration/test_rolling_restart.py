"""A rolling restart on real Redis and PostgreSQL: two web processes and a media worker, each
stopped in turn with SIGTERM (web A, web B, then the worker, its replacement started first)
while people are connected and chatting. Nobody is lost: everyone ends connected as
themselves with the same hand and breakout, nobody counts as left, and every acknowledged
chat message is stored once and reaches everyone in the room once."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import signal
import time
import uuid
from collections import Counter

import psycopg
import pytest
import websockets

from tests import servers

RETRY_CODES = {4500, 4503, 1006, 1011, 1012}  # what the page answers by reconnecting


class Member:
    """A scripted page: one socket at a time, reconnecting as the page does (at once after
    4503, to whichever process the load balancer offers), with a chat outbox resent after
    every room.state until each message is acknowledged."""

    def __init__(self, name: str, joined: dict, meeting_id: str, servers_live) -> None:
        self.name = name
        self.id = joined["participant_id"]
        self.token = joined["token"]
        self.meeting_id = meeting_id
        self.servers_live = servers_live  # () -> the base URLs of the live web processes
        self.ws = None
        self.state: dict | None = None  # the last room.state
        self.welcomes: list[str] = []  # participant ids the server welcomed us as
        self.reconnects = 0
        self.outbox: dict[str, str] = {}  # client id -> text, in sending order
        self.acked: dict[str, int] = {}  # client id -> stored message id
        self.sends = Counter()  # client id -> times sent (a resend after a reconnect)
        self.live = Counter()  # chat.message ids received as live events
        self.history: set[int] = set()  # chat ids seen in any room.state
        self.events: list[dict] = []
        self.refusals: list[dict] = []
        self.stopped = False
        self.entered = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        for attempt in itertools.count():
            live = self.servers_live()
            base_url = live[attempt % len(live)]
            ws_url = base_url.replace("http://", "ws://") + f"/ws/meetings/{self.meeting_id}/"
            try:
                self.ws = await websockets.connect(ws_url, origin=base_url, open_timeout=5)
            except (OSError, websockets.InvalidHandshake, TimeoutError):
                await asyncio.sleep(0.1)  # a process going away: the next one
                continue
            await self.ws.send(json.dumps({"type": "hello", "version": 1, "token": self.token}))
            with contextlib.suppress(websockets.ConnectionClosed):
                async for frame in self.ws:
                    await self._handle(json.loads(frame))
            code = self.ws.close_code
            if self.stopped:
                return
            assert code in RETRY_CODES, f"{self.name} closed with {code}"
            self.reconnects += 1
            await asyncio.sleep(0 if code == 4503 else 0.5)

    async def _handle(self, message: dict) -> None:
        kind = message["type"]
        self.events.append(message)
        if kind == "ping":
            await self.ws.send(json.dumps({"type": "pong"}))
        elif kind == "welcome":
            self.welcomes.append(message["participant_id"])
        elif kind == "room.state":
            self.state = message
            self.history.update(m["id"] for m in message["chat"])
            self.entered.set()
            for client_id, text in list(self.outbox.items()):
                await self._send_chat(client_id, text)
        elif kind == "chat.ack":
            self.acked[message["client_id"]] = message["message_id"]
            self.outbox.pop(message["client_id"], None)
        elif kind == "chat.message":
            self.live[message["message"]["id"]] += 1
        elif kind == "error":
            self.refusals.append(message)

    async def _send_chat(self, client_id: str, text: str) -> None:
        with contextlib.suppress(websockets.ConnectionClosed, AttributeError):
            await self.ws.send(
                json.dumps({"type": "chat.send", "text": text, "client_id": client_id})
            )
            self.sends[client_id] += 1

    async def say(self, text: str) -> None:
        client_id = uuid.uuid4().hex
        self.outbox[client_id] = text
        await self._send_chat(client_id, text)  # lost if the socket is down: resent later

    async def send(self, message: dict) -> None:
        await self.ws.send(json.dumps(message))

    async def stop(self) -> None:
        self.stopped = True
        await self.ws.close()
        await self.task


async def _until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.05)


def _sigterm_and_wait(process, what: str, within: float = 15) -> float:
    """SIGTERM, then the process's own exit. Each promises 10 s (test_web_process_sigterm,
    test_media_worker_failover); here, with five processes on a small machine, the bound
    only keeps the test finite, and the times are printed."""
    stopped = time.monotonic()
    process.send_signal(signal.SIGTERM)
    process.wait(within + 2)
    took = time.monotonic() - stopped
    assert took < within and process.returncode == 0, f"{what}: {took:.1f} s, {process.returncode}"
    return took


@pytest.mark.timeout(240)
async def test_a_rolling_restart_of_every_process_loses_nobody_and_no_message(tmp_path):
    with contextlib.ExitStack() as stack:
        env, demo = stack.enter_context(
            servers.seeded_on_redis(MEDIA_IN_PROCESS="false", MEDIA_HOST_ADDRESSES="127.0.0.1")
        )
        servers.manage(
            env, "shell", "-c",
            f"from rooms.models import Meeting; "
            f"Meeting.objects.filter(id='{demo.meeting_id}').update(lobby_enabled=False)",
        )  # fmt: skip
        worker = stack.enter_context(servers.media_worker(env, tmp_path / "w1.log"))
        live: dict[str, object] = {}  # base URL -> its daphne process, in starting order

        def start_web(label: str) -> str:
            url, process = stack.enter_context(
                servers.daphne_process(env, tmp_path / f"{label}.log")
            )
            live[url] = process
            return url

        web_a, web_b = start_web("a"), start_web("b")
        members: list[Member] = []
        fac = await asyncio.to_thread(servers.facilitator_over_http, web_a, demo, "Fac Fern")
        people = [fac]
        for i, name in enumerate(["Calm Heron", "Quiet Otter", "Slow Finch", "Kind Marten"]):
            url = (web_a, web_b)[i % 2]
            people.append(
                await asyncio.to_thread(servers.join_over_http, url, demo.peer_invite, name)
            )
        names = ["Fac Fern", "Calm Heron", "Quiet Otter", "Slow Finch", "Kind Marten"]
        for i, (name, joined) in enumerate(zip(names, people, strict=True)):
            # half on each process: the first URL a member tries is its own
            order = (web_a, web_b) if i % 2 == 0 else (web_b, web_a)
            members.append(
                Member(
                    name,
                    joined,
                    demo.meeting_id,
                    lambda o=order: [u for u in (*o, *live) if u in live],
                )
            )
        fern, heron, otter, finch, marten = members
        try:
            for m in members:
                await asyncio.wait_for(m.entered.wait(), 20)
            # hands and a breakout to keep through the restart
            await heron.send({"type": "hand.raise"})
            await _until(lambda: _hands(fern) == [heron.id], 10, "hand")
            await otter.send({"type": "hand.raise"})
            await _until(lambda: _hands(fern) == [heron.id, otter.id], 10, "hands")
            await fern.send({"type": "breakout.create", "names": ["Sharing"], "self_select": False})
            await _until(lambda: _rooms(fern), 10, "breakout created")
            room_id = _rooms(fern)[0]["id"]
            await fern.send(
                {"type": "breakout.move", "participant_id": marten.id, "breakout_id": room_id}
            )
            await _until(lambda: _rooms(fern)[0]["members"] == [marten.id], 10, "moved")
            hands, breakouts = _hands(fern), _rooms(fern)
            main_room = [fern, heron, otter, finch]  # Marten is in the breakout: its own chat

            chatting = True

            async def chat(member: Member) -> None:
                for n in itertools.count():
                    if not chatting:
                        return
                    await member.say(f"{member.name} {n}")
                    await asyncio.sleep(0.4)

            chats = [asyncio.create_task(chat(m)) for m in main_room]
            await asyncio.sleep(2)

            timings = {}
            # web A, then web B: each stopped, its people moved, a new one started in its place
            for label, url in (("a", web_a), ("b", web_b)):
                process = live.pop(url)
                timings[f"web {label}"] = await asyncio.to_thread(_sigterm_and_wait, process, label)
                start_web(f"{label}2")
                await asyncio.sleep(2)
            # the media worker: its replacement first, then the old one stops (meetings move)
            stack.enter_context(servers.media_worker(env, tmp_path / "w2.log"))
            timings["worker"] = await asyncio.to_thread(_sigterm_and_wait, worker, "worker")
            await asyncio.sleep(2)

            chatting = False
            await asyncio.gather(*chats)
            await _until(lambda: not any(m.outbox for m in members), 15, "outboxes emptied")
            await asyncio.sleep(1)  # the last messages' deliveries
            print(f"stopped within: {', '.join(f'{k} {v:.1f} s' for k, v in timings.items())}")
            print(f"reconnects: {', '.join(f'{m.name} {m.reconnects}' for m in members)}")

            # everyone as themselves, connected, with the same hand and breakout
            for m in members:
                assert set(m.welcomes) == {m.id}, m.name
                assert m.reconnects >= 1, m.name  # moved by a web restart at least
                assert not m.task.done(), m.name
                assert _hands(m) == hands and _rooms(m) == breakouts, m.name
                assert [e for e in m.events if e["type"] == "participant.left"] == []
                assert m.refusals == [], (m.name, m.refusals)
            with psycopg.connect(env["DATABASE_URL"]) as db:
                rows = db.execute(
                    "SELECT id, connection FROM rooms_participant WHERE meeting_id = %s",
                    (demo.meeting_id,),
                ).fetchall()
                assert {str(i): c for i, c in rows} == {m.id: "online" for m in members}
                stored = db.execute(
                    "SELECT sender_id, client_id, id FROM rooms_chatmessage WHERE meeting_id = %s",
                    (demo.meeting_id,),
                ).fetchall()
            # every acknowledged message stored once, under the id its ack gave
            per_client = Counter((str(s), c) for s, c, _ in stored)
            assert max(per_client.values()) == 1
            stored_ids = {(str(s), c): i for s, c, i in stored}
            sent = 0
            for m in main_room:
                for client_id, message_id in m.acked.items():
                    assert stored_ids[(m.id, client_id)] == message_id
                sent += len(m.acked)
            assert len(stored) == sent
            # ... and reaching everyone in the main room (live, or in the history a new socket
            # brings). A resend of a stored message is delivered again as stored (its first
            # delivery may have died with a process), and the page shows each id once; nothing
            # else arrives twice.
            sends = {stored_ids[(m.id, c)]: n for m in main_room for c, n in m.sends.items()}
            acked_ids = {i for m in main_room for i in m.acked.values()}
            for m in main_room:
                assert acked_ids <= set(m.live) | m.history, (
                    m.name,
                    acked_ids - set(m.live) - m.history,
                )
                twice = {i: n for i, n in m.live.items() if n > 1}
                assert all(n <= sends[i] for i, n in twice.items()), (
                    m.name,
                    twice,
                    _around_doubles(m),
                )
                resent = sum(1 for i, n in m.live.items() if n > 1)
                print(
                    f"{m.name}: {len(acked_ids)} messages shown once; {resent} resends seen again"
                )
            assert not (set(marten.live) | marten.history) & acked_ids  # other room's chat
            print(f"chat: {sent} messages acknowledged, stored and delivered once")
        finally:
            for m in members:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(m.stop(), 5)


def _hands(member: Member) -> list[str]:
    """The member's view of the hand queue: its last room.state, then the updates since."""
    queue = None
    for event in member.events:
        if event["type"] == "room.state":
            queue = event["hands"]
        elif event["type"] == "hands.updated":
            queue = event["queue"]
    return queue or []


def _rooms(member: Member) -> list[dict]:
    rooms = None
    for event in member.events:
        if event["type"] == "room.state":
            rooms = event["breakouts"]["rooms"]
        elif event["type"] == "breakouts.updated":
            rooms = event["rooms"]
    return rooms or []


def _around_doubles(member: Member) -> list:
    """What the member received, chat as (id, "dup" if it came twice): for a failure's message."""
    doubled = {i for i, n in member.live.items() if n > 1}
    out = []
    for event in member.events:
        if event["type"] == "chat.message":
            out.append((event["message"]["id"], "dup" if event["message"]["id"] in doubled else ""))
        elif event["type"] not in ("chat.ack", "ping"):
            out.append(event["type"])
    return out
