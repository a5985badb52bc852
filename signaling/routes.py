"""What each client message does: a table from message type to a rooms/ use-case.

A row names the service and how its keyword arguments come from the socket's session
and the parsed message. The few flags that differ: `chat_bucket` (chat-like messages
share a tighter rate limit on top of the per-frame one), `quiet` (a refusal is logged by
its code only: even "X was refused: already answered" would say who answered an anonymous
prompt) and `close_after` (the socket closes with that code once the events are out).

Messages that are not use-cases (ping, media negotiation) have a `handler` instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from rooms.services import (
    agreement,
    breakouts,
    chat,
    checkins,
    facilitation,
    goround,
    participants,
    screenshare,
    support,
)
from signaling import protocol as p
from signaling.db import in_db_thread
from signaling.media_handlers import MEDIA_HANDLERS
from signaling.session import Handler, Session

Kwargs = Callable[[Session, Any], dict]


@dataclass(frozen=True)
class Route:
    service: Callable[..., Any] | None = None  # a rooms.services function, run in a thread
    kwargs: Kwargs | None = None
    handler: Handler | None = None  # for messages that are not a use-case
    chat_bucket: bool = False
    quiet: bool = False
    close_after: int | None = None
    # the service wrapped for the event loop once, here, rather than on every message
    run: Callable[..., Awaitable[Any]] | None = field(init=False, default=None, compare=False)

    def __post_init__(self) -> None:
        if self.service is not None:
            object.__setattr__(self, "run", in_db_thread(self.service))


def _id(value) -> str | None:
    return str(value) if value is not None else None


def _actor(session: Session, message: Any) -> dict:
    return {"meeting_id": session.meeting_id, "actor_id": session.participant_id}


def _with(**fields: Callable[[Any], Any]) -> Kwargs:
    """The actor's keywords plus one keyword per message field (through a conversion)."""

    def build(session: Session, message: Any) -> dict:
        return {**_actor(session, message), **{k: f(message) for k, f in fields.items()}}

    return build


def _target(message: Any) -> str | None:
    return _id(message.participant_id)


def _prompt(message: Any) -> str:
    return str(message.prompt_id)


def _field(name: str) -> Callable[[Any], Any]:
    return lambda message: getattr(message, name)


async def _ping(session: Session, message: p.Ping) -> None:
    await session.send_message(p.server_message("pong"))


async def _pong(session: Session, message: p.Pong) -> None:
    return None


async def _hello_again(session: Session, message: p.Hello) -> None:
    raise p.ProtocolError("already_handshaken")


ROUTES: dict[type, Route] = {
    p.Ping: Route(handler=_ping),
    p.Pong: Route(handler=_pong),
    p.Hello: Route(handler=_hello_again),
    # --- session, lobby, roles, hands, chat
    p.ChatSend: Route(
        chat.chat_send,
        lambda s, m: {
            "meeting_id": s.meeting_id,
            "sender_id": s.participant_id,
            "text": m.text,
            "audience": m.audience,
            "client_id": m.client_id,
            "thread_id": _id(m.thread_id),
            "content_note": m.content_note,
        },
        chat_bucket=True,
    ),
    p.ChatRemove: Route(chat.chat_remove, _with(message_id=_field("message_id"))),
    p.HelpRequest: Route(chat.help_request, _with(note=_field("note")), chat_bucket=True),
    p.HandRaise: Route(participants.hand_raise, _actor),
    p.HandLower: Route(participants.hand_lower, _with(target_id=_target)),
    p.LobbyAdmit: Route(participants.lobby_admit, _with(target_id=_target)),
    p.LobbyAdmitAll: Route(participants.lobby_admit_all, _actor),
    p.LobbyDeny: Route(participants.lobby_deny, _with(target_id=_target)),
    p.RoleSet: Route(participants.role_set, _with(target_id=_target, role=_field("role"))),
    p.Leave: Route(
        participants.participant_leave,
        _with(hand_over_to=lambda m: _id(m.hand_over_to)),
        close_after=4410,
    ),
    # --- facilitation
    p.Mute: Route(
        facilitation.mute,
        _with(target_id=_target, kind=_field("kind"), show_name=_field("show_name")),
    ),
    p.Unmute: Route(facilitation.unmute, _with(kind=_field("kind"))),
    p.MediaSet: Route(facilitation.media_set, _with(mode=_field("mode"))),
    p.MuteAll: Route(facilitation.mute_all, _with(show_name=_field("show_name"))),
    p.UnmuteAsk: Route(facilitation.unmute_ask, _with(target_id=_target, kind=_field("kind"))),
    p.UnmuteAnswer: Route(
        facilitation.unmute_answer, _with(kind=_field("kind"), accept=_field("accept"))
    ),
    p.RoomConfigure: Route(
        facilitation.room_configure,
        _with(
            locked=_field("locked"),
            allow_self_unmute=_field("allow_self_unmute"),
            muted_on_entry=_field("muted_on_entry"),
        ),
    ),
    p.ParticipantRemove: Route(
        facilitation.participant_remove, _with(target_id=_target, ban=_field("ban"))
    ),
    p.MeetingEnd: Route(facilitation.meeting_end, _actor),
    p.AgreementShow: Route(agreement.agreement_show, _actor),
    # --- breakouts
    p.BreakoutCreate: Route(
        breakouts.breakout_create,
        _with(count=_field("count"), names=_field("names"), self_select=_field("self_select")),
    ),
    p.BreakoutAssign: Route(
        breakouts.breakout_assign, _with(include_facilitators=_field("include_facilitators"))
    ),
    p.BreakoutMove: Route(
        breakouts.breakout_move,
        _with(target_id=_target, breakout_id=lambda m: _id(m.breakout_id)),
    ),
    p.BreakoutJoin: Route(breakouts.breakout_join, _with(breakout_id=lambda m: _id(m.breakout_id))),
    p.BreakoutTimer: Route(
        breakouts.breakout_timer,
        _with(seconds=_field("seconds"), warn_seconds=_field("warn_seconds")),
    ),
    p.BreakoutBroadcastIn: Route(
        breakouts.breakout_broadcast, _with(text=_field("text")), chat_bucket=True
    ),
    p.BreakoutHelp: Route(breakouts.breakout_help, _actor, chat_bucket=True),
    p.BreakoutClose: Route(
        breakouts.breakout_close, _with(breakout_id=lambda m: str(m.breakout_id))
    ),
    p.BreakoutCloseAll: Route(breakouts.breakout_close_all, _actor),
    # --- check-ins
    p.CheckinPost: Route(
        checkins.checkin_post,
        _with(
            kind=_field("kind"),
            question=_field("question"),
            options=lambda m: list(m.options),
            anonymous=_field("anonymous"),
            moment=_field("moment"),
        ),
    ),
    p.CheckinAnswerIn: Route(
        checkins.checkin_answer,
        _with(
            prompt_id=_prompt,
            scale=_field("scale"),
            choices=lambda m: list(m.choices) if m.choices is not None else None,
            text=_field("text"),
        ),
        quiet=True,
    ),
    p.CheckinClose: Route(checkins.checkin_close, _with(prompt_id=_prompt)),
    p.CheckinShare: Route(checkins.checkin_share, _with(prompt_id=_prompt)),
    # --- attention queue, "I need support", reports (quiet: the log keeps no trace of who)
    p.SupportRequest: Route(
        support.support_request, _with(note=_field("note")), chat_bucket=True, quiet=True
    ),
    p.SupportCancel: Route(support.support_cancel, _actor, quiet=True),
    p.ReportSend: Route(
        support.report_send,
        _with(
            reason=_field("reason"),
            note=_field("note"),
            participant_id=_target,
            message_id=_field("message_id"),
        ),
        chat_bucket=True,
        quiet=True,
    ),
    p.AttentionHandle: Route(
        support.attention_handle, _with(item_id=lambda m: str(m.item_id)), quiet=True
    ),
    # --- go-round
    p.GoroundStart: Route(
        goround.goround_start,
        _with(
            order=lambda m: [str(i) for i in m.order] if m.order is not None else None,
            shuffle=_field("shuffle"),
            seconds=_field("seconds"),
        ),
    ),
    p.GoroundReorder: Route(
        goround.goround_reorder, _with(order=lambda m: [str(i) for i in m.order])
    ),
    p.GoroundNext: Route(goround.goround_next, _actor),
    p.GoroundPrevious: Route(goround.goround_previous, _actor),
    p.GoroundPass: Route(goround.goround_pass, _actor),
    p.GoroundEnd: Route(goround.goround_end, _actor),
    # --- screen sharing
    p.ScreenStart: Route(screenshare.screen_start, _actor),
    p.ScreenStop: Route(screenshare.screen_stop, _with(target_id=_target)),
    p.ScreenAllow: Route(
        screenshare.screen_allow, _with(target_id=_target, allowed=_field("allowed"))
    ),
    # --- media negotiation: the meeting's media worker answers on its own
    **{message_type: Route(handler=handler) for message_type, handler in MEDIA_HANDLERS.items()},
}


def route_for(message: Any) -> Route:
    return ROUTES[type(message)]
