"""Counts down a meeting's breakout timer in this process and delivers what it owes.

The deadlines live in the database (rooms/breakouts.py decides what is due); this only
wakes up at the next one. Any process may hold a countdown for a meeting: ticks run
under the meeting's row lock and are idempotent, so two processes never warn or close
twice. A countdown lost with a stopped process is restarted when someone (re)connects,
and any room operation catches up on a deadline that has already passed.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from datetime import datetime

from django.utils import timezone
from structlog.contextvars import bind_contextvars

from rooms import selectors
from rooms.services import breakouts
from signaling import delivery
from signaling.db import in_db_thread

log = logging.getLogger(__name__)

_next_deadline = in_db_thread(selectors.breakout_next_deadline)
_tick = in_db_thread(breakouts.breakout_tick)

# meeting id -> the countdown task of this process
_countdowns: dict[str, asyncio.Task] = {}


async def ensure(meeting_id: str) -> None:
    """(Re)starts this process's countdown for the meeting's current deadlines."""
    deadline = await _next_deadline(meeting_id=meeting_id)
    old = _countdowns.pop(meeting_id, None)
    if old is not None and not old.done() and old.get_loop() is asyncio.get_running_loop():
        old.cancel()
    if deadline is not None:
        # its lines carry the meeting's id, not the socket's that started it
        countdown = _count_down(meeting_id, deadline)
        context = contextvars.Context()
        context.run(bind_contextvars, meeting_id=meeting_id)
        _countdowns[meeting_id] = asyncio.create_task(countdown, context=context)


async def _count_down(meeting_id: str, deadline: datetime | None) -> None:
    try:
        while deadline is not None:
            wait = (deadline - timezone.now()).total_seconds()
            # a little late rather than early: the tick compares with the stored deadline
            await asyncio.sleep(max(0.0, wait) + 0.05)
            outcome = await _tick(meeting_id=meeting_id)
            await delivery.deliver(meeting_id, outcome)
            passed, deadline = deadline, await _next_deadline(meeting_id=meeting_id)
            if deadline == passed:
                return  # nothing moved on: never spin on a deadline the rules ignore
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("breakout timer failed")
    finally:
        if _countdowns.get(meeting_id) is asyncio.current_task():
            del _countdowns[meeting_id]
