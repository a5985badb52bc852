"""The same WebSocket frame to many sockets of this process, framed once.

A pass of the hub (signaling/hub.py) sends most members the same payload (a broadcast).
Through channels and daphne each send re-encodes the text, re-frames it and goes through
three layers of checks. daphne's sockets are autobahn protocols, and autobahn prepares a
frame once for many connections (`prepareMessage` / `sendPreparedMessage`, its API for
broadcast): the bytes go straight to the socket's transport. Anything that is not an open
daphne WebSocket (a test's communicator, a socket closing) goes the ordinary way.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Awaitable, Callable
from typing import Any

# Off switch, for measuring both ways.
ENABLED = os.environ.get("SIGNALING_PREPARED_FRAMES", "true").lower() != "false"


def socket_of(base_send: Callable[[dict], Awaitable[None]]) -> Any | None:
    """The autobahn protocol behind a consumer's `base_send` (daphne's
    `partial(server.handle_reply, protocol)`), or None when it is something else."""
    if not ENABLED or not isinstance(base_send, functools.partial) or not base_send.args:
        return None
    protocol = base_send.args[0]
    if not all(hasattr(protocol, a) for a in ("sendPreparedMessage", "factory", "STATE_OPEN")):
        return None
    return protocol


class Shared:
    """What one pass built, for every member due the same frames."""

    def __init__(self) -> None:
        self.payloads: dict[tuple[str, ...], str] = {}
        self.prepared: dict[str, Any] = {}

    def payload(self, frames: list[str]) -> str:
        if len(frames) == 1:
            return frames[0]
        key = tuple(frames)
        payload = self.payloads.get(key)
        if payload is None:
            payload = self.payloads[key] = f"[{','.join(frames)}]"
        return payload

    def write(self, protocol: Any, payload: str) -> bool:
        """Writes `payload` as one text frame on an open socket; False if it is not open."""
        if protocol.state != protocol.STATE_OPEN:
            return False
        prepared = self.prepared.get(payload)
        if prepared is None:
            prepared = self.prepared[payload] = protocol.factory.prepareMessage(
                payload.encode("utf-8")
            )
        protocol.sendPreparedMessage(prepared)
        return True
