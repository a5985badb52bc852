"""One consumer per participant socket: parse at the edge, ask rooms/, deliver what it decided."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from rooms import selectors, state
from rooms.events import ChangeSpace, Close, EnterRoom
from rooms.models import Meeting
from rooms.services import participants
from signaling import breakout_timer, delivery, groups, presence, routes, shutdown
from signaling import protocol as p
from signaling.db import in_db_thread
from signaling.ratelimit import TokenBucket, hello_throttled

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

# Room events due to one socket within this long go out as one frame (for clients that
# said `batch` in hello): in a busy meeting the per-frame cost of sending is the limit.
_COALESCE_SECONDS = 0.005

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
        log.warning("signaling: goodbye failed error=%s", type(exc).__name__)
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
            log.warning("signaling: retrying after error=%s", type(exc).__name__)
            await asyncio.sleep(delay)


class MeetingConsumer(AsyncWebsocketConsumer):
    meeting: Meeting | None = None
    participant_id: str | None = None
    role: str = state.PEER
    in_room = False
    # The breakout whose channel group this socket is in (None: the main room's).
    space: str | None = None
    space_joined = False
    closing = False
    batching = False  # the client reads frames holding several messages

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # However this consumer ended (its goodbye done, failed, or never run because
            # the server cancelled it): the socket is no longer open here, and presence's
            # sweep counts whoever it held as gone if the goodbye did not.
            presence.local_sockets.pop(getattr(self, "channel_name", ""), None)
            watchdog = getattr(self, "watchdog", None)
            if watchdog is not None:
                watchdog.cancel()

    async def connect(self) -> None:
        # Accept first: a refused handshake cannot carry a close code the page can explain.
        await self.accept()
        if shutdown.draining:
            await self.close(code=RECONNECT_NOW)
            return
        presence.start()
        presence.local_sockets[self.channel_name] = self
        meeting_id = self.scope["url_route"]["kwargs"]["meeting_id"]
        try:
            self.meeting = await _meeting(meeting_id=meeting_id)
        except Exception as exc:
            log.warning("signaling: opening failed error=%s", type(exc).__name__)
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
            log.warning("signaling: leaving groups failed error=%s", type(exc).__name__)
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
        try:
            if not self.frames.take():
                raise p.ProtocolError("rate_limited")
            if text_data is None:
                raise p.ProtocolError("bad_json", "Frames must be JSON text.")
            message = p.parse_client_frame(text_data)
            ref = getattr(message, "client_id", None)
            if self.participant_id is None:
                await self._handshake(message)
            else:
                route = routes.route_for(message)
                quiet = route.quiet
                await self._handle(route, message)
        except p.ProtocolError as exc:
            await self._refuse(exc.code, exc.detail, quiet, ref)
        except state.RoomError as exc:
            await self._refuse(exc.code, exc.message, quiet, ref)
        except Exception as exc:
            if handshaking:
                # The database or Redis away for a moment: never an open socket without a
                # welcome (or with a welcome and no room); the page reconnects and says hello again.
                log.warning("signaling: hello failed error=%s", type(exc).__name__)
                await self._close(RECONNECT_SOON)
                return
            if quiet:
                # No traceback, no participant: a database error's text can quote the values
                # it was given, and who failed to answer says who answered.
                log.error("signaling: failed error=%s", type(exc).__name__)
            else:
                log.exception("signaling: unexpected failure participant=%s", self.participant_id)
            await self._refuse("internal", None, quiet, ref)

    async def _refuse(
        self, code: str, detail: str | None, quiet: bool = False, ref: str | None = None
    ) -> None:
        # Only the code goes to the log: frames may hold what people said. A quiet route
        # (an anonymous check-in answer) does not even say whose message it was.
        if quiet:
            log.info("signaling: refused code=%s", code)
        else:
            log.info("signaling: refused code=%s participant=%s", code, self.participant_id)
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
        self.queued: list[str] = []  # room event frames waiting to go out as one
        await self.channel_layer.group_add(
            groups.participant_group(self.participant_id), self.channel_name
        )
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
        await self.channel_layer.group_add(
            groups.meeting_group(str(self.meeting.id)), self.channel_name
        )
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
            await self.channel_layer.group_discard(
                groups.space_group(self.meeting_id, self.space), self.channel_name
            )
        await self.channel_layer.group_add(
            groups.space_group(self.meeting_id, breakout_id), self.channel_name
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
            groups.meeting_group(meeting_id),
            groups.facilitators_group(meeting_id),
            groups.participant_group(self.participant_id),
            groups.space_group(meeting_id, self.space),
        ):
            await self.channel_layer.group_discard(group, self.channel_name)

    # --- channel layer handlers ----------------------------------------------------

    async def room_event(self, message: dict) -> None:
        if self.closing:
            return
        if not self.batching:
            await self.send(text_data=message["frame"])
            return
        self.queued.append(message["frame"])
        if len(self.queued) == 1:
            asyncio.get_running_loop().call_later(
                _COALESCE_SECONDS, lambda: asyncio.ensure_future(self._flush())
            )

    async def _flush(self) -> None:
        """Sends the queued room events, as one frame if there are several."""
        frames, self.queued = self.queued, []
        if frames and not self.closing:
            await self.send(text_data=frames[0] if len(frames) == 1 else f"[{','.join(frames)}]")

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
        self.closing = True
        await self.close(code=code)

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
        if self.batching:
            await self._flush()  # nothing overtakes a room event already due
        await self.send(text_data=p.json_dumps(message))
