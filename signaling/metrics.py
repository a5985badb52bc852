"""What the signaling side of a web process counts for Prometheus (served by ops/metrics.py).

Label values come only from the protocol's own lists (message types, error codes) and
from names in this code: never from what a client sent, and never a person or meeting.
A frame whose type is not one the protocol knows is counted as "unknown".
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prometheus_client import Counter, Gauge, Histogram

from signaling import protocol as p

UNKNOWN = "unknown"
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

MESSAGES_RECEIVED = Counter(
    "meetings_messages_received",
    "Frames received from clients, by protocol message type ('unknown': not a known type).",
    ["type"],
)
MESSAGES_SENT = Counter(
    "meetings_messages_sent",
    "Messages this process sent to its sockets, by protocol message type.",
    ["type"],
)
ERRORS_SENT = Counter(
    "meetings_errors_sent", "Error messages sent to clients, by error code.", ["code"]
)
SOCKETS_OPEN = Gauge(
    "meetings_sockets_open", "WebSocket connections open in this process (signaling.presence)."
)
FANOUT_SECONDS = Histogram(
    "meetings_fanout_seconds",
    "From the first room event of a fan-out pass reaching this process's hub to the pass's "
    "last frame written to the sockets.",
    buckets=LATENCY_BUCKETS,
)
DATABASE_SECONDS = Histogram(
    "meetings_database_seconds",
    "Database calls from the event loop, including the wait for a database thread.",
    buckets=LATENCY_BUCKETS,
)
CHANNEL_LAYER_SECONDS = Histogram(
    "meetings_channel_layer_seconds",
    "Channel-layer calls (Redis in production), by operation.",
    ["operation"],
    buckets=LATENCY_BUCKETS,
)

# Children made once: a label lookup per frame would cost more than the count itself.
_received = {t: MESSAGES_RECEIVED.labels(type=t) for t in (*sorted(p.CLIENT_TYPES), UNKNOWN)}
_sent = {t: MESSAGES_SENT.labels(type=t) for t in sorted(p.SERVER_TYPES)}
_errors = {c: ERRORS_SENT.labels(code=c) for c in sorted(p.ERROR_CODES)}
_layer = {op: CHANNEL_LAYER_SECONDS.labels(operation=op) for op in ("group_send", "group_add")}


def count_received(message_type: str | None) -> None:
    """One frame in; its type as parsed (None: it did not parse as a known message)."""
    _received.get(message_type or UNKNOWN, _received[UNKNOWN]).inc()


def count_sent(message: dict, copies: int = 1) -> None:
    """`message` went to `copies` sockets."""
    counter = _sent.get(message["type"])
    if counter is not None:
        counter.inc(copies)
    if message["type"] == "error":
        error = _errors.get(message.get("code", ""))
        if error is not None:
            error.inc(copies)


def count_sent_event(event_type: str | None, copies: int) -> None:
    """A room event handed to `copies` sockets by the hub."""
    counter = _sent.get(event_type or "")
    if counter is not None and copies:
        counter.inc(copies)


@asynccontextmanager
async def channel_layer_call(operation: str) -> AsyncIterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        _layer[operation].observe(time.perf_counter() - started)
