"""The one place that sends what rooms/ decided: after the commit, through the channel layer.

Each event goes to the group of its audience; its directives follow it, each to the socket
group of the participant it names (through each process's hub: signaling/hub.py). The relay re-syncs only when the outcome says the
media plans changed.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import get_args

from channels.layers import get_channel_layer

from rooms import events as e
from rooms.services.unit import Outcome
from signaling import hub, media_bridge
from signaling import protocol as p
from signaling.groups import group_for, participant_group


def directive_message(directive: e.Directive) -> dict:
    return {"type": "room.directive", "kind": type(directive).__name__, **asdict(directive)}


_DIRECTIVES = {kind.__name__: kind for kind in get_args(e.Directive)}


def directive_from(message: dict) -> e.Directive:
    fields = {k: v for k, v in message.items() if k not in ("type", "kind", "group")}
    return _DIRECTIVES[message["kind"]](**fields)


async def deliver(meeting_id: str, outcome: Outcome) -> None:
    layer = get_channel_layer()
    for event in outcome.events:
        # checked and serialised once here, not once per recipient
        frame = p.json_dumps(p.server_message(event.type, **event.data))
        await hub.group_send(
            layer,
            group_for(meeting_id, event.to),
            # the event's type: counted as sent by the processes it reaches (signaling/metrics.py)
            {"type": "room.event", "frame": frame, "event": event.type},
        )
        for directive in event.then:
            await hub.group_send(
                layer, participant_group(directive.participant_id), directive_message(directive)
            )
    if outcome.media_changed:
        await media_bridge.sync(meeting_id)
