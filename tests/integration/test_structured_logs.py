"""A real server's output, the way an operator collects it: every line a JSON object,
HTTP lines with their request id, socket lines with socket and meeting ids, a flood of
refused frames as one line with its count, and nothing a person wrote or is called, even
at LOG_LEVEL=DEBUG with DJANGO_DEBUG on."""

from __future__ import annotations

import asyncio
import secrets
import urllib.request

import pytest

from tests import log_lines, servers
from tests.integration import peers

FLOOD = 250


@pytest.mark.timeout(120)
async def test_a_meeting_in_the_log_of_a_real_server(tmp_path):
    marker = f"qz{secrets.token_hex(4)}"
    env = servers.server_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", LOG_LEVEL="DEBUG", DJANGO_DEBUG="1"
    )
    await asyncio.to_thread(servers.manage, env, "migrate", "-v0")
    demo = await asyncio.to_thread(servers.seed_demo, env)
    log = tmp_path / "server.log"
    with servers.daphne(env, log) as base:
        given = urllib.request.Request(
            f"{base}/no-such-page/", headers={"X-Request-ID": "proxy-1234abcd"}
        )
        with pytest.raises(urllib.error.HTTPError) as not_found:
            urllib.request.urlopen(given, timeout=10)
        assert not_found.value.headers["X-Request-ID"] == "proxy-1234abcd"

        fern = await asyncio.to_thread(
            servers.facilitator_over_http, base, demo, "Fern", media="text_only"
        )
        heron = await asyncio.to_thread(
            servers.join_over_http, base, demo.peer_invite, f"Heron {marker}", media="text_only"
        )
        facilitator = await peers.connect(base, demo.meeting_id, fern["token"])
        peer = await peers.connect(base, demo.meeting_id, heron["token"], expect="lobby.waiting")
        await facilitator.send("lobby.admit", participant_id=heron["participant_id"])
        await peer.expect("room.state")

        await facilitator.send("checkin.post", kind="text", question="One word for today?")
        prompt = (await peer.expect("checkin.posted"))["prompt"]
        await peer.send("checkin.answer", prompt_id=prompt["id"], text=marker)
        await peer.expect("checkin.answered")
        await peer.send("chat.send", text=f"I said {marker} out loud")
        await facilitator.expect("chat.message")
        await peer.send("support.request", note=f"feeling {marker}")
        await facilitator.expect("attention.item")

        for _ in range(FLOOD):
            await peer.ws.send("not json")
        for _ in range(FLOOD):
            await peer.expect("error")
        await peer.ws.close()
        await facilitator.ws.close()
        await asyncio.sleep(0.5)  # the server notices both closes before it stops

    written = log.read_text()
    lines = log_lines.parsed(written)  # every line, daphne's own included, is one JSON object
    assert marker not in written

    requests = [line for line in lines if line["event"] == "http request"]
    assert {"GET", "POST"} <= {line["method"] for line in requests}
    assert all(len(line["request_id"]) >= 8 for line in requests)
    assert len({line["request_id"] for line in requests}) == len(requests)
    assert any(line["request_id"] == "proxy-1234abcd" for line in requests)

    sockets = [line for line in lines if line["event"].startswith("websocket ")]
    assert len(sockets) == 4  # two connected, two closed
    assert all(line["meeting_id"] == demo.meeting_id for line in sockets)
    assert len({line["socket_id"] for line in sockets}) == 2

    (flood,) = [line for line in lines if line["event"] == "frames refused"]
    assert flood["count"] == FLOOD and flood["meeting_id"] == demo.meeting_id
    assert flood["socket_id"] in {line["socket_id"] for line in sockets}
    assert all(
        {"time", "level", "logger", "event"} <= line.keys() and line["time"].endswith("Z")
        for line in lines
    )


@pytest.mark.timeout(120)
async def test_a_media_worker_writes_json_lines_with_its_id_and_the_meeting(tmp_path):
    with (
        servers.seeded_on_redis(MEDIA_IN_PROCESS="false", MEDIA_HOST_ADDRESSES="127.0.0.1") as (
            env,
            demo,
        ),
        servers.media_worker({**env, "LOG_LEVEL": "INFO"}, tmp_path / "media.log"),
        servers.daphne(env, tmp_path / "web.log") as base,
    ):
        fern = await asyncio.to_thread(servers.facilitator_over_http, base, demo, "Fern")
        facilitator = await peers.connect(base, demo.meeting_id, fern["token"])
        await facilitator.send("media.join", receive_video=True)
        await facilitator.expect("media.ready")
        await facilitator.send("media.leave")
        await facilitator.ws.close()
        worker_id = servers.worker_id(tmp_path / "media.log")

    lines = log_lines.read(tmp_path / "media.log")
    started = next(i for i, line in enumerate(lines) if line["event"] == "media worker started")
    assert all(line["worker_id"] == worker_id for line in lines[started:])
    commands = [line for line in lines if line["event"] == "command"]
    assert [c["op"] for c in commands] == ["join", "leave"]
    assert all(c["meeting_id"] == demo.meeting_id for c in commands)
    assert fern["participant_id"] not in (tmp_path / "media.log").read_text()
    assert lines[-1]["event"] == "media worker stopped"
