"""Reads: meetings, participants, chat history, check-ins, as pages and the transport need them.

One module per subject; the names are re-exported here, so `selectors.media_plans(...)`
reads the same wherever it is called from.
"""

from rooms.persistence import member_from_row, room_load
from rooms.selectors.chat import CHAT_HISTORY_LIMIT, chat_history, chat_message_public
from rooms.selectors.checkins import (
    checkin_state,
    group_meetings,
    meeting_mood,
    open_prompt_count,
    prompt_from_row,
)
from rooms.selectors.meetings import (
    device_banned,
    meeting_open,
    meeting_present,
    meetings_overview,
    meetings_owned,
    participant_breakout,
    participant_by_token,
    token_digest,
)
from rooms.selectors.presence import (
    OnlineSocket,
    meetings_with_lapsed_reconnects,
    online_sockets,
)
from rooms.selectors.room import (
    breakout_next_deadline,
    checkin_state_for,
    media_plans,
    room_state,
)

__all__ = [
    "CHAT_HISTORY_LIMIT",
    "OnlineSocket",
    "breakout_next_deadline",
    "chat_history",
    "chat_message_public",
    "checkin_state",
    "checkin_state_for",
    "device_banned",
    "group_meetings",
    "media_plans",
    "meeting_mood",
    "meeting_open",
    "meeting_present",
    "meetings_overview",
    "meetings_owned",
    "meetings_with_lapsed_reconnects",
    "member_from_row",
    "online_sockets",
    "open_prompt_count",
    "participant_breakout",
    "participant_by_token",
    "prompt_from_row",
    "room_load",
    "room_state",
    "token_digest",
]
