"""Check-in prompts: facilitators post, close and share; everyone admitted answers.

Answers are handled so that nothing about them reaches the log: a refused or failed answer
is logged by its code only, never with the participant or the answer, because even "X was
refused: already answered" would say who answered an anonymous prompt.
"""

from __future__ import annotations

import logging

from channels.db import database_sync_to_async

from rooms import checkin_selectors, checkin_services, selectors, state
from rooms.models import Meeting
from signaling import protocol as p
from signaling.handlers import Session, handles, on_enter

log = logging.getLogger(__name__)

checkin_post = database_sync_to_async(checkin_services.checkin_post)
checkin_answer = database_sync_to_async(checkin_services.checkin_answer)
checkin_close = database_sync_to_async(checkin_services.checkin_close)
checkin_share = database_sync_to_async(checkin_services.checkin_share)


@handles(p.CheckinPost)
async def post(session: Session, message: p.CheckinPost):
    return await checkin_post(
        meeting_id=session.meeting_id,
        actor_id=session.participant_id,
        kind=message.kind,
        question=message.question,
        options=list(message.options),
        anonymous=message.anonymous,
        moment=message.moment,
    )


@handles(p.CheckinAnswerIn)
async def answer(session: Session, message: p.CheckinAnswerIn):
    try:
        return await checkin_answer(
            meeting_id=session.meeting_id,
            participant_id=session.participant_id,
            prompt_id=str(message.prompt_id),
            scale=message.scale,
            choices=list(message.choices) if message.choices is not None else None,
            text=message.text,
        )
    except state.RoomError as exc:
        log.info("checkins: answer refused code=%s", exc.code)
        await session.send_message(p.error_message(exc.code, exc.message))
    except Exception as exc:
        # No traceback: a database error's text can quote the values it was given.
        log.error("checkins: answer failed error=%s", type(exc).__name__)
        await session.send_message(p.error_message("internal"))
    return []


@handles(p.CheckinClose)
async def close(session: Session, message: p.CheckinClose):
    return await checkin_close(
        meeting_id=session.meeting_id,
        actor_id=session.participant_id,
        prompt_id=str(message.prompt_id),
    )


@handles(p.CheckinShare)
async def share(session: Session, message: p.CheckinShare):
    return await checkin_share(
        meeting_id=session.meeting_id,
        actor_id=session.participant_id,
        prompt_id=str(message.prompt_id),
    )


@database_sync_to_async
def _state(meeting_id: str, participant_id: str) -> dict:
    meeting = Meeting.objects.get(id=meeting_id)
    viewer = selectors.room_load(meeting=meeting).member(participant_id)
    return checkin_selectors.checkin_state(
        meeting=meeting, viewer_id=participant_id, facilitates=viewer.facilitates
    )


@on_enter
async def send_state(session: Session) -> None:
    state_ = await _state(session.meeting_id, session.participant_id)
    await session.send_message(p.server_message("checkin.state", **state_))
