"""The one place that sends what rooms/ decided: after the commit, through the channel layer.

Each event goes to the group of its audience; its directives follow it, each to the socket
group of the participant it names. The relay re-syncs only when the outcome says the
media plans changed.
"""

from __future__ import annotations

from dataclasses import asdict
from uuid import UUID

from channels.layers import get_channel_layer

from rooms import events as e
from rooms import state
from rooms.services.unit import Outcome
from signaling import media_link


def meeting_group(meeting_id: str) -> str:
    return f"m-{UUID(str(meeting_id)).hex}-room"


def facilitators_group(meeting_id: str) -> str:
    return f"m-{UUID(str(meeting_id)).hex}-fac"


def participant_group(participant_id: str) -> str:
    return f"p-{UUID(str(participant_id)).hex}"


def space_group(meeting_id: str, breakout_id: str | None) -> str:
    """Those in one breakout, or (None) those in the main room: per-space chat goes here."""
    room = UUID(str(breakout_id)).hex if breakout_id else state.MAIN_SPACE
    return f"m-{UUID(str(meeting_id)).hex}-b-{room}"


def _group_for(meeting_id: str, audience: e.Audience) -> str:
    match audience:
        case e.ToMeeting():
            return meeting_group(meeting_id)
        case e.ToFacilitators():
            return facilitators_group(meeting_id)
        case e.ToSpace(breakout_id=breakout_id):
            return space_group(meeting_id, breakout_id)
        case e.ToParticipant(participant_id=participant_id):
            return participant_group(participant_id)
    raise TypeError(f"not an audience: {audience!r}")


def directive_message(directive: e.Directive) -> dict:
    return {"type": "room.directive", "kind": type(directive).__name__, **asdict(directive)}


def directive_from(message: dict) -> e.Directive:
    kinds = {"Close": e.Close, "EnterRoom": e.EnterRoom, "ChangeSpace": e.ChangeSpace}
    fields = {k: v for k, v in message.items() if k not in ("type", "kind")}
    return kinds[message["kind"]](**fields)


async def deliver(meeting_id: str, outcome: Outcome) -> None:
    layer = get_channel_layer()
    for event in outcome.events:
        await layer.group_send(
            _group_for(meeting_id, event.to),
            {"type": "room.event", "event": event.type, "data": event.data},
        )
        for directive in event.then:
            await layer.group_send(
                participant_group(directive.participant_id), directive_message(directive)
            )
    if outcome.media_changed:
        await media_link.reconcile(meeting_id)
