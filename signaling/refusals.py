"""A socket's refused frames in the log: one line a minute at most, with how many and why.

A client that floods gets thousands of `error` replies; writing a line for each would let it
flood the log too. The first refusal starts a minute; its end (or the socket's close,
whichever comes first) writes one line with the count by code. `record_error` is the one
hook for every `error` frame a socket sends: this log line and the status page's counts
(ops/error_counts.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from ops import error_counts

log = logging.getLogger(__name__)

SUMMARY_SECONDS = 60.0


class RefusalSummary:
    def __init__(self, every: float = SUMMARY_SECONDS) -> None:
        self.every = every
        self._codes: Counter[str] = Counter()
        self._due: asyncio.TimerHandle | None = None

    def record_error(self, code: str) -> None:
        """An `error` frame with this code goes out on this socket."""
        error_counts.record(code)  # the status page's errors by code
        self.add(code)

    def add(self, code: str) -> None:
        self._codes[code] += 1
        if self._due is None:
            # the timer runs in this socket's context: the line has its socket and meeting ids
            self._due = asyncio.get_running_loop().call_later(self.every, self.write)

    def write(self) -> None:
        """Writes what is pending, if anything (also when the socket closes)."""
        if self._due is not None:
            self._due.cancel()
            self._due = None
        if not self._codes:
            return
        codes, self._codes = dict(self._codes), Counter()
        level = logging.WARNING if "rate_limited" in codes else logging.INFO
        log.log(level, "frames refused", extra={"count": sum(codes.values()), "codes": codes})
