"""Screen sharing, pure: who may share, who is sharing, and stopping a share.

No database, no sockets. The share lives on `MeetingState.screenshare` as plain JSON
(`{"sharer": id or None, "allowed": [ids]}`, ids only), stored with the meeting by the one
state-to-rows mapping. The relay follows through `MeetingState.media_plans()`: only the
sharer's screen track is forwarded, whatever any other browser sends.

The rules (what Zoom's and Jitsi's defaults do where the issue is silent):
- Facilitators and co-facilitators may always share; a peer only while a facilitator allows
  them (per person, revocable). The permission belongs to the person's place in this meeting:
  it survives a dropped connection that comes back within the grace period, and goes when
  they leave, time out or are removed.
- One share at a time in the meeting. A facilitator who starts sharing takes over from
  whoever shares (they are told); a peer is refused (`share_busy`) while someone else shares.
- A share needs a media connection: text-only participants cannot share (`share_needs_media`)
  and switching to text only stops one's share. They still see that someone shares (as text,
  and the screen itself if they receive video).
- A facilitator can stop anyone's share; revoking a sharing peer's permission stops it too.
- Camera and screen are separate: muting the camera (or a facilitator's "stop video") does not
  stop a share, and stopping a share leaves the camera alone.
- The share is seen by the people in the sharer's space (the main room or a breakout).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rooms import policy
from rooms.errors import RoomError
from rooms.events import Event, ScreenshareStopped, ScreenshareUpdated, ToMeeting, ToParticipant
from rooms.shapes import ScreenshareInfo

if TYPE_CHECKING:
    from rooms.state import MeetingState, Member

TEXT_ONLY = "text_only"


def _data(room: MeetingState) -> dict[str, Any]:
    return room.screenshare or {"sharer": None, "allowed": []}


def sharer(room: MeetingState) -> str | None:
    found: str | None = _data(room).get("sharer")
    return found


def allowed(room: MeetingState) -> list[str]:
    return list(_data(room).get("allowed", []))


def public(room: MeetingState) -> ScreenshareInfo:
    return ScreenshareInfo(sharer=sharer(room), allowed=allowed(room))


def may_share(room: MeetingState, member: Member) -> bool:
    return member.admitted and (member.facilitates or member.id in allowed(room))


def _store(room: MeetingState, sharer_id: str | None, allowed_ids: list[str]) -> None:
    if sharer_id is None and not allowed_ids:
        room.screenshare = None
    else:
        room.screenshare = {"sharer": sharer_id, "allowed": allowed_ids}


def _updated(room: MeetingState) -> Event:
    return ScreenshareUpdated(**public(room).model_dump(), to=ToMeeting())


def _stopped(target_id: str, reason: str, actor: Member | None) -> Event:
    by: dict[str, Any] = {}
    if actor is not None:
        by = {"by_role": actor.role, "by_name": actor.name}
    return ScreenshareStopped(reason=reason, **by, to=ToParticipant(target_id))


def start(room: MeetingState, actor_id: str) -> list[Event]:
    policy.require_live(room)
    actor = policy.require_present(room, actor_id)
    if actor.media == TEXT_ONLY:
        raise RoomError(
            "share_needs_media", "Sharing a screen needs audio or video; you take part by text."
        )
    if not may_share(room, actor):
        raise RoomError(
            "share_not_permitted", "A facilitator has to allow you to share your screen first."
        )
    current = sharer(room)
    if current == actor_id:
        return []
    events: list[Event] = []
    if current is not None:
        if not actor.facilitates:
            raise RoomError("share_busy", "Someone is sharing their screen; wait until they stop.")
        events.append(_stopped(current, "replaced", actor))
    _store(room, actor_id, allowed(room))
    return [_updated(room), *events]


def stop(room: MeetingState, actor_id: str, target_id: str | None = None) -> list[Event]:
    """Stops your own share; a facilitator stops anyone's. Nothing to stop is not an error
    (the share may have ended a moment before)."""
    policy.require_live(room)
    actor = policy.require_present(room, actor_id)
    target_id = target_id or actor_id
    if target_id != actor_id:
        policy.require_facilitator(room, actor_id)
        policy.require_target(room, target_id)
    if sharer(room) != target_id:
        return []
    _store(room, None, allowed(room))
    events = [_updated(room)]
    if target_id != actor_id:
        events.append(_stopped(target_id, "facilitator", actor))
    return events


def allow(room: MeetingState, actor_id: str, target_id: str, allow_it: bool) -> list[Event]:
    """A facilitator lets a peer share (or no longer); revoking stops their share."""
    policy.require_live(room)
    actor = policy.require_facilitator(room, actor_id)
    if target_id == actor_id:
        raise RoomError("cannot_target_self", "Facilitators may always share their screen.")
    target = policy.require_target(room, target_id)
    ids = allowed(room)
    if (target_id in ids) == allow_it:
        return []
    ids = [*ids, target_id] if allow_it else [i for i in ids if i != target_id]
    current = sharer(room)
    events: list[Event] = []
    if not allow_it and current == target_id and not target.facilitates:
        current = None
        events.append(_stopped(target_id, "revoked", actor))
    _store(room, current, ids)
    return [_updated(room), *events]


def settle(room: MeetingState) -> list[Event]:
    """After any operation: a share or permission that no longer holds goes.

    Someone who left, timed out or was removed loses both; a sharer who switched to text
    only, or a co-facilitator made a peer without a peer's permission, stops sharing.
    Run once per operation (rooms/services/unit.py) rather than in each rule that could
    cause it, so no new rule can forget it.
    """
    if room.screenshare is None:
        return []
    if room.ended:
        room.screenshare = None  # everyone's socket is closing: nothing to tell, nothing kept
        return []
    present = {m.id: m for m in room.present()}
    ids = [i for i in allowed(room) if i in present]
    current = sharer(room)
    member = present.get(current) if current is not None else None
    ended_share = current is not None and (
        member is None or member.media == TEXT_ONLY or not may_share(room, member)
    )
    if ended_share:
        current = None
    before = room.screenshare
    _store(room, current, ids)
    if room.screenshare == before:
        return []
    events = [_updated(room)]
    if ended_share and member is not None:
        events.append(_stopped(member.id, "no_longer_allowed", None))
    return events
