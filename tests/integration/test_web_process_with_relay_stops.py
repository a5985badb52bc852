"""The embedded default (relay inside daphne) holding live media connections stops on
SIGTERM within 10 s: no idle relay thread keeps the process alive (media/aiortc_private)."""

import asyncio
import signal
import subprocess
import time

from tests import servers
from tests.integration.test_two_servers_on_redis import open_socket
from tests.media.media_peers import wait_for
from tests.signaling.media_peer import MediaMeeting, WebsocketTransport


async def test_daphne_with_relay_connections_exits_on_sigterm(tmp_path):
    env = servers.server_env(DATABASE_URL=f"sqlite:///{tmp_path / 'meetings.sqlite3'}")
    servers.manage(env, "migrate", "-v0")
    demo = servers.seed_demo(env)
    log = tmp_path / "daphne.log"
    with servers.daphne_process(env, log) as (base_url, process):
        meeting = MediaMeeting()
        try:
            for name in ("Co Cedar", "Co Heron"):
                joined = await asyncio.to_thread(
                    servers.facilitator_over_http, base_url, demo, name
                )
                socket = await open_socket(base_url, demo.meeting_id, joined["token"])
                await socket.expect("room.state")
                meeting.add_transport(WebsocketTransport(socket.ws), joined["participant_id"])
            cedar, heron = meeting.peers
            await cedar.join()
            await heron.join()
            await wait_for(lambda: len(cedar.counters_from(heron.id)) > 5, timeout=15)

            stopping = time.monotonic()
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(process.wait, 10)
            except subprocess.TimeoutExpired:
                tail = log.read_text()[-2000:]
                raise AssertionError(f"still running 10 s after SIGTERM\n{tail}") from None
            print(f"daphne exited {time.monotonic() - stopping:.1f} s after SIGTERM")
        finally:
            await meeting.close()
