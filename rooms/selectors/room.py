"""Reads of a meeting's state: what a viewer sees on entering, media plans, the timer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rooms import breakouts, goround, state
from rooms.models import Meeting, Participant
from rooms.persistence import member_from_row, room_load
from rooms.selectors.chat import chat_history
from rooms.selectors.checkins import checkin_state


def room_state(*, meeting_id: str, viewer_id: str) -> dict[str, Any]:
    """The meeting as this viewer sees it now, with the chat history of the space they are in."""
    meeting = Meeting.objects.get(id=meeting_id)
    room = room_load(meeting=meeting)
    viewer = room.member(viewer_id)
    snapshot = room.snapshot_for(viewer_id)
    if room.goround is not None:
        snapshot["goround"] = goround.public(room)
    snapshot["chat"] = chat_history(
        meeting_id=meeting_id,
        viewer_id=viewer_id,
        viewer_facilitates=viewer.facilitates,
        space=viewer.breakout or state.MAIN_SPACE,
    )
    return snapshot


def checkin_state_for(*, meeting_id: str, viewer_id: str) -> dict[str, Any]:
    """The check-in prompts this viewer sees on entering (and, for facilitators, the mood)."""
    # the viewer's own row says whether they facilitate: no need to load everyone
    row = Participant.objects.select_related("meeting").get(id=viewer_id, meeting_id=meeting_id)
    viewer = member_from_row(row)
    return checkin_state(meeting=row.meeting, viewer_id=viewer_id, facilitates=viewer.facilitates)


def breakout_next_deadline(*, meeting_id: str) -> datetime | None:
    """When the meeting's breakout timer next has something to do, or None."""
    meeting = Meeting.objects.filter(id=meeting_id).first()
    if meeting is None or meeting.breakout_ends_at is None:
        return None
    return breakouts.next_deadline(room_load(meeting=meeting))


def media_plans(*, meeting_id: str) -> dict[str, state.MediaPlan]:
    meeting = Meeting.objects.filter(id=meeting_id, ended_at__isnull=True).first()
    if meeting is None:
        return {}
    return room_load(meeting=meeting).media_plans()
