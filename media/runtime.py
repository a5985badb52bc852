"""How a relay process runs its event loop: on uvloop when it is installed.

The relay forwards every packet inside a socket callback, so the event loop's own
per-datagram cost (selector, callback dispatch, one datagram per loop iteration) is a
large part of what a publisher costs; uvloop does that part in C. The media worker (``manage.py media_worker``) and
the benchmark's relay process (bench/relay_server.py) both start through ``run`` so
that the benchmark measures what ships.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")
LoopChoice = Literal["auto", "uvloop", "asyncio"]


def uvloop_available() -> bool:
    return importlib.util.find_spec("uvloop") is not None


def chosen_loop(loop: LoopChoice = "auto") -> Literal["uvloop", "asyncio"]:
    if loop == "auto":
        return "uvloop" if uvloop_available() else "asyncio"
    return loop


def run(main: Coroutine[Any, Any, T], loop: LoopChoice = "auto") -> T:
    """``asyncio.run(main)`` on uvloop if installed (or as ``loop`` says)."""
    if chosen_loop(loop) == "uvloop":
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)
