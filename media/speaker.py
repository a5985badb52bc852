"""Active speaker of a room from RTP audio-level header values (RFC 6464), no decoding.

A level is -dBov: 0 is the loudest, 127 silence. Each publisher's recent levels are
averaged over a short window; the loudest one under ``speech_level`` that has held
for ``hold`` seconds becomes the active speaker.
"""

from __future__ import annotations

import time
from collections import deque


class SpeakerDetector:
    def __init__(
        self,
        window: float = 0.4,
        speech_level: int = 50,
        hold: float = 0.3,
        evaluate_every: float = 0.1,
    ) -> None:
        self.window = window
        self.speech_level = speech_level
        self.hold = hold
        self.evaluate_every = evaluate_every
        self.current: str | None = None
        self._levels: dict[str, deque[tuple[float, int]]] = {}
        self._candidate: str | None = None
        self._candidate_since = 0.0
        self._last_evaluation = 0.0
        # most recent speaker first; used by last-N
        self.recency: list[str] = []

    def remove(self, participant: str) -> None:
        self._levels.pop(participant, None)
        if participant in self.recency:
            self.recency.remove(participant)
        if self.current == participant:
            self.current = None
        if self._candidate == participant:
            self._candidate = None

    def add(self, participant: str, level: int, now: float | None = None) -> str | None:
        """Record a level; return a participant id when the active speaker changes."""
        now = time.monotonic() if now is None else now
        levels = self._levels.get(participant)
        if levels is None:
            levels = self._levels[participant] = deque()
        levels.append((now, level))
        if now - self._last_evaluation < self.evaluate_every:
            return None
        self._last_evaluation = now
        return self._evaluate(now)

    def _evaluate(self, now: float) -> str | None:
        cutoff = now - self.window
        loudest: str | None = None
        loudest_level = float(self.speech_level)
        for participant, levels in self._levels.items():
            while levels and levels[0][0] < cutoff:
                levels.popleft()
            if not levels:
                continue
            average = sum(level for _, level in levels) / len(levels)
            if average < loudest_level:
                loudest, loudest_level = participant, average
        if loudest is None or loudest == self.current:
            self._candidate = None
            return None
        if loudest != self._candidate:
            self._candidate, self._candidate_since = loudest, now
            return None
        if now - self._candidate_since < self.hold:
            return None
        self.current = loudest
        self._candidate = None
        if loudest in self.recency:
            self.recency.remove(loudest)
        self.recency.insert(0, loudest)
        return loudest


class SpeakingClock:
    """Seconds each publisher spent speaking, from the same audio-level values.

    A packet at a level under ``speech_level`` counts the time since that publisher's
    previous packet (at most ``max_gap``: a pause in the packets is not speech). The
    seconds are handed out by ``take`` and forgotten here; nothing else is kept.
    """

    def __init__(self, speech_level: int = 50, max_gap: float = 0.1) -> None:
        self.speech_level = speech_level
        self.max_gap = max_gap
        self._last: dict[str, float] = {}
        self._seconds: dict[str, float] = {}

    def add(self, participant: str, level: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        last = self._last.get(participant)
        self._last[participant] = now
        if last is None or level >= self.speech_level:
            return
        gap = min(now - last, self.max_gap)
        self._seconds[participant] = self._seconds.get(participant, 0.0) + gap

    def remove(self, participant: str) -> None:
        self._last.pop(participant, None)

    def take(self) -> dict[str, float]:
        """The seconds counted since the last call, by participant."""
        taken, self._seconds = self._seconds, {}
        return taken
