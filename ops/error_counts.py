"""Errors by code, counted across processes for the status page (ops/status.py).

`record(code)` is called wherever signaling sends a typed `error` frame. It only adds one
to a counter in this process; a flush a few seconds later writes the batch as one row per
(minute, code) in `ops.ErrorCount`, so a flood of refusals costs one small write per
process every few seconds, not one per frame. Prometheus counters are per process and
cannot be read back by a web page, hence this table. Nothing about the person or the
meeting is kept.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import Counter
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from ops.models import ErrorCount
from signaling.db import in_db_thread

log = logging.getLogger(__name__)

KEEP = timedelta(hours=24)
FLUSH_SECONDS = 5.0

_pending: Counter[tuple[datetime, str]] = Counter()
_flush_on: asyncio.AbstractEventLoop | None = None  # the loop a flush is scheduled on
_flushing: set[asyncio.Task[None]] = set()


def record(code: str) -> None:
    """One more `error` frame with this code; written within FLUSH_SECONDS."""
    global _flush_on
    minute = timezone.now().replace(second=0, microsecond=0)
    _pending[(minute, code)] += 1
    loop = asyncio.get_running_loop()
    if _flush_on is not loop:
        _flush_on = loop
        # the process's batch, not the line of the socket whose error started it
        loop.call_later(FLUSH_SECONDS, _flush_soon, context=contextvars.Context())


def _flush_soon() -> None:
    global _flush_on
    _flush_on = None
    task = asyncio.ensure_future(flush())
    _flushing.add(task)
    task.add_done_callback(_flushing.discard)


async def flush() -> None:
    batch = dict(_pending)
    _pending.clear()
    if not batch:
        return
    try:
        await _write(batch)
    except Exception as exc:
        # the figures are a guide for operators: a lost batch is not worth a retry loop
        log.warning("error counts not written", extra={"error": type(exc).__name__})


def write(batch: dict[tuple[datetime, str], int]) -> None:
    for (minute, code), count in batch.items():
        rows = ErrorCount.objects.filter(minute=minute, code=code)
        if rows.update(count=F("count") + count):
            continue
        try:
            with transaction.atomic():
                ErrorCount.objects.create(minute=minute, code=code, count=count)
        except IntegrityError:  # another process made the row meanwhile
            rows.update(count=F("count") + count)


_write = in_db_thread(write)


def counts_since(since: datetime) -> list[tuple[str, int]]:
    """(code, count) of the errors sent since then, most frequent first."""
    rows = (
        ErrorCount.objects.filter(minute__gte=since.replace(second=0, microsecond=0))
        .values("code")
        .annotate(total=Sum("count"))
        .order_by("-total", "code")
    )
    return [(row["code"], row["total"]) for row in rows]


def prune(*, now: datetime) -> int:
    """Deletes the counts older than a day; how many rows went."""
    deleted, _ = ErrorCount.objects.filter(minute__lt=now - KEEP).delete()
    return deleted
