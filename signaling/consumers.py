"""One consumer per participant socket: parse at the edge, ask rooms/, deliver what it decided."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from structlog.contextvars import bind_contextvars

from rooms import selectors, state
from rooms.events import ChangeSpace, Close, EnterRoom
from rooms.models import Meeting
from rooms.services import participants
from signaling import breakout_timer, delivery, frames, groups, hub, presence, routes, shutdown
from signaling import protocol as p
from signaling.db import in_db_thread
from signaling.hub_member import HubMember
from signaling.media_bridge import sync as media_sync
from signaling.metrics import count_received, count_sent
from signaling.ratelimit import TokenBucket, hello_throttled
from signaling.refusals import RefusalSummary

log = logging.getLogger(__name__)

LOBBY_WAITING = "You're in the lobby. A facilitator will let you in shortly."
LATECOMER_WAITING = (
    "You knocked: the meeting has already started, so a facilitator will decide whether "
    "you can join now. Please wait here."
)

# Why a socket closes (rooms.events.Close) -> its close code (protocol.CLOSE_CODES).
_CLOSE_CODES = {"denied": 4403, "left": 4410, "removed": 4411, "ended": 4412}
# The page reconnects at once (this process is going away), or after its usual backoff
# (a transient failure here, e.g. the database or Redis away for a moment).
RECONNECT_NOW = 4503
RECONNECT_SOON = 4500

# Expiry timers must outlive the consumer that scheduled them.
_expiry_tasks: set[asyncio.Task] = set()

_meeting = in_db_thread(selectors.meeting_open)
_participant = in_db_thread(selectors.participant_by_token)
_room_state = in_db_thread(selectors.room_state)
_checkin_state = in_db_thread(selectors.checkin_state_for)
_participant_breakout = in_db_thread(selectors.participant_breakout)
_hello_throttled = sync_to_async(hello_throttled, thread_sensitive=False)

participant_connect = in_db_thread(participants.participant_connect)
participant_disconnect = in_db_thread(participants.participant_disconnect)
participant_expire = in_db_thread(participants.participant_expire)


async def _expire_later(meeting_id: str, participant_id: str) -> None:
    grace = settings.RECONNECT_GRACE_SECONDS
    await asyncio.sleep(grace)
    outcome = await participant_expire(
        meeting_id=meeting_id, participant_id=participant_id, grace_seconds=grace
    )
    await delivery.deliver(meeting_id, outcome)


async def _goodbye(meeting_id: str, participant_id: str, channel_name: str) -> None:
    """Marks a closed socket's person reconnecting and starts their grace."""
    try:
        outcome = await _retrying(
            participant_disconnect,
            meeting_id=meeting_id,
            participant_id=participant_id,
            channel_name=channel_name,
        )
        await _retrying(delivery.deliver, meeting_id, outcome)
    except Exception as exc:
        # presence's sweep finds this socket gone and does it instead
        log.warning("goodbye failed", extra={"error": type(exc).__name__})
        return
    if outcome.events:
        task = asyncio.create_task(_expire_later(meeting_id, participant_id))
        _expiry_tasks.add(task)
        task.add_done_callback(_expiry_tasks.discard)


async def _retrying(operation: Any, *args: Any, **kwargs: Any) -> Any:
    """Runs an idempotent step of a goodbye, again after a transient failure."""
    for delay in (0.2, 1.0, None):
        try:
            return await operation(*args, **kwargs)
        except Exception as exc:
            if delay is None:
                raise
            log.warning("goodbye retrying", extra={"error": type(exc).__name__})
            await asyncio.sleep(delay)


class MeetingConsumer(HubMember, AsyncWebsocketConsumer):
    meeting: Meeting | None = None
    participant_id: str | None = None
    role: str = state.PEER
    in_room = False
    # The breakout whose channel group this socket is in (None: the main room's).
    space: str | None = None
    space_joined = False
    closing = False
    batching = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # HubMember's: the turn, the inbox, the queue
        self.refusals = RefusalSummary()

    async def dispatch(self, message: dict) -> None:
        # channels' own dispatch also closes the sync thread's old database connections on
        # every message (a thread hop per delivered event); this consumer's database work
        # runs on signaling.db's threads, which do that around each call.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        try:
            async with self._turn:
                await handler(message)
        finally:
            if self._inbox:
                self._drain_soon()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # However this consumer ended (its goodbye done, failed, or never run because
            # the server cancelled it): the socket is no longer open here, and presence's
            # sweep counts whoever it held as gone if the goodbye did not.
            presence.local_sockets.pop(getattr(self, "channel_name", ""), None)
            self.refusals.write()
            watchdog = getattr(self, "watchdog", None)
            if watchdog is not None:
                watchdog.cancel()
            self._forget_groups()

    async def connect(self) -> None:
        meeting_id = self.scope["url_route"]["kwargs"]["meeting_id"]
        with contextlib.suppress(ValueError):  # not an id: nothing a client made up is logged
            # on every line of this socket's from now on (socket_id is the access log's)
            bind_contextvars(meeting_id=str(uuid.UUID(meeting_id)))
        # Accept first: a refused handshake cannot carry a close code the page can explain.
        await self.accept()
        self.socket = frames.socket_of(self.base_send)
        if shutdown.draining:
            await self.close(code=RECONNECT_NOW)
            return
        presence.start()
        presence.local_sockets[self.channel_name] = self
        try:
            self.meeting = await _meeting(meeting_id=meeting_id)
        except Exception as exc:
            log.warning("opening failed", extra={"error": type(exc).__name__})
            await self.close(code=RECONNECT_SOON)
            return
        if self.meeting is None:
            await self.close(code=4404)
            return
        self.frames = TokenBucket(capacity=40, rate=20)
        self.chats = TokenBucket(capacity=settings.CHAT_BURST, rate=settings.CHAT_PER_SECOND)
        self.last_heard = asyncio.get_running_loop().time()
        self.watchdog = asyncio.create_task(self._watch())

    async def disconnect(self, code: int) -> None:
        self.closing = True  # nothing more goes out (a batch of room events due, say)
        presence.local_sockets.pop(self.channel_name, None)
        watchdog = getattr(self, "watchdog", None)
        if watchdog is not None:
            watchdog.cancel()
        if self.participant_id is None or self.meeting is None:
            return
        try:
            await self._leave_groups()
        except Exception as exc:
            # Messages to a gone channel expire unread; being marked offline matters more.
            log.warning("leaving groups failed", extra={"error": type(exc).__name__})
        # A task of its own: daphne cancels a consumer still running 10 s after its socket
        # closed, and a goodbye waiting that long (on SQLite's write lock, say) must still
        # be written rather than lost with it.
        goodbye = asyncio.create_task(
            _goodbye(str(self.meeting.id), self.participant_id, self.channel_name)
        )
        _expiry_tasks.add(goodbye)
        goodbye.add_done_callback(_expiry_tasks.discard)
        await asyncio.shield(goodbye)

    # --- incoming frames ---------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.meeting is None:
            return  # closing with 4404; a frame sent meanwhile (e.g. hello) has nowhere to go
        self.last_heard = asyncio.get_running_loop().time()
        quiet = False
        ref = None  # a refused chat.send names its client_id, for the page's outbox
        handshaking = self.participant_id is None
        kind = None  # the message type, once the frame parsed as a known one
        try:
            if not self.frames.take():
                raise p.ProtocolError("rate_limited")
            if text_data is None:
                raise p.ProtocolError("bad_json", "Frames must be JSON text.")
            message = p.parse_client_frame(text_data)
            kind = message.type
            ref = getattr(message, "client_id", None)
            if self.participant_id is None:
                await self._handshake(message)
            else:
                route = routes.route_for(message)
                quiet = route.quiet
                await self._handle(route, message)
        except p.ProtocolError as exc:
            await self._refuse(exc.code, exc.detail, ref)
        except state.RoomError as exc:
            await self._refuse(exc.code, exc.message, ref)
        except Exception as exc:
            if handshaking:
                # The database or Redis away for a moment: never an open socket without a
                # welcome (or with a welcome and no room); the page reconnects and says hello again.
                log.warning("hello failed", extra={"error": type(exc).__name__})
                await self._close(RECONNECT_SOON)
                return
            if quiet:
                # No traceback: a database error's text can quote the values it was given.
                log.error("frame failed", extra={"error": type(exc).__name__})
            else:
                log.exception("frame failed")
            await self._refuse("internal", None, ref)
        finally:
            count_received(kind)

    async def _refuse(self, code: str, detail: str | None, ref: str | None = None) -> None:
        # Only the code goes to the log, counted a minute at a time by send_message
        # (signaling/refusals.py): frames may hold what people said, and a flood must not
        # flood the log. No line names a participant, so neither does a quiet route's.
        await self.send_message(p.error_message(code, detail, ref))

    async def _handshake(self, message: Any) -> None:
        if not isinstance(message, p.Hello):
            raise p.ProtocolError("handshake_required")
        if await _hello_throttled(self.scope):
            # Closed like a transient failure: the page tries again with its usual backoff.
            await self._refuse("too_many_connections", None)
            await self._close(RECONNECT_SOON)
            return
        if message.version != p.PROTOCOL_VERSION:
            await self._refuse("unsupported_version", None)
            await self.close(code=4400)
            return
        assert self.meeting is not None
        participant = await _participant(meeting_id=str(self.meeting.id), token=message.token)
        if participant is None:
            await self.close(code=4401)
            return
        self.participant_id = str(participant.id)
        self.role = participant.role
        self.batching = message.batch
        await self._join(groups.participant_group(self.participant_id))
        outcome, replaced = await participant_connect(
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
                    message=LATECOMER_WAITING if participant.latecomer else LOBBY_WAITING,
                )
            )
        await delivery.deliver(str(self.meeting.id), outcome)
        # A breakout countdown lost with a stopped process starts again here.
        await breakout_timer.ensure(str(self.meeting.id))

    async def _handle(self, route: routes.Route, message: Any) -> None:
        if route.chat_bucket and not self.chats.take():
            raise p.ProtocolError("rate_limited")
        if route.handler is not None:
            await route.handler(self, message)  # media negotiation answers on its own
            return
        assert route.run is not None and route.kwargs is not None
        outcome = await route.run(**route.kwargs(self, message))
        await delivery.deliver(self.meeting_id, outcome)
        if outcome.timer_changed:
            await breakout_timer.ensure(self.meeting_id)
        if route.close_after is not None:
            await self.close(code=route.close_after)

    @property
    def meeting_id(self) -> str:
        assert self.meeting is not None
        return str(self.meeting.id)

    # --- room membership -----------------------------------------------------------

    async def _enter_room(self, with_checkins: bool = True) -> None:
        """Sends the room as this person sees it now: on entering, and after a move or a
        role change (chat history is the one of the room they are in)."""
        assert self.meeting is not None and self.participant_id is not None
        await self._join(groups.meeting_group(self.meeting_id))
        await self._sync_facilitator_group()
        # Join the new room's group before reading its history, so nothing falls between.
        await self._join_space(await _participant_breakout(participant_id=self.participant_id))
        self.in_room = True
        snapshot = await _room_state(meeting_id=self.meeting_id, viewer_id=self.participant_id)
        await self.send_message(p.server_message("room.state", you=self.participant_id, **snapshot))
        if with_checkins:
            checkins = await _checkin_state(
                meeting_id=self.meeting_id, viewer_id=self.participant_id
            )
            await self.send_message(p.server_message("checkin.state", **checkins))

    async def _join_space(self, breakout_id: str | None) -> None:
        assert self.meeting is not None
        if self.space_joined and breakout_id == self.space:
            return
        if self.space_joined:
            await self._leave(groups.space_group(self.meeting_id, self.space))
        await self._join(groups.space_group(self.meeting_id, breakout_id))
        self.space, self.space_joined = breakout_id, True

    async def _sync_facilitator_group(self) -> None:
        assert self.meeting is not None
        group = groups.facilitators_group(str(self.meeting.id))
        if self.role in state.FACILITATING_ROLES:
            await self._join(group)
            # the relay sends its share of voice again on its next report (media/worker.py)
            await media_sync(self.meeting_id)
        else:
            await self._leave(group)

    async def _join(self, group: str) -> None:
        if self.hub is None:
            self.hub = await hub.current()
        await self.hub.join(group, self)

    async def _leave(self, group: str) -> None:
        if self.hub is not None:
            await self.hub.leave(group, self)

    async def _leave_groups(self) -> None:
        if self.hub is None:
            return
        for group in self.hub.forget(self):
            await self.hub.unsubscribe(group)

    def _forget_groups(self) -> None:
        """The hub lets go of a consumer that ended without its goodbye (cancelled)."""
        self.closing = True
        if self.hub is None:
            return
        for group in self.hub.forget(self):
            task = asyncio.ensure_future(self.hub.unsubscribe(group))
            _expiry_tasks.add(task)
            task.add_done_callback(_expiry_tasks.discard)

    # --- channel layer handlers ----------------------------------------------------

    async def room_directive(self, message: dict) -> None:
        """What rooms/ decided this participant's socket must do, after the event that says why."""
        if self.closing:
            return
        match delivery.directive_from(message):
            case Close(reason=reason):
                await self._close(_CLOSE_CODES[reason])
            case EnterRoom(role=None):
                await self._enter_room()
            case EnterRoom(role=role) if self.in_room and role != self.role:
                self.role = role
                await self._enter_room()
            case ChangeSpace() if self.in_room:
                # check-ins belong to the meeting, not the space: nothing new to send there
                await self._enter_room(with_checkins=False)

    async def media_event(self, message: dict) -> None:
        if not self.closing:
            await self.send_message(message["message"])

    async def _close(self, code: int) -> None:
        await self.flush_frames()  # the event that says why goes out before the close
        self.closing = True
        await self.close(code=code)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        await self.flush_frames()
        await super().close(code=code, reason=reason)

    async def close_to_reconnect(self) -> None:
        """Closes with the code the page answers by reconnecting at once (to any process)."""
        await self._close(RECONNECT_NOW)

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
        await self.flush_frames()  # nothing overtakes a room event already due
        if message["type"] == "error":
            self.refusals.record_error(message["code"])
        await self.send(text_data=p.json_dumps(message))
        count_sent(message)
