"""Facilitation powers over people: mute, stop video, ask to unmute, lock, remove, end;
and the person's own switches: mute yourself, unmute, how you take part (`set_mode`).

Pure functions on a `MeetingState`, like its own methods: each checks the actor's authority,
changes the room in place and returns the events to deliver, or raises RoomError and
changes nothing. The relay follows through `MeetingState.media_plans()`: a muted person's audio
(a stopped person's video) is not forwarded, whatever their browser sends.

Nobody can turn someone else's microphone or camera on: a facilitator can only ask,
and the person answers.
"""

from __future__ import annotations

from rooms import policy
from rooms.events import (
    Close,
    Event,
    MeetingEnded,
    Muted,
    ParticipantUpdated,
    Removed,
    RoomSettingsChanged,
    ToFacilitators,
    ToMeeting,
    ToParticipant,
    UnmuteAnswered,
    UnmuteRequested,
)
from rooms.state import (
    ADMITTED,
    AUDIO,
    BY_FACILITATOR,
    BY_SELF,
    FACILITATING_ROLES,
    FACILITATOR,
    OFFLINE,
    VIDEO,
    MeetingState,
    Member,
    RoomError,
)

REMOVED_MESSAGE = "A facilitator has removed you from this meeting."
BANNED_MESSAGE = "A facilitator has removed you from this meeting and asked that you not rejoin it."
ENDED_MESSAGE = "This meeting has ended. Thank you for being here, and take care."

_OFF_FIELD = {AUDIO: "muted_by", VIDEO: "video_stopped_by"}
_ASKED_FIELD = {AUDIO: "asked_audio", VIDEO: "asked_video"}


def _check_kind(kind: str) -> None:
    if kind not in _OFF_FIELD:
        raise RoomError("invalid_message", "kind is audio or video.")


def _off(member: Member, kind: str) -> str | None:
    off: str | None = getattr(member, _OFF_FIELD[kind])
    return off


def _set_off(member: Member, kind: str, by: str | None) -> None:
    setattr(member, _OFF_FIELD[kind], by)
    if by is None or by == BY_FACILITATOR:
        # An open "please unmute" is answered by unmuting, or overtaken by a new mute.
        setattr(member, _ASKED_FIELD[kind], False)


def _updated(member: Member) -> Event:
    return ParticipantUpdated(participant=member.public(), to=ToMeeting())


def _by(actor: Member, show_name: bool) -> dict[str, str]:
    by = {"by_role": actor.role}
    if show_name:
        by["by_name"] = actor.name
    return by


def _protect_owner(target: Member) -> None:
    if target.role == FACILITATOR:
        raise RoomError(
            "protected_participant", "The meeting's facilitator cannot be muted or removed."
        )


# --- mute and stop video ---------------------------------------------------------------


def mute(
    room: MeetingState, actor_id: str, target_id: str, kind: str, *, show_name: bool = True
) -> list[Event]:
    """Muting yourself is always allowed; muting someone else is a facilitator power.

    `show_name` False tells the muted person only the role of who muted them.
    """
    _check_kind(kind)
    policy.require_live(room)
    actor = policy.require_present(room, actor_id)
    if target_id == actor_id:
        if _off(actor, kind) is not None:
            return []
        _set_off(actor, kind, BY_SELF)
        return [_updated(actor)]
    policy.require_facilitator(room, actor_id)
    target = policy.require_target(room, target_id)
    _protect_owner(target)
    return _impose(target, kind, _by(actor, show_name))


def _impose(target: Member, kind: str, by: dict[str, str]) -> list[Event]:
    if _off(target, kind) == BY_FACILITATOR:
        return []  # two facilitators at once, or twice: already done
    _set_off(target, kind, BY_FACILITATOR)
    return [
        _updated(target),
        Muted(kind=kind, **by, to=ToParticipant(target.id)),
    ]


def mute_all(room: MeetingState, actor_id: str, *, show_name: bool = True) -> list[Event]:
    """Mutes every peer with a microphone; facilitators and co-facilitators keep theirs."""
    policy.require_live(room)
    actor = policy.require_facilitator(room, actor_id)
    by = _by(actor, show_name)
    events: list[Event] = []
    for member in room.present():
        if member.role in FACILITATING_ROLES or member.media != "camera_mic":
            continue
        events.extend(_impose(member, AUDIO, by))
    return events


def unmute(room: MeetingState, actor_id: str, kind: str) -> list[Event]:
    """Only the person themself turns their own audio or video back on."""
    _check_kind(kind)
    policy.require_live(room)
    actor = policy.require_present(room, actor_id)
    was = _off(actor, kind)
    if was is None:
        return []
    if not _may_turn_on(room, actor, kind):
        raise RoomError(
            "self_unmute_disabled",
            "A facilitator turned this off. They can ask you to turn it back on.",
        )
    _set_off(actor, kind, None)
    return [_updated(actor)]


def _may_turn_on(room: MeetingState, member: Member, kind: str) -> bool:
    """The self-unmute rule: what a facilitator turned off stays off unless the room allows
    self-unmute or the person facilitates; what you turned off yourself you turn on."""
    if _off(member, kind) != BY_FACILITATOR:
        return True
    return room.allow_self_unmute or member.facilitates


# --- how you take part ---------------------------------------------------------------------

TEXT_ONLY_MODE = "text_only"
AUDIO_MODE = "audio"
VIDEO_MODE = "video"
MODES = (TEXT_ONLY_MODE, AUDIO_MODE, VIDEO_MODE)


def set_mode(room: MeetingState, actor_id: str, mode: str) -> list[Event]:
    """Text only, audio or video, changed by the person themself during the meeting.

    A mode is the member's `media` (camera_mic publishes, text_only never does) with their
    camera switch: audio is camera_mic with the video off by themself. Turning a microphone
    or camera on here follows `unmute`'s rule, without refusing: the mode changes, and what
    a facilitator turned off (with self-unmute not allowed) stays off. Coming from text
    only turns your microphone on; audio and video keep it as it is.
    """
    if mode not in MODES:
        raise RoomError("invalid_message", "mode is text_only, audio or video.")
    policy.require_live(room)
    actor = policy.require_present(room, actor_id)
    before = actor.public()
    if mode == TEXT_ONLY_MODE:
        actor.media = "text_only"
    else:
        if actor.media == "text_only":
            actor.media = "camera_mic"
            _turn_on_if_allowed(room, actor, AUDIO)
        if mode == VIDEO_MODE:
            _turn_on_if_allowed(room, actor, VIDEO)
        elif _off(actor, VIDEO) is None:
            _set_off(actor, VIDEO, BY_SELF)
    if actor.public() == before:
        return []
    return [_updated(actor)]


def _turn_on_if_allowed(room: MeetingState, member: Member, kind: str) -> None:
    if _off(member, kind) is not None and _may_turn_on(room, member, kind):
        _set_off(member, kind, None)


def ask_unmute(room: MeetingState, actor_id: str, target_id: str, kind: str) -> list[Event]:
    _check_kind(kind)
    policy.require_live(room)
    actor = policy.require_facilitator(room, actor_id)
    target = policy.require_target(room, target_id)
    if _off(target, kind) is None:
        raise RoomError("not_muted", "That is already on.")
    if getattr(target, _ASKED_FIELD[kind]):
        return []  # already asked, the question is still open
    setattr(target, _ASKED_FIELD[kind], True)
    return [UnmuteRequested(kind=kind, **_by(actor, True), to=ToParticipant(target.id))]


def answer_unmute(room: MeetingState, actor_id: str, kind: str, accept: bool) -> list[Event]:
    """The person's yes or no to a facilitator's request; yes turns it on at the relay."""
    _check_kind(kind)
    policy.require_live(room)
    actor = policy.require_present(room, actor_id)
    if not getattr(actor, _ASKED_FIELD[kind]):
        raise RoomError("no_request", "There is no open request to answer.")
    setattr(actor, _ASKED_FIELD[kind], False)
    events: list[Event] = [
        UnmuteAnswered(kind=kind, participant_id=actor.id, accepted=accept, to=ToFacilitators())
    ]
    if accept:
        _set_off(actor, kind, None)
        events.insert(0, _updated(actor))
    return events


# --- room control ------------------------------------------------------------------------


def configure(
    room: MeetingState,
    actor_id: str,
    *,
    locked: bool | None = None,
    allow_self_unmute: bool | None = None,
    muted_on_entry: bool | None = None,
) -> list[Event]:
    """Lock (no new peers join; the lobby keeps its queue), the self-unmute rule and
    muted on entry (peers who enter from now on start with their microphone off)."""
    policy.require_live(room)
    policy.require_facilitator(room, actor_id)
    before = room.settings()
    if locked is not None:
        room.locked = locked
    if allow_self_unmute is not None:
        room.allow_self_unmute = allow_self_unmute
    if muted_on_entry is not None:
        room.muted_on_entry = muted_on_entry
    if room.settings() == before:
        return []
    return [RoomSettingsChanged(**room.settings(), to=ToMeeting())]


def remove(room: MeetingState, actor_id: str, target_id: str, *, ban: bool = False) -> list[Event]:
    """Takes someone out of the meeting; `ban` also refuses them a new join (see services)."""
    policy.require_live(room)
    policy.require_facilitator(room, actor_id)
    if target_id == actor_id:
        raise RoomError("cannot_target_self", "Use leave to leave the meeting yourself.")
    target = policy.require_target(room, target_id)
    _protect_owner(target)
    target.banned = ban
    message = BANNED_MESSAGE if ban else REMOVED_MESSAGE
    # The person is told first: their socket closes when this arrives.
    told = Removed(
        message=message,
        may_rejoin=not ban,
        to=ToParticipant(target.id),
        then=(Close(target.id, "removed"),),
    )
    return [told, *room.take_out(target, reason="removed")]


def end(room: MeetingState, actor_id: str) -> list[Event]:
    """Ends the meeting for everyone, including those waiting in the lobby."""
    policy.require_facilitator(room, actor_id)
    return finish(room)


def finish(room: MeetingState) -> list[Event]:
    """The end itself, whoever asked: a facilitator in the room (`end`), or the meeting's
    owner from the meetings page (the services check that it is theirs)."""
    if room.ended:
        return []  # two facilitators at once: the second has nothing left to end
    waiting = room.lobby()
    room.ended = True
    room.goround = None
    present = room.present()
    events: list[Event] = [
        MeetingEnded(
            message=ENDED_MESSAGE,
            to=ToMeeting(),
            then=tuple(Close(m.id, "ended") for m in present),
        )
    ]
    events += [
        MeetingEnded(message=ENDED_MESSAGE, to=ToParticipant(m.id), then=(Close(m.id, "ended"),))
        for m in waiting
    ]
    # Everyone's socket is about to close: nobody should show as "reconnecting".
    for member in room.members.values():
        if member.status == ADMITTED or member in waiting:
            member.connection = OFFLINE
    return events
