"""Runs one media relay worker: production's separate media process (see docker-compose.yml)."""

import asyncio
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run media relay worker N (meetings are pinned to one of MEDIA_WORKERS by id)."

    def add_arguments(self, parser):
        parser.add_argument("--index", type=int, default=0)
        parser.add_argument(
            "--loop",
            choices=["asyncio", "uvloop"],
            default="asyncio",
            help="event loop of the relay (uvloop must be installed; see bench/README.md)",
        )

    def handle(self, *args, index: int, loop: str, **options):
        if not 0 <= index < settings.MEDIA_WORKERS:
            raise CommandError(f"--index must be below MEDIA_WORKERS={settings.MEDIA_WORKERS}")
        from media.runtime import run

        run(self._serve(index, loop), loop)

    async def _serve(self, index: int, loop_name: str) -> None:
        from media.routing import worker_channel_name
        from signaling.media_bridge import start_worker

        worker = start_worker([worker_channel_name(index)])
        self.stdout.write(
            f"media worker {index} on {', '.join(settings.MEDIA_HOST_ADDRESSES)} ({loop_name})",
            ending="\n",
        )
        self.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await worker.stop()
