"""How a relay process runs its event loop: plain asyncio, or uvloop on request.

The relay forwards every packet inside a socket callback, so the event loop's own
per-wake-up work (epoll, the switch back into the process, callback dispatch) is part of
what a publisher costs; uvloop does that part in C. In bench/README.md's A/B runs that
did not lower the relay's CPU reliably, so the media worker stays on asyncio unless
started with ``--loop uvloop``. The media worker (``manage.py media_worker``) and the
benchmark's relay process (bench/relay_server.py) both start through ``run``, so the
benchmark measures what ships.

On asyncio with the compiled ``_packet_io`` (Linux), the loop waits in a
``MediaSelector``: a media socket's datagrams that the compiled receiver forwards are read
and forwarded inside the wait, without running the loop's Python at all
(aiortc_private/media_selector.py; ``MEDIA_COMPILED_WAIT=0`` turns it off).

With ``MEDIA_WAKE_INTERVAL_MS`` set, the wake-ups are paced (``MediaSelector``'s
interval, or ``PacedSelector`` where the compiled wait is off): a loop that woke less than
that long ago waits out the rest before it polls again, so the datagrams that arrive
meanwhile are read and forwarded in one wake-up. Before the compiled wait, 10 ms took
4-26 % off the relay's CPU; with it, ~8 % more at 2 participants and 3-15 % less at 6,
for up to 10 ms more delay on every packet (bench/README.md, "Stop 29"). Off by default.
"""

from __future__ import annotations

import asyncio
import functools
import os
import selectors
import time
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

from media.aiortc_private import media_selector

T = TypeVar("T")
LoopName = Literal["asyncio", "uvloop"]
LOOPS: tuple[LoopName, ...] = ("asyncio", "uvloop")
DEFAULT_LOOP: LoopName = "asyncio"
DEFAULT_WAKE_INTERVAL = 0.0  # seconds: not paced; MEDIA_WAKE_INTERVAL_MS sets it


def wake_interval_from_environment() -> float:
    text = os.environ.get("MEDIA_WAKE_INTERVAL_MS")
    if text is None:
        return DEFAULT_WAKE_INTERVAL
    try:
        milliseconds = float(text)
    except ValueError:
        milliseconds = -1.0
    if not 0 <= milliseconds <= 1000:
        raise ValueError(f"MEDIA_WAKE_INTERVAL_MS must be 0-1000 (milliseconds), not {text!r}")
    return milliseconds / 1000


class PacedSelector(selectors.DefaultSelector):
    """The default selector, polled at most once per ``interval`` while busy."""

    def __init__(self, interval: float) -> None:
        super().__init__()
        self.interval = interval
        self.woke = float("-inf")

    def select(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        # timeout 0: the loop has callbacks ready and only collects events, never waits
        if timeout is None or timeout > 0:
            rest = self.woke + self.interval - time.monotonic()
            if rest > 0:
                if timeout is not None:
                    rest = min(rest, timeout)
                    timeout -= rest
                time.sleep(rest)
        events = super().select(timeout)
        self.woke = time.monotonic()
        return events


def paced_event_loop(interval: float) -> asyncio.AbstractEventLoop:
    return asyncio.SelectorEventLoop(PacedSelector(interval))


def run(
    main: Coroutine[Any, Any, T],
    loop: LoopName = DEFAULT_LOOP,
    wake_interval: float | None = None,
) -> T:
    """``asyncio.run(main)`` on the named event loop (uvloop must be installed); on
    asyncio with wake-ups paced to ``wake_interval`` seconds (0: not paced; None: from
    the environment)."""
    if wake_interval is None:
        try:
            wake_interval = wake_interval_from_environment()
        except ValueError:
            main.close()  # never to run: no "never awaited" warning after the error
            raise
    if loop == "uvloop":
        import uvloop

        return uvloop.run(main)
    if media_selector.available():
        factory = functools.partial(media_selector.media_event_loop, wake_interval)
    elif wake_interval > 0:
        factory = functools.partial(paced_event_loop, wake_interval)
    else:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)
