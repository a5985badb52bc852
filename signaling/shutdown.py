"""A web process stopped with SIGTERM hands its people to the other processes and exits.

In order: stop taking sockets (close the listening ports; a socket that still arrives is
closed with 4503), close every socket with 4503 so each page reconnects at once to another
process, give the presence lease up, close the in-process relay, stop the server. The
relay is what used to keep a stopped process alive: each of aiortc's RTCRtpReceivers
runs a non-daemon decoder thread that ends only when its peer connection is closed, and
the interpreter waits for those threads at exit. A deadline ends the process regardless.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
from typing import Any

from signaling import media_bridge, presence

log = logging.getLogger(__name__)

# Time the pages get to close and their goodbyes to be written, and the hard deadline
# after SIGTERM (orchestrators usually kill after 10 s).
DRAIN_SECONDS = 5.0
EXIT_DEADLINE_SECONDS = 9.0

draining = False
_installed = False


def install(loop: asyncio.AbstractEventLoop) -> None:
    """Takes SIGTERM over from the server (call it on the running loop, once it runs)."""
    global _installed
    if _installed:
        return
    _installed = True

    def on_sigterm(signum: int, frame: Any) -> None:
        loop.call_soon_threadsafe(lambda: loop.create_task(drain()) and None)

    signal.signal(signal.SIGTERM, on_sigterm)


async def drain() -> None:
    global draining
    if draining:
        return
    draining = True
    _exit_by_deadline()
    log.warning(
        "SIGTERM: handing sockets to other processes", extra={"count": len(presence.local_sockets)}
    )
    _stop_listening()
    for socket in list(presence.local_sockets.values()):
        await socket.close_to_reconnect()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DRAIN_SECONDS
    while presence.local_sockets and loop.time() < deadline:
        await asyncio.sleep(0.05)
    running = presence.current()
    if running is not None:
        await running.release()
    try:
        await asyncio.wait_for(media_bridge.stop_local_worker(), timeout=2)
    except Exception as exc:
        log.warning("closing the relay failed", extra={"error": type(exc).__name__})
    _stop_server()


def _exit_by_deadline() -> None:
    def exit_now() -> None:
        log.warning(
            "still running after SIGTERM; exiting", extra={"seconds": EXIT_DEADLINE_SECONDS}
        )
        os._exit(0)

    timer = threading.Timer(EXIT_DEADLINE_SECONDS, exit_now)
    timer.daemon = True
    timer.start()


def _reactor() -> Any:
    """daphne's Twisted reactor, if this process is served by daphne."""
    if "twisted.internet.reactor" not in sys.modules:
        return None
    from twisted.internet import reactor

    return reactor


def _stop_listening() -> None:
    reactor = _reactor()
    if reactor is None:
        return
    from twisted.internet import tcp

    for reader in reactor.getReaders():
        if isinstance(reader, tcp.Port):
            reader.stopListening()


def _stop_server() -> None:
    reactor = _reactor()
    if reactor is not None and reactor.running:
        reactor.stop()
    else:
        os._exit(0)  # not served by daphne: nothing else would end the process


def on_server_start() -> None:
    """What a web process does once its event loop runs: keep its lease, answer SIGTERM."""
    loop = asyncio.get_running_loop()
    presence.start(served=True)
    install(loop)


def hook_into_daphne() -> None:
    """Runs `on_server_start` when daphne's reactor starts (after it installed its own
    SIGTERM handler, which stops at once and leaves the sockets to die)."""
    reactor = _reactor()
    if reactor is None:
        return
    reactor.callWhenRunning(lambda: asyncio.get_event_loop().call_soon(on_server_start))
