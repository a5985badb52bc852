"""Facilitation powers: mute and stop video, ask to unmute, lock, remove, end the meeting."""

from __future__ import annotations

from rooms import extensions, moderation
from rooms.errors import RoomError
from rooms.services.checkins import end_open_prompts
from rooms.services.unit import Outcome, apply, locked_room


def mute(
    *,
    meeting_id: str,
    actor_id: str,
    kind: str,
    target_id: str | None = None,
    show_name: bool = True,
) -> Outcome:
    """Mutes the actor (no target) or, a facilitator power, someone else."""
    target = target_id or actor_id
    return apply(
        meeting_id, lambda room: moderation.mute(room, actor_id, target, kind, show_name=show_name)
    )


def unmute(*, meeting_id: str, actor_id: str, kind: str) -> Outcome:
    return apply(meeting_id, lambda room: moderation.unmute(room, actor_id, kind))


def media_set(*, meeting_id: str, actor_id: str, mode: str) -> Outcome:
    """Text only, audio or video: how the actor takes part from now on (their own choice)."""
    return apply(meeting_id, lambda room: moderation.set_mode(room, actor_id, mode))


def mute_all(*, meeting_id: str, actor_id: str, show_name: bool = True) -> Outcome:
    return apply(meeting_id, lambda room: moderation.mute_all(room, actor_id, show_name=show_name))


def unmute_ask(*, meeting_id: str, actor_id: str, target_id: str, kind: str) -> Outcome:
    return apply(meeting_id, lambda room: moderation.ask_unmute(room, actor_id, target_id, kind))


def unmute_answer(*, meeting_id: str, actor_id: str, kind: str, accept: bool) -> Outcome:
    return apply(meeting_id, lambda room: moderation.answer_unmute(room, actor_id, kind, accept))


def room_configure(
    *,
    meeting_id: str,
    actor_id: str,
    locked: bool | None = None,
    allow_self_unmute: bool | None = None,
    muted_on_entry: bool | None = None,
) -> Outcome:
    return apply(
        meeting_id,
        lambda room: moderation.configure(
            room,
            actor_id,
            locked=locked,
            allow_self_unmute=allow_self_unmute,
            muted_on_entry=muted_on_entry,
        ),
    )


def participant_remove(
    *, meeting_id: str, actor_id: str, target_id: str, ban: bool = False
) -> Outcome:
    return apply(meeting_id, lambda room: moderation.remove(room, actor_id, target_id, ban=ban))


def meeting_end(
    *, meeting_id: str, actor_id: str | None = None, owner_id: int | None = None
) -> Outcome:
    """Ends the meeting and, in the same transaction, closes its open check-ins: no
    check-in's ballot key may outlive the meeting.

    `actor_id`: a facilitator in the room. `owner_id`: the meeting's owner (or someone
    rooms.extensions lets run it, like a group's team), from the meetings page, whether or
    not they are in the room; anyone else gets `forbidden`.
    """
    with locked_room(meeting_id) as unit:
        if actor_id is not None:
            ended = moderation.end(unit.room, actor_id)
        elif owner_id is not None and extensions.user_facilitates(unit.meeting, owner_id):
            ended = moderation.finish(unit.room)
        else:
            raise RoomError("forbidden", "Only a facilitator can do that.")
        unit.events += ended
        if ended:
            # Nobody is left to be told (every socket closes on meeting.ended): the
            # check-ins' own events are dropped, as they always were.
            end_open_prompts(unit)
    return unit.outcome
