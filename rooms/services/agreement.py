"""The group agreement: the text a meeting's people accept, and showing it again."""

from __future__ import annotations

from rooms import agreement, extensions
from rooms.models import Meeting
from rooms.services.unit import Outcome, apply


def agreement_text(*, meeting: Meeting) -> str:
    """The meeting's own agreement, else its group's, else the default."""
    return agreement.effective(meeting.agreement, extensions.agreement_default(meeting))


def agreement_show(*, meeting_id: str, actor_id: str) -> Outcome:
    """A facilitator puts the agreement on everyone's screen (and in text) again."""
    meeting = Meeting.objects.only("agreement").get(id=meeting_id)
    text = agreement_text(meeting=meeting)
    return apply(meeting_id, lambda room: agreement.show(room, actor_id, text))
