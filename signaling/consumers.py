"""One consumer per participant socket: parse at the edge, ask rooms/, deliver what it decided."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from uuid import UUID

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from rooms import selectors, services, state
from rooms.models import Meeting
from signaling import breakout_timer, delivery, groups
from signaling import protocol as p
from signaling.handlers import ENTER_HOOKS
from signaling.handlers import load as load_handlers
from signaling.ratelimit import TokenBucket

log = logging.getLogger(__name__)

# Expiry timers must outlive the consumer that scheduled them.
_expiry_tasks: set[asyncio.Task] = set()

ROUTES = load_handlers()


@database_sync_to_async
def _meeting(meeting_id: str) -> Meeting | None:
    try:
        UUID(meeting_id)
    except ValueError:
        return None
    return Meeting.objects.filter(id=meeting_id, ended_at__isnull=True).first()


@database_sync_to_async
def _participant(meeting_id: str, token: str):
    return selectors.participant_by_token(meeting_id=meeting_id, token=token)


@database_sync_to_async
def _room_state(meeting: Meeting, participant_id: str) -> dict:
    room = selectors.room_load(meeting=meeting)
    viewer = room.member(participant_id)
    snapshot = room.snapshot_for(participant_id)
    snapshot["chat"] = selectors.chat_history(
        meeting_id=str(meeting.id),
        viewer_id=participant_id,
        viewer_facilitates=viewer.facilitates,
        room=viewer.breakout or state.MAIN_ROOM,
    )
    return snapshot


_participant_breakout = database_sync_to_async(selectors.participant_breakout)


participant_connect = database_sync_to_async(services.participant_connect)
participant_disconnect = database_sync_to_async(services.participant_disconnect)
participant_expire = database_sync_to_async(services.participant_expire)


async def _expire_later(meeting_id: str, participant_id: str) -> None:
    grace = settings.RECONNECT_GRACE_SECONDS
    await asyncio.sleep(grace)
    events = await participant_expire(
        meeting_id=meeting_id, participant_id=participant_id, grace_seconds=grace
    )
    await delivery.deliver(meeting_id, events)


class MeetingConsumer(AsyncWebsocketConsumer):
    meeting: Meeting | None = None
    participant_id: str | None = None
    role: str = state.PEER
    in_room = False
    # The breakout whose channel group this socket is in (None: the main room's).
    space: str | None = None
    space_joined = False
    closing = False

    async def connect(self) -> None:
        # Accept first: a refused handshake cannot carry a close code the page can explain.
        await self.accept()
        meeting_id = self.scope["url_route"]["kwargs"]["meeting_id"]
        self.meeting = await _meeting(meeting_id)
        if self.meeting is None:
            await self.close(code=4404)
            return
        self.frames = TokenBucket(capacity=40, rate=20)
        self.chats = TokenBucket(capacity=settings.CHAT_BURST, rate=settings.CHAT_PER_SECOND)
        self.last_heard = asyncio.get_running_loop().time()
        self.watchdog = asyncio.create_task(self._watch())

    async def disconnect(self, code: int) -> None:
        watchdog = getattr(self, "watchdog", None)
        if watchdog is not None:
            watchdog.cancel()
        if self.participant_id is None or self.meeting is None:
            return
        await self._leave_groups()
        meeting_id = str(self.meeting.id)
        events = await participant_disconnect(
            meeting_id=meeting_id,
            participant_id=self.participant_id,
            channel_name=self.channel_name,
        )
        await delivery.deliver(meeting_id, events)
        if events:
            task = asyncio.create_task(_expire_later(meeting_id, self.participant_id))
            _expiry_tasks.add(task)
            task.add_done_callback(_expiry_tasks.discard)

    # --- incoming frames ---------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.meeting is None:
            return  # closing with 4404; a frame sent meanwhile (e.g. hello) has nowhere to go
        self.last_heard = asyncio.get_running_loop().time()
        try:
            if not self.frames.take():
                raise p.ProtocolError("rate_limited")
            if text_data is None:
                raise p.ProtocolError("bad_json", "Frames must be JSON text.")
            message = p.parse_client_frame(text_data)
            if self.participant_id is None:
                await self._handshake(message)
            else:
                await self._handle(message)
        except p.ProtocolError as exc:
            await self._refuse(exc.code, exc.detail)
        except state.RoomError as exc:
            await self._refuse(exc.code, exc.message)
        except Exception:
            log.exception("signaling: unexpected failure participant=%s", self.participant_id)
            await self._refuse("internal", None)

    async def _refuse(self, code: str, detail: str | None) -> None:
        # Only the code goes to the log: frames may hold what people said.
        log.info("signaling: refused code=%s participant=%s", code, self.participant_id)
        await self.send_message(p.error_message(code, detail))

    async def _handshake(self, message: Any) -> None:
        if not isinstance(message, p.Hello):
            raise p.ProtocolError("handshake_required")
        if message.version != p.PROTOCOL_VERSION:
            await self._refuse("unsupported_version", None)
            await self.close(code=4400)
            return
        assert self.meeting is not None
        participant = await _participant(str(self.meeting.id), message.token)
        if participant is None:
            await self.close(code=4401)
            return
        self.participant_id = str(participant.id)
        self.role = participant.role
        await self.channel_layer.group_add(
            groups.participant_group(self.participant_id), self.channel_name
        )
        events, replaced = await participant_connect(
            meeting_id=str(self.meeting.id),
            participant_id=self.participant_id,
            channel_name=self.channel_name,
            grace_seconds=settings.RECONNECT_GRACE_SECONDS,
        )
        if replaced:
            await self.channel_layer.send(replaced, {"type": "session.replaced"})
        await self.send_message(
            p.server_message(
                "welcome",
                version=p.PROTOCOL_VERSION,
                participant_id=self.participant_id,
                role=participant.role,
                status=participant.status,
                meeting={"id": str(self.meeting.id), "title": self.meeting.title},
                heartbeat_seconds=settings.HEARTBEAT_PING_AFTER_SECONDS,
            )
        )
        if participant.status == state.ADMITTED:
            await self._enter_room()
        else:
            await self.send_message(
                p.server_message(
                    "lobby.waiting",
                    message="You're in the lobby. A facilitator will let you in shortly.",
                )
            )
        await delivery.deliver(str(self.meeting.id), events)
        # A breakout countdown lost with a stopped process starts again here.
        await breakout_timer.ensure(str(self.meeting.id))

    async def _handle(self, message: Any) -> None:
        route = ROUTES[type(message)]
        if route.chat_bucket and not self.chats.take():
            raise p.ProtocolError("rate_limited")
        events = await route.handler(self, message)
        await delivery.deliver(self.meeting_id, events)

    @property
    def meeting_id(self) -> str:
        assert self.meeting is not None
        return str(self.meeting.id)

    # --- room membership -----------------------------------------------------------

    async def _enter_room(self, run_hooks: bool = True) -> None:
        """Sends the room as this person sees it now: on entering, and after a move or a
        role change (chat history is the one of the room they are in)."""
        assert self.meeting is not None and self.participant_id is not None
        await self.channel_layer.group_add(
            groups.room_group(str(self.meeting.id)), self.channel_name
        )
        await self._sync_facilitator_group()
        # Join the new room's group before reading its history, so nothing falls between.
        await self._join_space(await _participant_breakout(participant_id=self.participant_id))
        self.in_room = True
        snapshot = await _room_state(self.meeting, self.participant_id)
        await self.send_message(p.server_message("room.state", you=self.participant_id, **snapshot))
        if run_hooks:
            for hook in ENTER_HOOKS:
                await hook(self)

    async def _join_space(self, breakout_id: str | None) -> None:
        assert self.meeting is not None
        if self.space_joined and breakout_id == self.space:
            return
        if self.space_joined:
            await self.channel_layer.group_discard(
                groups.breakout_group(self.meeting_id, self.space), self.channel_name
            )
        await self.channel_layer.group_add(
            groups.breakout_group(self.meeting_id, breakout_id), self.channel_name
        )
        self.space, self.space_joined = breakout_id, True

    async def _sync_facilitator_group(self) -> None:
        assert self.meeting is not None
        group = groups.facilitators_group(str(self.meeting.id))
        if self.role in state.FACILITATING_ROLES:
            await self.channel_layer.group_add(group, self.channel_name)
        else:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _leave_groups(self) -> None:
        assert self.meeting is not None and self.participant_id is not None
        meeting_id = str(self.meeting.id)
        for group in (
            groups.room_group(meeting_id),
            groups.facilitators_group(meeting_id),
            groups.participant_group(self.participant_id),
            groups.breakout_group(meeting_id, self.space),
        ):
            await self.channel_layer.group_discard(group, self.channel_name)

    # --- channel layer handlers ----------------------------------------------------

    async def room_event(self, message: dict) -> None:
        if self.closing:
            return
        kind, data = message["event"], message["data"]
        await self.send_message(p.server_message(kind, **data))
        if kind == "lobby.admitted":
            await self._enter_room()
        elif kind == "lobby.denied":
            await self._close(4403)
        elif kind == "removed":
            await self._close(4411)
        elif kind == "meeting.ended":
            await self._close(4412)
        elif kind == "participant.left" and data["participant_id"] == self.participant_id:
            await self._close(4410)
        elif kind == "breakouts.updated" and self.in_room:
            mine = next(
                (r["id"] for r in data["rooms"] if self.participant_id in r["members"]), None
            )
            if mine != self.space:
                # check-ins belong to the meeting, not the room: nothing new to send there
                await self._enter_room(run_hooks=False)
        elif kind == "participant.updated" and data["participant"]["id"] == self.participant_id:
            new_role = data["participant"]["role"]
            if new_role != self.role and self.in_room:
                self.role = new_role
                await self._enter_room()

    async def media_event(self, message: dict) -> None:
        if not self.closing:
            await self.send_message(message["message"])

    async def _close(self, code: int) -> None:
        self.closing = True
        await self.close(code=code)

    async def session_replaced(self, message: dict) -> None:
        await self.close(code=4409)

    # --- heartbeat -------------------------------------------------------------------

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        pinged = False
        while True:
            await asyncio.sleep(0.5)
            now = loop.time()
            if self.participant_id is None and now - started > settings.HANDSHAKE_TIMEOUT_SECONDS:
                await self.close(code=4400)
                return
            silent = now - self.last_heard
            if silent > settings.HEARTBEAT_DROP_AFTER_SECONDS:
                await self.close(code=4408)
                return
            if silent > settings.HEARTBEAT_PING_AFTER_SECONDS and not pinged:
                await self.send_message(p.server_message("ping"))
                pinged = True
            elif silent < settings.HEARTBEAT_PING_AFTER_SECONDS:
                pinged = False

    async def send_message(self, message: dict) -> None:
        await self.send(text_data=p.json_dumps(message))
