"""The one place that sends room events: after the commit, through the channel layer."""

from __future__ import annotations

from channels.layers import get_channel_layer

from rooms import state
from signaling import media_bridge
from signaling.groups import (
    breakout_group,
    facilitators_group,
    participant_group,
    room_group,
)

# Events that cannot change who hears or sees whom.
_NO_MEDIA_EFFECT = frozenset(
    {
        "chat.message",
        "hands.updated",
        "lobby.updated",
        "room.settings",
        "unmute.requested",
        "unmute.answered",
        "breakout.help_requested",
        "breakout.broadcast",
        "breakout.warning",
    }
)
_NO_MEDIA_EFFECT_PREFIXES = ("checkin.",)


def _group_for(meeting_id: str, audience: str) -> str:
    if audience == state.TO_ROOM:
        return room_group(meeting_id)
    if audience == state.TO_FACILITATORS:
        return facilitators_group(meeting_id)
    if audience.startswith("breakout:"):
        breakout = audience.removeprefix("breakout:")
        return breakout_group(meeting_id, None if breakout == state.MAIN_ROOM else breakout)
    return participant_group(audience.removeprefix("participant:"))


async def deliver(meeting_id: str, events: list[state.Event]) -> None:
    layer = get_channel_layer()
    for event in events:
        await layer.group_send(
            _group_for(meeting_id, event.to),
            {"type": "room.event", "event": event.type, "data": event.data},
        )
    if any(
        event.type not in _NO_MEDIA_EFFECT and not event.type.startswith(_NO_MEDIA_EFFECT_PREFIXES)
        for event in events
    ):
        await media_bridge.sync(meeting_id)
