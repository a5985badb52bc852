"""Breakout rooms: create, assign, move, join, timer, broadcast, help, close."""

from __future__ import annotations

from django.utils import timezone

from rooms import breakouts
from signaling import breakout_timer
from signaling import protocol as p
from signaling.handlers import Session, handles
from signaling.handlers import apply as _apply
from signaling.handlers import optional_id as _id


@handles(p.BreakoutCreate)
async def create(session: Session, message: p.BreakoutCreate):
    return await _apply(
        session,
        lambda r: breakouts.create(
            r,
            session.participant_id,
            count=message.count,
            names=message.names,
            self_select=message.self_select,
        ),
    )


@handles(p.BreakoutAssign)
async def assign(session: Session, message: p.BreakoutAssign):
    return await _apply(
        session,
        lambda r: breakouts.assign_automatically(
            r, session.participant_id, include_facilitators=message.include_facilitators
        ),
    )


@handles(p.BreakoutMove)
async def move(session: Session, message: p.BreakoutMove):
    target, destination = str(message.participant_id), _id(message.breakout_id)
    return await _apply(
        session, lambda r: breakouts.move(r, session.participant_id, target, destination)
    )


@handles(p.BreakoutJoin)
async def join(session: Session, message: p.BreakoutJoin):
    destination = _id(message.breakout_id)
    return await _apply(session, lambda r: breakouts.join(r, session.participant_id, destination))


@handles(p.BreakoutTimer)
async def timer(session: Session, message: p.BreakoutTimer):
    events = await _apply(
        session,
        lambda r: breakouts.set_timer(
            r,
            session.participant_id,
            message.seconds,
            timezone.now(),
            warn_seconds=message.warn_seconds,
        ),
    )
    await breakout_timer.ensure(session.meeting_id)
    return events


@handles(p.BreakoutBroadcastIn, chat_bucket=True)
async def broadcast(session: Session, message: p.BreakoutBroadcastIn):
    return await _apply(
        session, lambda r: breakouts.broadcast(r, session.participant_id, message.text)
    )


@handles(p.BreakoutHelp, chat_bucket=True)
async def help_(session: Session, message: p.BreakoutHelp):
    return await _apply(session, lambda r: breakouts.ask_for_help(r, session.participant_id))


@handles(p.BreakoutClose)
async def close(session: Session, message: p.BreakoutClose):
    breakout_id = str(message.breakout_id)
    return await _apply(session, lambda r: breakouts.close(r, session.participant_id, breakout_id))


@handles(p.BreakoutCloseAll)
async def close_all(session: Session, message: p.BreakoutCloseAll):
    return await _apply(session, lambda r: breakouts.close_all(r, session.participant_id))
