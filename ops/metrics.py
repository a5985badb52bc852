"""Prometheus metrics of this process, on a port of its own (settings.METRICS_PORT).

One listener per process: a web process (daphne, started from meetings/asgi.py) serves
what signaling/ counts (signaling/metrics.py), its open sockets, and the database's live
counts read at scrape time; a media worker (manage.py media_worker) serves its relay's
(media/metrics.py). Both report event-loop lag and, from prometheus-client itself, the
process's CPU seconds and memory. Nothing here is on the public HTTP port.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import sys
import threading
import time
from collections.abc import Iterator

from django.conf import settings
from django.db import close_old_connections, connection
from prometheus_client import REGISTRY, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import start_http_server

from rooms.models import Participant
from rooms.selectors.live import live_counts

log = logging.getLogger(__name__)

LAG_EVERY_SECONDS = 0.25
LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

EVENT_LOOP_LAG = Histogram(
    "meetings_event_loop_lag_seconds",
    f"How late the event loop ran a timer due every {LAG_EVERY_SECONDS} s.",
    buckets=LAG_BUCKETS,
)

_started = threading.Lock()
_server: tuple[object, threading.Thread] | None = None
_live: LiveCollector | None = None
_watched: set[asyncio.AbstractEventLoop] = set()
_tasks: set[asyncio.Task[None]] = set()


class LiveCollector:
    """Meetings live and people in them, from the database at scrape time (two queries)."""

    def collect(self) -> Iterator[Metric]:
        try:
            close_old_connections()
            counts = live_counts()
        except Exception as exc:  # the database away: this scrape goes without these
            log.warning("metrics live counts failed", extra={"error": type(exc).__name__})
            return
        finally:
            connection.close()  # a scrape thread holds no connection between scrapes
        yield GaugeMetricFamily(
            "meetings_live",
            "Meetings not ended with at least one person connected.",
            value=counts.meetings,
        )
        people = GaugeMetricFamily(
            "meetings_participants",
            "People connected to meetings not ended, by status (lobby, admitted, ...), "
            "media (camera_mic, text_only) and connection (online, reconnecting).",
            labels=["status", "media", "connection"],
        )
        for status in Participant.Status.values:
            for media in Participant.Media.values:
                for state in (Participant.Connection.ONLINE, Participant.Connection.RECONNECTING):
                    n = counts.participants.get((status, media, state), 0)
                    people.add_metric([status, media, state], n)
        yield people


def serve(*, tries: int = 1) -> bool:
    """Starts this process's metrics listener if METRICS_PORT is set (once); True if it runs.
    With ``tries`` > 1 it takes the first free port from METRICS_PORT on (media workers
    sharing a host's network)."""
    global _server
    if settings.METRICS_PORT is None:
        return False
    with _started:
        if _server is None:
            disable_created_metrics()
            port = settings.METRICS_PORT
            while _server is None:
                try:
                    _server = start_http_server(port, settings.METRICS_ADDRESS)
                except OSError as exc:
                    if exc.errno != errno.EADDRINUSE or port >= settings.METRICS_PORT + tries - 1:
                        raise
                    port += 1
            log.info(
                "metrics listening",
                extra={"addresses": [settings.METRICS_ADDRESS], "port": port},
            )
    return True


def watch_event_loop() -> None:
    """Measures the running loop's lag from now on (once per loop)."""
    loop = asyncio.get_running_loop()
    if loop not in _watched:
        _watched.add(loop)
        _tasks.add(loop.create_task(_measure_lag()))


async def _measure_lag() -> None:
    while True:
        due = time.monotonic() + LAG_EVERY_SECONDS
        await asyncio.sleep(LAG_EVERY_SECONDS)
        EVENT_LOOP_LAG.observe(max(0.0, time.monotonic() - due))


def serve_web() -> None:
    """For meetings/asgi.py: the listener now, with the database's live counts (web processes
    only: a worker would repeat them); the loop's lag once daphne's reactor runs."""
    global _live
    if not serve():
        return
    with _started:
        if _live is None:
            _live = LiveCollector()
            REGISTRY.register(_live)
    if "twisted.internet.reactor" not in sys.modules:
        return
    from twisted.internet import reactor

    reactor.callWhenRunning(lambda: asyncio.get_event_loop().call_soon(watch_event_loop))
