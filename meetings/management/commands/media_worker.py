"""Runs one media relay worker: production's separate media process (see docker-compose.yml).

Run as many as needed, on any host sharing the Redis: each registers with a lease and
takes new meetings when it is the least loaded (media/registry.py). On SIGTERM it stops
taking meetings, hands its meetings to another worker and exits.
"""

import asyncio
import logging
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from structlog.contextvars import bind_contextvars

log = logging.getLogger("media.worker")

DRAIN_SECONDS = 5.0  # hand meetings over
STOP_SECONDS = 3.0  # close the relay


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
        from media.lease import WorkerLease, new_worker_id, worker_channel
        from signaling.media_bridge import registry, send_to_channel, start_worker

        worker_id = new_worker_id()
        bind_contextvars(worker_id=worker_id)  # on every line of this process from here on
        worker = start_worker([worker_channel(worker_id)])
        lease = WorkerLease(registry(), worker_id, worker, send_to_channel)
        await lease.start()
        # at WARNING: the one line that says a worker is up, whatever LOG_LEVEL says
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
        log.warning("media worker stopped")
