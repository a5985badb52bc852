"""Runs one media relay worker: production's separate media process (see docker-compose.yml).

Run as many as needed, on any host sharing the Redis: each registers with a lease and
takes new meetings when it is the least loaded (media/registry.py). On SIGTERM it stops
taking meetings, hands its meetings to another worker and exits. With
MEDIA_WORKER_HEALTH_PORT set it answers /healthz and /readyz there (ops/worker_health.py).
"""

import asyncio
import logging
import signal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from structlog.contextvars import bind_contextvars

log = logging.getLogger("media.worker")

DRAIN_SECONDS = 5.0  # hand meetings over
STOP_SECONDS = 3.0  # close the relay
# One worker per core shares the host's network: each takes the first free health and
# metrics port from the configured ones on, so up to this many run side by side.
PORTS_PER_HOST = 16


class Command(BaseCommand):
    help = "Run a media relay worker; meetings are placed on the least loaded live worker."

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop",
            choices=["asyncio", "uvloop"],
            default="asyncio",
            help="event loop of the relay (uvloop must be installed; see bench/README.md)",
        )

    def handle(self, *args, loop: str, **options):
        if not settings.MEDIA_REGISTRY_URL:
            raise CommandError("media_worker needs REDIS_URL: workers register there")
        from media.runtime import run

        run(self._serve(loop), loop)

    async def _serve(self, loop_name: str) -> None:
        from channels.layers import get_channel_layer

        from media.lease import WorkerLease, new_worker_id, worker_channel
        from ops import metrics
        from ops.worker_health import WorkerHealth
        from signaling.media_bridge import registry, send_to_channel, start_worker

        worker_id = new_worker_id()
        bind_contextvars(worker_id=worker_id)  # on every line of this process from here on
        # METRICS_PORT: this worker's own listener (docs/operations.md); the next free
        # port when other workers on this host took it
        if metrics.serve(tries=PORTS_PER_HOST):
            metrics.watch_event_loop()
        health = WorkerHealth(
            get_channel_layer(), lease_seconds=settings.MEDIA_WORKER_LEASE_SECONDS
        )
        await health.start()
        worker = start_worker([worker_channel(worker_id)])
        lease = WorkerLease(
            registry(), worker_id, worker, send_to_channel, ready=health.ready_for_meetings
        )
        health.lease = lease
        await lease.start()
        # at WARNING, as the other lines of its life: written whatever LOG_LEVEL says
        if settings.MEDIA_WORKER_HEALTH_PORT:
            address = settings.MEDIA_WORKER_HEALTH_ADDRESS
            port = await health.serve(
                address, settings.MEDIA_WORKER_HEALTH_PORT, tries=PORTS_PER_HOST
            )
            if settings.MEDIA_WORKER_HEALTH_PORT_FILE:  # for the container's health check
                Path(settings.MEDIA_WORKER_HEALTH_PORT_FILE).write_text(f"{port}\n")
            log.warning(
                "media worker health listening", extra={"addresses": [address], "port": port}
            )
        log.warning(
            "media worker started",
            extra={"addresses": settings.MEDIA_HOST_ADDRESSES, "loop": loop_name},
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.warning("media worker draining")
        # Out within 10 s of SIGTERM whatever happens (an orchestrator kills after that).
        try:
            await asyncio.wait_for(lease.drain(), DRAIN_SECONDS)
        except Exception as exc:  # a timeout, or Redis gone: the sweep of others takes over
            log.warning("media worker drain incomplete", extra={"error": type(exc).__name__})
        try:
            await asyncio.wait_for(worker.stop(), STOP_SECONDS)
        except TimeoutError:
            log.warning("media worker relay did not close in time")
        await health.stop()
        log.warning("media worker stopped")
