"""A real relay session, run on its own (`python -m tests.media.relay_session`) by
tests/media/test_no_media_on_disk.py, which watches it with strace where it can.

Two aiortc clients publish audio (a tone) and video through a Relay on loopback for a
few seconds, with a third listening. Between the marker opens (paths that do not exist,
so strace shows where the session starts and ends) an audit hook records every `open`
that could write a file; the list is printed as JSON on the last line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
START_MARKER = "/nonexistent-relay-session-start"
END_MARKER = "/nonexistent-relay-session-end"

writes: list[str] = []
watching = False


def _audit(event: str, args: tuple) -> None:
    if not watching or event != "open":
        return
    path, mode, flags = args
    if isinstance(mode, str):
        writing = any(c in mode for c in "wax+")
    else:
        writing = bool((flags or 0) & WRITE_FLAGS)
    if writing:
        writes.append(f"{path} {mode or flags}")


def _marker(path: str) -> None:
    with contextlib.suppress(OSError):
        open(path).close()


async def _session(seconds: float) -> dict:
    from media import Relay, RelayConfig
    from tests.media.media_peers import Client, Room, wait_for

    room = Room()
    room.relay = Relay(RelayConfig(host_addresses=["127.0.0.1"]), room.on_event)
    try:
        for number, (pid, amplitude) in enumerate((("heron", 0.5), ("lark", 0.3))):
            client = room.add(Client(room.relay, pid, "r1", number=number + 1, amplitude=amplitude))
            await client.join()
        listener = room.add(Client(room.relay, "wren", "r1", video=False, number=3))
        await listener.join()
        await wait_for(lambda: listener.counters_from("heron") and listener.counters_from("lark"))
        await asyncio.sleep(seconds)
        stats = room.relay.stats()
        return {"packets_out": stats.packets_out, "speaking": room.relay.take_speaking_seconds()}
    finally:
        for client in room.clients.values():
            await client.close()
        await room.relay.close()


def main() -> None:
    global watching
    import logging

    logging.getLogger("aiortc").setLevel(logging.ERROR)
    # Imported before the session, so what loading modules does is not counted as relaying.
    import media.relay  # noqa: F401
    import tests.media.media_peers  # noqa: F401

    sys.addaudithook(_audit)
    _marker(START_MARKER)
    watching = True
    result = asyncio.run(_session(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0))
    watching = False
    _marker(END_MARKER)
    print(json.dumps({**result, "writes": writes}))


if __name__ == "__main__":
    main()
