"""Quiet people on the Redis channel layer: sockets that carry nothing for longer than every
timeout on the way (redis-py's socket timeout, channels_redis's blocking pop, the heartbeat)
stay open and still get the next chat. Two web processes and a media worker, as deployed."""

import asyncio
import json

import pytest

from tests import servers
from tests.integration.peers import connect

QUIET_SECONDS = 65


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    logs = tmp_path_factory.mktemp("quiet")
    with (
        servers.seeded_on_redis(MEDIA_IN_PROCESS="false") as (env, demo),
        servers.media_worker({**env, "LOG_LEVEL": "INFO"}, logs / "media.log"),
        servers.daphne(env, logs / "a.log") as a,
        servers.daphne(env, logs / "b.log") as b,
    ):
        yield demo, a, b, logs


@pytest.mark.timeout(QUIET_SECONDS + 60)
async def test_quiet_sockets_on_two_processes_outlive_every_timeout_and_still_get_chat(
    deployment,
):
    demo, server_a, server_b, logs = deployment
    peers = []
    for i, server in enumerate((server_a, server_b, server_a, server_b)):
        joined = await asyncio.to_thread(servers.facilitator_over_http, server, demo, f"Quiet {i}")
        peers.append(await connect(server, demo.meeting_id, joined["token"]))

    await asyncio.sleep(QUIET_SECONDS)

    for peer in peers:
        assert not peer.reader.done(), f"closed with {peer.ws.close_code}"
    await peers[0].ws.send(
        json.dumps({"type": "chat.send", "text": "still here?", "client_id": "quiet-1"})
    )
    for peer in peers:
        message = await peer.expect("chat.message")
        assert message["message"]["text"] == "still here?"
    for peer in peers:
        await peer.ws.close()
    for name in ("a.log", "b.log", "media.log"):
        assert "Traceback" not in (logs / name).read_text(), name
