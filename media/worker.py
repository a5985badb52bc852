"""The media actor: owns one Relay, takes commands from channels, sends outcomes to people.

Commands for one participant run in the order they arrived (a lock per participant);
different participants' commands run concurrently. What the relay should do for a
person (room, publish, mute) is read through the ``PlanSource`` it is given, i.e.
decided outside media/, at the moment a command runs, so a mute that commits while a
join is in flight still wins.

The worker knows participants by id only. It imports neither Django nor Channels: the
channel reader (``receive``), the plans and the outbox are handed to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from structlog.contextvars import bind_contextvars

from . import metrics
from .commands import (
    Answer,
    Candidate,
    Command,
    Join,
    Leave,
    Offer,
    Rejoin,
    Sync,
    Tiles,
    parse_command,
)
from .config import RelayConfig
from .errors import MediaError
from .events import ActiveSpeaker, RelayEvent, TrackLive
from .relay import Relay

log = logging.getLogger(__name__)


class Plan(Protocol):
    """What the relay should do for one participant (rooms.state.MediaPlan has this shape)."""

    @property
    def room(self) -> str: ...  # the relay room: people hear and see only others in it
    @property
    def publish(self) -> bool: ...
    @property
    def audio(self) -> bool: ...  # False: the relay drops this person's audio
    @property
    def video(self) -> bool: ...
    @property
    def screen(self) -> bool: ...  # True: this person shares their screen now


class PlanSource(Protocol):
    async def plans(self, meeting_id: str) -> Mapping[str, Plan]:
        """Everyone who may take part in the meeting's media now (committed truth)."""
        ...

    async def close(self) -> None:
        """The worker stops: release what reading plans holds (e.g. a database connection)."""
        ...


# --- what the worker tells a participant, besides the RelayEvents it passes on -------


@dataclass(frozen=True)
class Ready:
    publish_audio: bool
    publish_video: bool
    receive_video: bool


@dataclass(frozen=True)
class Answered:
    sdp: str


@dataclass(frozen=True)
class Stopped:
    pass


@dataclass(frozen=True)
class Restart:
    """This person's media connection is gone (its worker stopped or failed): join again."""


@dataclass(frozen=True)
class Failed:
    """A command failed: a ``MediaError`` code, or one of the worker's own codes below."""

    code: str


NOT_ADMITTED = "not_admitted"  # no plan: not (or no longer) in the meeting's room
NOT_STARTED = "media_not_started"  # offer/answer/candidate before join
UNAVAILABLE = "media_unavailable"  # anything unexpected


@dataclass(frozen=True)
class SpeakingSeconds:
    """Share of voice, for the meeting's facilitators only: seconds spoken so far, by id."""

    meeting_id: str
    seconds: dict[str, float]


Reply = Ready | Answered | Stopped | Restart | Failed
Outcome = Reply | RelayEvent

SPEAKING_REPORT_SECONDS = 3.0
SPEAKING_REFRESH_REPORTS = 10  # unchanged totals are sent again this often (late facilitators)


class Outbox(Protocol):
    async def to_participant(self, participant_id: str, outcome: Outcome) -> None: ...
    async def to_facilitators(self, meeting_id: str, report: SpeakingSeconds) -> None: ...


class _Refused(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


Receive = Callable[[str], Awaitable[dict[str, Any]]]


class MediaWorker:
    def __init__(
        self,
        channels: list[str],
        config: RelayConfig,
        *,
        plans: PlanSource,
        outbox: Outbox,
        receive: Receive,
    ) -> None:
        self.channels = channels
        self.relay = Relay(config, self._on_relay_event)
        self._plans = plans
        self._outbox = outbox
        self._receive = receive
        # participant id -> meeting id, for everyone the relay has a connection for
        self.meetings: dict[str, str] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        # One send at a time per person, in the order they were produced: two concurrent
        # sends over Redis can arrive swapped (the relay's first offer before our answer).
        self._sending: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        # Handed over to another worker or shutting down: nothing more reaches these people
        # from here (a late "closed" would make their new connection start again).
        self._silenced: set[str] = set()
        self._all_silenced = False
        self.draining = False  # stopping: joins are sent to another worker
        self._tasks: set[asyncio.Task[None]] = set()
        self._readers: list[asyncio.Task[None]] = []
        # Share of voice: meeting id -> participant id -> seconds spoken. Only here, in
        # memory; a meeting's entry goes when none of its people is connected here.
        self.speaking: dict[str, dict[str, float]] = {}
        self._reported: dict[str, dict[str, float]] = {}
        self._reports = 0

    def start(self) -> None:
        metrics.watch(self.relay)
        self._readers = [asyncio.create_task(self._read(channel)) for channel in self.channels]
        self._readers.append(asyncio.create_task(self._report_speaking_every()))

    @property
    def running(self) -> bool:
        """Started and its readers still listening (not stopped)."""
        return any(not task.done() for task in self._readers)

    async def stop(self) -> None:
        self._all_silenced = True
        tasks = [*self._readers, *self._tasks]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.relay.close()
        await self._plans.close()

    async def _read(self, channel: str) -> None:
        log.info("listening", extra={"channel": channel})
        while True:
            try:
                message = await self._receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                # a lost Redis connection must not silently end the worker's only reader
                log.exception("receive failed", extra={"channel": channel})
                await asyncio.sleep(1)
                continue
            log.debug("received", extra={"op": message.get("op")})
            # Spawned in arrival order; the per-participant lock keeps that order.
            self._spawn(self.run(message))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self, message: dict[str, Any]) -> None:
        """Runs one command message, after the ones for the same participant before it."""
        op = message.get("op")
        meeting_id = message["meeting_id"]
        pid = message.get("participant_id")
        key = pid or f"meeting:{meeting_id}"
        # its own task: every line of this command's carries the meeting's id, never a person's
        bind_contextvars(meeting_id=meeting_id)
        if op in ("join", "leave"):
            log.info("command", extra={"op": op})
        async with self._locks[key]:
            try:
                await self._execute(parse_command(message))
            except (MediaError, _Refused) as exc:
                await self._tell(pid, Failed(exc.code))
            except Exception:
                log.exception("command failed", extra={"op": op})
                await self._tell(pid, Failed(UNAVAILABLE))

    async def _execute(self, command: Command) -> None:
        match command:
            case Join():
                await self._join(command)
            case Offer(meeting_id=meeting, participant_id=pid, sdp=sdp):
                self._require_joined(pid, meeting)
                await self._tell(pid, Answered(await self.relay.offer(pid, sdp)))
            case Answer(meeting_id=meeting, participant_id=pid, sdp=sdp):
                self._require_joined(pid, meeting)
                await self.relay.answer(pid, sdp)
            case Candidate(meeting_id=meeting, participant_id=pid, candidate=candidate):
                self._require_joined(pid, meeting)
                await self.relay.add_ice_candidate(pid, candidate)
            case Tiles(meeting_id=meeting, participant_id=pid, tiles=tiles):
                if self.meetings.get(pid) == meeting:  # else: media ended meanwhile, no matter
                    self.relay.set_tiles(pid, tiles)
            case Leave(meeting_id=meeting, participant_id=pid):
                if self.meetings.get(pid) == meeting:
                    await self._forget(pid)
                await self._tell(pid, Stopped())
            case Sync(meeting_id=meeting):
                await self._sync(meeting)
            case Rejoin(meeting_id=meeting):
                await self._rejoin(meeting)

    async def _join(self, command: Join) -> None:
        pid = command.participant_id
        self._silenced.discard(pid)
        if self.draining:
            await self._tell(pid, Restart())  # placed elsewhere now that we drain
            return
        plan = (await self._plans.plans(command.meeting_id)).get(pid)
        if plan is None:
            await self._tell(pid, Failed(NOT_ADMITTED))
            return
        # A new join is a new peer connection (reloaded page, failed ICE, mode switch).
        await self._forget(pid)
        await self.relay.join(
            pid,
            plan.room,
            publish_audio=plan.publish,
            publish_video=plan.publish,
            receive_video=command.receive_video,
        )
        self.meetings[pid] = command.meeting_id
        self.relay.set_forwarding(pid, audio=plan.audio, video=plan.video, screen=plan.screen)
        await self._tell(pid, Ready(plan.publish, plan.publish, command.receive_video))

    async def _sync(self, meeting_id: str) -> None:
        # A sync also comes when a facilitator enters (or reloads): the next report sends
        # the share of voice again even if it is unchanged, so they see it within seconds.
        self._reported.pop(meeting_id, None)
        plans = await self._plans.plans(meeting_id)
        for member, member_meeting in list(self.meetings.items()):
            if member_meeting != meeting_id:
                continue
            plan = plans.get(member)
            async with self._locks[member]:
                if self.meetings.get(member) != meeting_id:
                    continue
                if plan is None:
                    # left, removed, expired, or the meeting ended
                    await self._forget(member)
                    await self._tell(member, Stopped())
                    continue
                with contextlib.suppress(MediaError):
                    await self.relay.move(member, plan.room)
                    self.relay.set_forwarding(
                        member, audio=plan.audio, video=plan.video, screen=plan.screen
                    )

    async def _rejoin(self, meeting_id: str) -> None:
        """The meeting was moved here from a worker that failed or stopped: its people join
        again (those who already did are left alone)."""
        for member in await self._plans.plans(meeting_id):
            if self.meetings.get(member) != meeting_id:
                self._silenced.discard(member)
                await self._tell(member, Restart())

    async def _report_speaking_every(self) -> None:
        while True:
            await asyncio.sleep(SPEAKING_REPORT_SECONDS)
            try:
                await self.report_speaking()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("share of voice report failed")

    async def report_speaking(self) -> None:
        """Adds up the relay's speaking seconds per meeting and tells its facilitators."""
        for pid, seconds in self.relay.take_speaking_seconds().items():
            meeting = self.meetings.get(pid)
            if meeting is not None:
                totals = self.speaking.setdefault(meeting, {})
                totals[pid] = totals.get(pid, 0.0) + seconds
        hosting = {m for pid, m in self.meetings.items() if pid not in self._silenced}
        for meeting in set(self.speaking) - set(self.meetings.values()):
            del self.speaking[meeting]
        for meeting in set(self._reported) - set(self.meetings.values()):
            del self._reported[meeting]
        if self._all_silenced:
            return
        refresh = self._reports % SPEAKING_REFRESH_REPORTS == 0
        self._reports += 1
        for meeting in hosting:
            spoken = {pid: round(s, 1) for pid, s in self.speaking.get(meeting, {}).items()}
            if not refresh and self._reported.get(meeting) == spoken:
                continue
            self._reported[meeting] = spoken
            await self._outbox.to_facilitators(meeting, SpeakingSeconds(meeting, spoken))

    def hosting(self) -> set[str]:
        """Meetings with at least one connection on this worker."""
        return set(self.meetings.values())

    def silence(self, meeting_id: str) -> None:
        """Nothing more from here reaches the meeting's people: it lives elsewhere now."""
        self._silenced.update(m for m, meeting in self.meetings.items() if meeting == meeting_id)

    async def release(self, meeting_id: str) -> None:
        """Closes the meeting's connections here without a word to them."""
        self.silence(meeting_id)
        for member, member_meeting in list(self.meetings.items()):
            if member_meeting == meeting_id:
                async with self._locks[member]:
                    if self.meetings.get(member) == meeting_id:
                        await self._forget(member)

    async def _forget(self, pid: str) -> None:
        """Closes pid's relay connection, if the worker has one."""
        if self.meetings.pop(pid, None) is not None:
            with contextlib.suppress(MediaError):
                await self.relay.leave(pid)

    def _require_joined(self, pid: str, meeting_id: str) -> None:
        if self.meetings.get(pid) != meeting_id:
            raise _Refused(NOT_STARTED)

    # --- relay events ----------------------------------------------------------------

    def _on_relay_event(self, event: RelayEvent) -> None:
        # Called from inside the relay (often a socket callback): never block here.
        self._spawn(self._deliver(event))

    async def _deliver(self, event: RelayEvent) -> None:
        if isinstance(event, TrackLive | ActiveSpeaker):
            await self._tell_room_of(event.participant, event)  # everyone in that relay room
        else:
            await self._tell(event.participant, event)

    async def _tell_room_of(self, pid: str, event: RelayEvent) -> None:
        try:
            room = self.relay.room_of(pid)
        except MediaError:
            return
        for member in list(self.meetings):
            with contextlib.suppress(MediaError):
                if self.relay.room_of(member) == room:
                    await self._tell(member, event)

    async def _tell(self, pid: str | None, outcome: Outcome) -> None:
        if pid is None:
            return
        async with self._sending[pid]:
            if self._all_silenced or pid in self._silenced:
                return
            await self._outbox.to_participant(pid, outcome)
