"""The media worker: owns one Relay, takes commands from a channel, sends its events to people.

Commands for one participant run in the order they arrived (a lock per participant);
different participants' commands run concurrently. What the relay should do for a
person (room, publish, mute) is read from the database, i.e. decided by rooms/, at
the moment a command runs, so a mute that commits while a join is in flight still wins.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connections

from media import (
    ActiveSpeaker,
    ConnectionState,
    MediaError,
    Relay,
    RelayConfig,
    RelayErrorEvent,
    RelayEvent,
    Renegotiate,
    TrackLive,
)
from rooms import selectors
from signaling import delivery
from signaling import protocol as p
from signaling.media_link import ice_servers_for_client

log = logging.getLogger(__name__)

_ERRORS = {
    "unknown_participant": "media_not_started",
    "already_joined": "media_not_started",
    "relay_closed": "media_unavailable",
}

media_plans = database_sync_to_async(selectors.media_plans)


def relay_config() -> RelayConfig:
    return RelayConfig(
        host_addresses=list(settings.MEDIA_HOST_ADDRESSES),
        announced_address=settings.MEDIA_ANNOUNCED_ADDRESS,
        ice_servers=[],
        last_n=settings.MEDIA_LAST_N,
    )


class MediaWorker:
    def __init__(self, channels: list[str], config: RelayConfig | None = None) -> None:
        self.channels = channels
        self.relay = Relay(config or relay_config(), self._on_relay_event)
        self.layer = get_channel_layer()
        # participant id -> meeting id, for everyone the relay has a connection for
        self.meetings: dict[str, str] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._tasks: set[asyncio.Task] = set()
        self._readers: list[asyncio.Task] = []

    def start(self) -> None:
        self._readers = [asyncio.create_task(self._read(channel)) for channel in self.channels]

    async def stop(self) -> None:
        tasks = [*self._readers, *self._tasks]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.relay.close()
        # the database thread's connection goes with the worker, not at interpreter exit
        await database_sync_to_async(connections.close_all)()

    async def _read(self, channel: str) -> None:
        log.info("media worker: listening on %s", channel)
        while True:
            try:
                message = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                # a lost Redis connection must not silently end the worker's only reader
                log.exception("media worker: receive on %s failed", channel)
                await asyncio.sleep(1)
                continue
            log.debug("media worker: received %s", message.get("op"))
            # Spawned in arrival order; the per-participant lock keeps that order.
            self._spawn(self._run(message))

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, message: dict) -> None:
        op = message.get("op")
        meeting_id = message["meeting_id"]
        pid = message.get("participant_id")
        key = pid or f"meeting:{meeting_id}"
        if op in ("join", "leave"):
            log.info("media worker: %s", op)  # no ids: logs say what happens, not who
        async with self._locks[key]:
            try:
                await getattr(self, f"_op_{op}")(meeting_id, pid, message)
            except MediaError as exc:
                await self._tell(pid, p.error_message(_ERRORS.get(exc.code, exc.code)))
            except p.ProtocolError as exc:
                await self._tell(pid, p.error_message(exc.code))
            except Exception:
                log.exception("media worker: %s failed", op)
                await self._tell(pid, p.error_message("media_unavailable"))

    # --- commands ------------------------------------------------------------------

    async def _op_join(self, meeting_id: str, pid: str, message: dict) -> None:
        plan = (await media_plans(meeting_id=meeting_id)).get(pid)
        if plan is None:
            await self._tell(pid, p.error_message("not_admitted"))
            return
        # A new join is a new peer connection (reloaded page, failed ICE, mode switch).
        await self._forget(pid)
        receive_video = bool(message.get("receive_video", True))
        await self.relay.join(
            pid,
            plan.room,
            publish_audio=plan.publish,
            publish_video=plan.publish,
            receive_video=receive_video,
        )
        self.meetings[pid] = meeting_id
        self.relay.set_forwarding(pid, audio=plan.audio, video=plan.video)
        await self._tell(
            pid,
            p.server_message(
                "media.ready",
                ice_servers=ice_servers_for_client(),
                publish_audio=plan.publish,
                publish_video=plan.publish,
                receive_video=receive_video,
            ),
        )

    async def _op_offer(self, meeting_id: str, pid: str, message: dict) -> None:
        self._require_joined(pid, meeting_id)
        answer = await self.relay.offer(pid, message["sdp"])
        await self._tell(pid, p.server_message("media.answer", sdp=answer))

    async def _op_answer(self, meeting_id: str, pid: str, message: dict) -> None:
        self._require_joined(pid, meeting_id)
        await self.relay.answer(pid, message["sdp"])

    async def _op_candidate(self, meeting_id: str, pid: str, message: dict) -> None:
        self._require_joined(pid, meeting_id)
        await self.relay.add_ice_candidate(pid, message.get("candidate"))

    async def _op_leave(self, meeting_id: str, pid: str, message: dict) -> None:
        if self.meetings.get(pid) == meeting_id:
            await self._forget(pid)
        await self._tell(pid, p.server_message("media.stopped"))

    async def _op_sync(self, meeting_id: str, pid: str | None, message: dict) -> None:
        plans = await media_plans(meeting_id=meeting_id)
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
                    await self._tell(member, p.server_message("media.stopped"))
                    continue
                with contextlib.suppress(MediaError):
                    await self.relay.move(member, plan.room)
                    self.relay.set_forwarding(member, audio=plan.audio, video=plan.video)

    async def _forget(self, pid: str) -> None:
        """Closes pid's relay connection, if the worker has one."""
        if self.meetings.pop(pid, None) is not None:
            with contextlib.suppress(MediaError):
                await self.relay.leave(pid)

    def _require_joined(self, pid: str, meeting_id: str) -> None:
        if self.meetings.get(pid) != meeting_id:
            raise p.ProtocolError("media_not_started")

    # --- relay events ----------------------------------------------------------------

    def _on_relay_event(self, event: RelayEvent) -> None:
        # Called from inside the relay (often a socket callback): never block here.
        self._spawn(self._deliver(event))

    async def _deliver(self, event: RelayEvent) -> None:
        match event:
            case Renegotiate(participant=pid, sdp=sdp, tracks=tracks):
                described = {
                    mid: {"participant_id": t["participant"], "kind": t["kind"]}
                    for mid, t in tracks.items()
                }
                await self._tell(pid, p.server_message("media.offer", sdp=sdp, tracks=described))
            case ConnectionState(participant=pid, state=state):
                await self._tell(pid, p.server_message("media.state", state=state))
            case RelayErrorEvent(participant=pid):
                await self._tell(pid, p.error_message("negotiation_failed"))
            case TrackLive(participant=pid, kind=kind):
                message = p.server_message("media.track", participant_id=pid, kind=kind)
                await self._tell_room_of(pid, message)
            case ActiveSpeaker(participant=pid):
                await self._tell_room_of(pid, p.server_message("media.speaker", participant_id=pid))

    async def _tell_room_of(self, pid: str, message: dict) -> None:
        try:
            room = self.relay.room_of(pid)
        except MediaError:
            return
        for member in list(self.meetings):
            with contextlib.suppress(MediaError):
                if self.relay.room_of(member) == room:
                    await self._tell(member, message)

    async def _tell(self, pid: str | None, message: dict) -> None:
        if pid is None:
            return
        await self.layer.group_send(
            delivery.participant_group(pid), {"type": "media.event", "message": message}
        )
