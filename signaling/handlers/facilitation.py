"""Mute and stop video, ask to unmute, lock and self-unmute, remove, end the meeting."""

from __future__ import annotations

from channels.db import database_sync_to_async

from rooms import checkin_services, moderation
from signaling import protocol as p
from signaling.handlers import Session, handles
from signaling.handlers import apply as _apply
from signaling.handlers import optional_id as _id

checkin_end_all = database_sync_to_async(checkin_services.checkin_end_all)


@handles(p.Mute)
async def mute(session: Session, message: p.Mute):
    target = _id(message.participant_id) or session.participant_id
    return await _apply(
        session,
        lambda r: moderation.mute(
            r, session.participant_id, target, message.kind, show_name=message.show_name
        ),
    )


@handles(p.Unmute)
async def unmute(session: Session, message: p.Unmute):
    return await _apply(
        session, lambda r: moderation.unmute(r, session.participant_id, message.kind)
    )


@handles(p.MuteAll)
async def mute_all(session: Session, message: p.MuteAll):
    return await _apply(
        session,
        lambda r: moderation.mute_all(r, session.participant_id, show_name=message.show_name),
    )


@handles(p.UnmuteAsk)
async def unmute_ask(session: Session, message: p.UnmuteAsk):
    target = str(message.participant_id)
    return await _apply(
        session, lambda r: moderation.ask_unmute(r, session.participant_id, target, message.kind)
    )


@handles(p.UnmuteAnswer)
async def unmute_answer(session: Session, message: p.UnmuteAnswer):
    return await _apply(
        session,
        lambda r: moderation.answer_unmute(r, session.participant_id, message.kind, message.accept),
    )


@handles(p.RoomConfigure)
async def room_configure(session: Session, message: p.RoomConfigure):
    return await _apply(
        session,
        lambda r: moderation.configure(
            r,
            session.participant_id,
            locked=message.locked,
            allow_self_unmute=message.allow_self_unmute,
        ),
    )


@handles(p.ParticipantRemove)
async def participant_remove(session: Session, message: p.ParticipantRemove):
    target = str(message.participant_id)
    return await _apply(
        session, lambda r: moderation.remove(r, session.participant_id, target, ban=message.ban)
    )


@handles(p.MeetingEnd)
async def meeting_end(session: Session, message: p.MeetingEnd):
    events = await _apply(session, lambda r: moderation.end(r, session.participant_id))
    if events:
        # No check-in's ballot key may outlive the meeting.
        await checkin_end_all(meeting_id=session.meeting_id)
    return events
