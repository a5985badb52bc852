"""A process holding relay connections exits when its event loop stops, with nothing closed
(daphne on SIGTERM): the relay starts no thread that would keep it alive."""

import subprocess
import sys
import textwrap
import threading

from media import TrackLive
from tests.media.media_peers import wait_for

# One publisher alone in its room: the only receivers in the process are the relay's.
SCRIPT = textwrap.dedent(
    """
    import asyncio
    from media import Relay, RelayConfig, TrackLive
    from tests.media.media_peers import Client, Room, wait_for

    async def main():
        room = Room()
        relay = Relay(RelayConfig(host_addresses=["127.0.0.1"]), room.on_event)
        room.add(Client(relay, "fern", "r1", number=1))
        await room.clients["fern"].join()
        await wait_for(
            lambda: sum(isinstance(e, TrackLive) for e in room.events) == 2, timeout=20
        )
        print("publishing", flush=True)

    # What daphne's reactor does on SIGTERM: the loop stops; nothing is cancelled or closed.
    asyncio.new_event_loop().run_until_complete(main())
    """
)


def test_a_process_holding_relay_connections_exits_when_its_loop_ends():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=30
    )
    assert "publishing" in done.stdout, done.stderr[-2000:]
    assert done.returncode == 0, done.stderr[-2000:]


async def test_the_relay_runs_no_decoder_thread_for_what_it_receives(room, make_client):
    await make_client("fern")  # alone: nothing is sent to it, so no receiver of its own
    await wait_for(lambda: sum(isinstance(e, TrackLive) for e in room.events) == 2, timeout=20)
    decoders = [t.name for t in threading.enumerate() if t.name.endswith("-decoder")]
    assert decoders == []
