"""Small stand-ins for the ports the media worker is given (media/worker.py)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    room: str
    publish: bool = True
    audio: bool = True
    video: bool = True
    screen: bool = False


class FakePlans:
    """A PlanSource whose answers the test sets; ``hold()`` makes the next reads wait."""

    def __init__(self, plans: dict[str, dict[str, Plan]] | None = None) -> None:
        self.by_meeting = plans or {}
        self.released = asyncio.Event()
        self.released.set()
        self.closed = False

    def hold(self) -> None:
        self.released.clear()

    def release(self) -> None:
        self.released.set()

    async def plans(self, meeting_id: str) -> dict[str, Plan]:
        await self.released.wait()
        return self.by_meeting.get(meeting_id, {})

    async def close(self) -> None:
        self.closed = True


class FakeOutbox:
    """Records (participant id, outcome) in the order the worker sent them."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, object]] = []
        self.reports: list[tuple[str, object]] = []  # share of voice, to facilitators
        self.arrived = asyncio.Condition()

    async def to_participant(self, participant_id: str, outcome: object) -> None:
        async with self.arrived:
            self.sent.append((participant_id, outcome))
            self.arrived.notify_all()

    async def to_facilitators(self, meeting_id: str, report: object) -> None:
        self.reports.append((meeting_id, report))

    async def wait_for(self, count: int, timeout: float = 2.0) -> list[tuple[str, object]]:
        async with asyncio.timeout(timeout), self.arrived:
            await self.arrived.wait_for(lambda: len(self.sent) >= count)
        return self.sent


class FakeChannels:
    """The channel layer's ``receive``: messages put on a named channel come out in order."""

    def __init__(self) -> None:
        self.queues: dict[str, asyncio.Queue[dict]] = {}

    def _queue(self, channel: str) -> asyncio.Queue[dict]:
        return self.queues.setdefault(channel, asyncio.Queue())

    async def send(self, channel: str, message: dict) -> None:
        await self._queue(channel).put(message)

    async def receive(self, channel: str) -> dict:
        return await self._queue(channel).get()
