"""How a relay process runs its event loop: plain asyncio, or uvloop on request.

The relay forwards every packet inside a socket callback, so the event loop's own
per-datagram work (selector, callback dispatch) is part of what a publisher costs;
uvloop does that part in C. In bench/README.md's A/B runs that did not lower the
relay's CPU reliably, so the media worker stays on asyncio unless started with
``--loop uvloop``. The media worker (``manage.py media_worker``) and the benchmark's
relay process (bench/relay_server.py) both start through ``run``, so the benchmark
measures what ships.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")
LoopName = Literal["asyncio", "uvloop"]
LOOPS: tuple[LoopName, ...] = ("asyncio", "uvloop")
DEFAULT_LOOP: LoopName = "asyncio"


def run(main: Coroutine[Any, Any, T], loop: LoopName = DEFAULT_LOOP) -> T:
    """``asyncio.run(main)`` on the named event loop (uvloop must be installed)."""
    if loop == "uvloop":
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)
