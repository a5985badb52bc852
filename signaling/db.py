"""Database work from the event loop, on a few threads of its own rather than one per process.

Channels' `database_sync_to_async` is thread-sensitive by default: every socket's database
work in a process queues on one thread, so a 10 ms query in one meeting holds up every other
meeting's. Nothing here needs that thread: each call is one use-case in its own transaction
(the meeting's row lock, or SQLite's write lock, orders what must be ordered), and a socket
still awaits its own calls one at a time. The threads stay below the connection pool's size.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from channels.db import DatabaseSyncToAsync
from django.conf import settings
from django.db import connections

from signaling.metrics import DATABASE_SECONDS

P = ParamSpec("P")
R = TypeVar("R")


@functools.cache
def _executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=settings.DATABASE_THREADS, thread_name_prefix="db")


def in_db_thread(func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`func` (sync, using the ORM) as a coroutine function run on a database thread."""

    calls: list[DatabaseSyncToAsync] = []  # made on first use: settings are read then

    @functools.wraps(func)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if not calls:
            calls.append(DatabaseSyncToAsync(func, thread_sensitive=False, executor=_executor()))
        started = time.perf_counter()
        try:
            return await calls[0](*args, **kwargs)
        finally:
            DATABASE_SECONDS.observe(time.perf_counter() - started)

    return run


async def close_connections() -> None:
    """Closes the database threads' connections (a worker stopping: they go with it, not at
    interpreter exit). Each thread holds its own, so one call per thread, held at a barrier
    until every thread has one; a thread busy elsewhere keeps its connection."""
    threads = settings.DATABASE_THREADS
    barrier = threading.Barrier(threads)

    def close_here() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=0.5)
        connections.close_all()

    loop = asyncio.get_running_loop()
    await asyncio.gather(*(loop.run_in_executor(_executor(), close_here) for _ in range(threads)))
    # and the one on asgiref's shared sync thread (thread-sensitive sync_to_async callers)
    await sync_to_async(connections.close_all, thread_sensitive=True)()
