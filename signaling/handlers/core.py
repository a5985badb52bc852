"""Session, lobby, roles, hands and chat."""

from __future__ import annotations

from channels.db import database_sync_to_async

from rooms import services
from signaling import delivery
from signaling import protocol as p
from signaling.handlers import Session, handles
from signaling.handlers import apply as _apply

chat_send = database_sync_to_async(services.chat_send)


@handles(p.Ping)
async def ping(session: Session, message: p.Ping):
    await session.send_message(p.server_message("pong"))
    return []


@handles(p.Pong)
async def pong(session: Session, message: p.Pong):
    return []


@handles(p.Hello)
async def hello_again(session: Session, message: p.Hello):
    raise p.ProtocolError("already_handshaken")


@handles(p.ChatSend, chat_bucket=True)
async def chat(session: Session, message: p.ChatSend):
    return await chat_send(
        meeting_id=session.meeting_id,
        sender_id=session.participant_id,
        text=message.text,
        audience=message.audience,
    )


@handles(p.HandRaise)
async def hand_raise(session: Session, message: p.HandRaise):
    return await _apply(session, lambda r: r.raise_hand(session.participant_id))


@handles(p.HandLower)
async def hand_lower(session: Session, message: p.HandLower):
    target = str(message.participant_id) if message.participant_id else session.participant_id
    return await _apply(session, lambda r: r.lower_hand(session.participant_id, target))


@handles(p.LobbyAdmit)
async def lobby_admit(session: Session, message: p.LobbyAdmit):
    return await _apply(
        session, lambda r: r.admit(session.participant_id, str(message.participant_id))
    )


@handles(p.LobbyDeny)
async def lobby_deny(session: Session, message: p.LobbyDeny):
    return await _apply(
        session, lambda r: r.deny(session.participant_id, str(message.participant_id))
    )


@handles(p.RoleSet)
async def role_set(session: Session, message: p.RoleSet):
    return await _apply(
        session,
        lambda r: r.set_role(session.participant_id, str(message.participant_id), message.role),
    )


@handles(p.Leave)
async def leave(session: Session, message: p.Leave):
    events = await _apply(session, lambda r: r.leave(session.participant_id))
    await delivery.deliver(session.meeting_id, events)
    await session.close(code=4410)
    return []
