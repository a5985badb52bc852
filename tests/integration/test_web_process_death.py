"""A web process killed with -9 mid-meeting, on real Redis and PostgreSQL: the other process
notices from the lapsed lease, not from a goodbye the dead one never said. Its people show as
reconnecting within 15 s; one who reconnects to the other process keeps identity, hand and
breakout; one who never comes back is counted as left within the 30 s grace + 15 s."""

import asyncio
import os
import signal
import time

import pytest

from tests import servers
from tests.integration.peers import connect, watcher_and_two_to_move

GRACE = 30


def _connection_of(pid: str, connection: str):
    return lambda m: m["participant"]["id"] == pid and m["participant"]["connection"] == connection


@pytest.mark.timeout(150)
async def test_a_killed_processs_people_reconnect_elsewhere_or_are_counted_as_left(tmp_path):
    with servers.two_web_processes_on_redis(tmp_path, MEDIA_ENABLED="false") as web:
        demo, server_a, process_a, server_b = web
        watcher, sage, gull = await watcher_and_two_to_move(
            server_a, server_b, demo, ("Staying Sage", "Gone Gull")
        )
        on_a = {
            "sage": await connect(server_a, demo.meeting_id, sage["token"]),
            "gull": await connect(server_a, demo.meeting_id, gull["token"]),
        }
        for peer in on_a.values():
            await peer.send("hand.raise")
        await watcher.expect("hands.updated", where=lambda m: len(m["queue"]) == 2)
        await watcher.send("breakout.create", names=["Sharing"], self_select=False)
        created = await watcher.expect("breakouts.updated")
        room_id = created["rooms"][0]["id"]
        await watcher.send(
            "breakout.move", participant_id=sage["participant_id"], breakout_id=room_id
        )
        await watcher.expect(
            "breakouts.updated",
            where=lambda m: m["rooms"][0]["members"] == [sage["participant_id"]],
        )

        os.kill(process_a.pid, signal.SIGKILL)
        killed = time.monotonic()
        reconnecting = set()
        while reconnecting != {sage["participant_id"], gull["participant_id"]}:
            update = await watcher.expect(
                "participant.updated",
                timeout=15 - (time.monotonic() - killed),
                where=lambda m: m["participant"]["connection"] == "reconnecting",
            )
            reconnecting.add(update["participant"]["id"])
        assert time.monotonic() - killed <= 15

        back = await connect(server_b, demo.meeting_id, sage["token"], expect=None)
        welcome = await back.expect("welcome")
        assert welcome["participant_id"] == sage["participant_id"]
        state = await back.expect("room.state")
        assert state["hands"] == [sage["participant_id"], gull["participant_id"]]
        assert state["breakouts"]["rooms"][0]["members"] == [sage["participant_id"]]
        await watcher.expect(
            "participant.updated", where=_connection_of(sage["participant_id"], "online")
        )

        left = await watcher.expect(
            "participant.left",
            timeout=GRACE + 15 - (time.monotonic() - killed),
            where=lambda m: m["participant_id"] == gull["participant_id"],
        )
        assert left["reason"] == "timeout"
        hands = await watcher.expect("hands.updated")
        assert hands["queue"] == [sage["participant_id"]]
        # the one who came back was not swept away with the dead process
        await asyncio.sleep(3)
        assert not back.reader.done()
        await back.send("hand.lower")
        assert (await watcher.expect("hands.updated"))["queue"] == []
