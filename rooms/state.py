"""Pure meeting state: who is in a meeting, in what role, with which hand raised.

Facilitation powers live beside it in `moderation.py` (mute, lock, remove, end) and
`breakouts.py` (breakout rooms and their timer); they operate on the same MeetingState.

No database, no sockets. Each operation checks the actor's authority, changes the
snapshot in place and returns the events that the transport must deliver. A refusal
raises RoomError with a stable code and leaves the snapshot untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rooms import agreement, policy, queue
from rooms.errors import RoomError as RoomError  # re-exported: callers catch state.RoomError
from rooms.events import (
    Close,
    EnterRoom,
    Event,
    HandsUpdated,
    LobbyAdmitted,
    LobbyDenied,
    LobbyUpdated,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantUpdated,
    ToFacilitators,
    ToMeeting,
    ToParticipant,
)
from rooms.queue import AttentionItem
from rooms.shapes import ParticipantInfo

FACILITATOR = "facilitator"
COFACILITATOR = "cofacilitator"
PEER = "peer"
FACILITATING_ROLES = frozenset({FACILITATOR, COFACILITATOR})

LOBBY = "lobby"
ADMITTED = "admitted"
DENIED = "denied"
LEFT = "left"

OFFLINE = "offline"
ONLINE = "online"
RECONNECTING = "reconnecting"

AUDIO = "audio"
VIDEO = "video"
# Who turned someone's audio or video off (None: on, as far as the server is concerned).
BY_SELF = "self"
BY_FACILITATOR = "facilitator"

MAIN_SPACE = "main"  # the main room as a space (chat rows store it); breakouts use their id

DENIED_MESSAGE = (
    "The facilitator couldn't let you into this meeting right now. "
    "Thank you for reaching out; you're welcome to try another session."
)


@dataclass(frozen=True)
class MediaPlan:
    """What the media relay should do for one participant, decided here, applied by the relay."""

    room: str  # the relay room: people hear and see only others in the same one
    publish: bool  # camera_mic participants publish; text-only participants never do
    audio: bool  # False: the relay drops this person's audio (server-enforced mute)
    video: bool
    screen: bool = False  # True only for the one sharing their screen now (rooms/screenshare.py)


@dataclass
class Breakout:
    id: str
    name: str
    position: int
    open: bool = True


@dataclass
class Member:
    id: str
    name: str
    role: str
    media: str
    status: str
    connection: str = OFFLINE
    hand_seq: int | None = None
    disconnected_at: datetime | None = None
    muted_by: str | None = None  # BY_SELF, BY_FACILITATOR or None
    video_stopped_by: str | None = None
    asked_audio: bool = False  # a facilitator's "please unmute" awaits an answer
    asked_video: bool = False
    breakout: str | None = None  # None: the main room
    banned: bool = False
    latecomer: bool = False  # knocked on a locked meeting

    @property
    def admitted(self) -> bool:
        return self.status == ADMITTED

    @property
    def facilitates(self) -> bool:
        return self.role in FACILITATING_ROLES and self.admitted

    def public(self) -> ParticipantInfo:
        return ParticipantInfo.model_validate(
            {
                "id": self.id,
                "name": self.name,
                "role": self.role,
                "media": self.media,
                "connection": self.connection,
                "hand_raised": self.hand_seq is not None,
                "audio": "on" if self.muted_by is None else f"off_by_{self.muted_by}",
                "video": "on"
                if self.video_stopped_by is None
                else f"off_by_{self.video_stopped_by}",
                "latecomer": self.latecomer,
            }
        )


@dataclass
class MeetingState:
    meeting_id: str
    lobby_enabled: bool
    hand_counter: int = 0
    members: dict[str, Member] = field(default_factory=dict)
    locked: bool = False
    allow_self_unmute: bool = True
    muted_on_entry: bool = False  # as loaded; a new Meeting row's default is on
    ended: bool = False
    breakouts: dict[str, Breakout] = field(default_factory=dict)  # closed ones too, by position
    self_select: bool = False
    breakout_ends_at: datetime | None = None
    breakout_warn_at: datetime | None = None
    breakout_warned: bool = False
    attention: dict[str, AttentionItem] = field(default_factory=dict)  # in arrival order
    goround: dict[str, Any] | None = None  # rooms/goround.py's JSON
    screenshare: dict[str, Any] | None = None  # rooms/screenshare.py's JSON

    # --- reading ---------------------------------------------------------------

    def member(self, participant_id: str) -> Member:
        try:
            return self.members[participant_id]
        except KeyError:
            raise RoomError("not_found", "That participant is not in this meeting.") from None

    def present(self) -> list[Member]:
        return [m for m in self.members.values() if m.status == ADMITTED]

    def lobby(self) -> list[Member]:
        return [m for m in self.members.values() if m.status == LOBBY and m.connection != OFFLINE]

    def hand_queue(self) -> list[str]:
        raised = [m for m in self.present() if m.hand_seq is not None]
        return [m.id for m in sorted(raised, key=lambda m: m.hand_seq or 0)]

    def open_breakouts(self) -> list[Breakout]:
        return [b for b in self.breakouts.values() if b.open]

    def media_room(self, member: Member) -> str:
        if member.breakout is None:
            return self.meeting_id
        return f"{self.meeting_id}/{member.breakout}"

    def media_plans(self) -> dict[str, MediaPlan]:
        """Everyone who may take part in the meeting's media, and how."""
        if self.ended:
            return {}
        return {m.id: self._plan(m) for m in self.present()}

    def _plan(self, m: Member) -> MediaPlan:
        publish = m.media == "camera_mic"
        # Not publishing means nothing is forwarded, whatever a connection made before
        # a switch to text only still sends: the relay fixes `publish` when it joins.
        return MediaPlan(
            room=self.media_room(m),
            publish=publish,
            audio=publish and m.muted_by is None,
            video=publish and m.video_stopped_by is None,
            screen=publish and self.screenshare is not None and self.screenshare["sharer"] == m.id,
        )

    def settings(self) -> dict[str, bool]:
        return {k: getattr(self, k) for k in ("locked", "allow_self_unmute", "muted_on_entry")}

    def breakouts_public(self) -> dict[str, Any]:
        members: dict[str, list[str]] = {b.id: [] for b in self.open_breakouts()}
        for m in self.present():
            if m.breakout in members:
                members[m.breakout].append(m.id)
        public: dict[str, Any] = {
            "rooms": [
                {"id": b.id, "name": b.name, "members": members[b.id]}
                for b in self.open_breakouts()
            ],
            "self_select": self.self_select,
        }
        if self.breakout_ends_at is not None:
            public["ends_at"] = self.breakout_ends_at.isoformat()
        if self.breakout_warn_at is not None:
            public["warn_at"] = self.breakout_warn_at.isoformat()
        return public

    def snapshot_for(self, viewer_id: str) -> dict[str, Any]:
        viewer = self.member(viewer_id)
        state = {
            "participants": [m.public().model_dump() for m in self.present()],
            "hands": self.hand_queue(),
            "settings": self.settings(),
            "breakouts": self.breakouts_public(),
        }
        if self.screenshare is not None:
            state["screenshare"] = {
                "sharer": self.screenshare["sharer"],
                "allowed": list(self.screenshare["allowed"]),
            }
        if viewer.facilitates:
            state["lobby"] = [m.public().model_dump() for m in self.lobby()]
            state["attention"] = [
                queue.item_public(self, i).model_dump() for i in self.attention.values()
            ]
        else:
            state["support"] = queue.support_of(self, viewer_id).model_dump()
        return state

    # --- events ----------------------------------------------------------------

    def _lobby_event(self) -> Event:
        return LobbyUpdated(lobby=[m.public() for m in self.lobby()], to=ToFacilitators())

    def _hands_event(self) -> Event:
        return HandsUpdated(queue=self.hand_queue(), to=ToMeeting())

    # --- connection lifecycle --------------------------------------------------

    def connect(self, participant_id: str) -> list[Event]:
        member = self.member(participant_id)
        if member.status not in (LOBBY, ADMITTED):
            raise RoomError("not_found", "That participant is not in this meeting.")
        previous = member.connection
        member.connection = ONLINE
        member.disconnected_at = None
        if member.status == LOBBY:
            return [self._lobby_event(), *queue.knock(self, member)]
        if previous == OFFLINE:
            return [ParticipantJoined(participant=member.public(), to=ToMeeting())]
        if previous == RECONNECTING:
            return [ParticipantUpdated(participant=member.public(), to=ToMeeting())]
        return []

    def disconnect(self, participant_id: str, now: datetime) -> list[Event]:
        member = self.members.get(participant_id)
        if member is None or member.connection != ONLINE:
            return []
        member.connection = RECONNECTING
        member.disconnected_at = now
        if member.status == LOBBY:
            return [self._lobby_event()]
        return [ParticipantUpdated(participant=member.public(), to=ToMeeting())]

    def expire(self, participant_id: str, disconnected_before: datetime) -> list[Event]:
        """Counts a participant as gone when it has been reconnecting since before the cut-off."""
        member = self.members.get(participant_id)
        if member is None or member.connection != RECONNECTING:
            return []
        if member.disconnected_at is None or member.disconnected_at > disconnected_before:
            return []
        return self.take_out(member, reason="timeout")

    def expire_stale(self, disconnected_before: datetime) -> list[Event]:
        """Catches up on expiry timers lost with a server process that stopped."""
        events: list[Event] = []
        for member_id in list(self.members):
            events.extend(self.expire(member_id, disconnected_before))
        return events

    def leave(self, participant_id: str, hand_over_to: str | None = None) -> list[Event]:
        """Leaves for good; a facilitator may first hand the group over to someone present."""
        member = self.members.get(participant_id)
        if member is None or member.status not in (LOBBY, ADMITTED):
            return []
        handed: list[Event] = []
        if hand_over_to is not None:
            handed = self._hand_over(member, hand_over_to)
        return handed + self.take_out(member, reason="left")

    def _hand_over(self, leaver: Member, target_id: str) -> list[Event]:
        """The leaving facilitator's choice: `target_id` facilitates from now on (a peer
        becomes a co-facilitator, as with `set_role`). Anyone admitted may be chosen: the
        facilitator knows the group, and `set_role` already lets them promote any peer."""
        policy.require_facilitator(self, leaver.id)
        if target_id == leaver.id:
            raise RoomError("cannot_target_self", "Choose someone else to hand the meeting to.")
        target = policy.require_target(self, target_id)
        if target.facilitates:
            return []
        return self.set_role(leaver.id, target_id, COFACILITATOR)

    def take_out(self, member: Member, reason: str) -> list[Event]:
        """Takes a member out of the meeting: they left, timed out or were removed."""
        was = member.status
        had_hand = member.hand_seq is not None
        member.status = LEFT
        member.connection = OFFLINE
        member.hand_seq = None
        member.asked_audio = member.asked_video = False
        if was == LOBBY:
            return [self._lobby_event(), *queue.settle_knocks(self, member, None)]
        # The one who left is told too: their socket, if still open, closes on this.
        left = ParticipantLeft(
            participant_id=member.id,
            reason=reason,
            to=ToMeeting(),
            then=(Close(member.id, "left"),),
        )
        events: list[Event] = [left]
        if had_hand:
            events.append(self._hands_event())
        return events

    # --- lobby -----------------------------------------------------------------

    def _lobby_target(self, actor_id: str, target_id: str) -> Member:
        policy.require_facilitator(self, actor_id)
        target = self.member(target_id)
        if target.status != LOBBY:
            raise RoomError("not_in_lobby", "That person is not waiting in the lobby.")
        return target

    def admit(self, actor_id: str, target_id: str) -> list[Event]:
        target = self._lobby_target(actor_id, target_id)
        # Someone in the lobby with a co-facilitator role came with the co-facilitator
        # link; only the owner, signed in with their account, may vouch for them.
        if target.role == COFACILITATOR and self.member(actor_id).role != FACILITATOR:
            raise RoomError("forbidden", "Only the meeting's owner can confirm a co-facilitator.")
        target.status = ADMITTED
        agreement.mute_on_entry(self, target)
        admitted = LobbyAdmitted(to=ToParticipant(target.id), then=(EnterRoom(target.id),))
        knocks = queue.settle_knocks(self, target, self.member(actor_id))
        events = [self._lobby_event(), *knocks, admitted]
        if target.connection == ONLINE:
            events.append(ParticipantJoined(participant=target.public(), to=ToMeeting()))
        return events

    def admit_all(self, actor_id: str) -> list[Event]:
        """Lets the peers waiting in the lobby in, in the order they knocked. Someone who came
        with the co-facilitator link still waits for the owner's own confirmation (admit)."""
        policy.require_facilitator(self, actor_id)
        waiting = [m for m in self.lobby() if m.role != COFACILITATOR]
        for target in waiting:
            target.status = ADMITTED
            agreement.mute_on_entry(self, target)
        events = [self._lobby_event()]
        for target in waiting:
            events += queue.settle_knocks(self, target, self.member(actor_id))
        for target in waiting:
            events.append(LobbyAdmitted(to=ToParticipant(target.id), then=(EnterRoom(target.id),)))
            if target.connection == ONLINE:
                events.append(ParticipantJoined(participant=target.public(), to=ToMeeting()))
        return events

    def deny(self, actor_id: str, target_id: str) -> list[Event]:
        target = self._lobby_target(actor_id, target_id)
        target.status = DENIED
        target.connection = OFFLINE
        return [
            self._lobby_event(),
            *queue.settle_knocks(self, target, self.member(actor_id)),
            LobbyDenied(
                message=DENIED_MESSAGE,
                to=ToParticipant(target.id),
                then=(Close(target.id, "denied"),),
            ),
        ]

    # --- hands -----------------------------------------------------------------

    def raise_hand(self, participant_id: str) -> list[Event]:
        member = policy.require_present(self, participant_id)
        if member.hand_seq is not None:
            return []
        self.hand_counter += 1
        member.hand_seq = self.hand_counter
        return [self._hands_event()]

    def lower_hand(self, actor_id: str, target_id: str) -> list[Event]:
        policy.require_present(self, actor_id)
        if actor_id != target_id:
            policy.require_facilitator(self, actor_id)
        target = self.member(target_id)
        if target.hand_seq is None:
            return []
        target.hand_seq = None
        return [self._hands_event()]

    # --- roles -----------------------------------------------------------------

    def set_role(self, actor_id: str, target_id: str, role: str) -> list[Event]:
        policy.require_facilitator(self, actor_id)
        if role not in (COFACILITATOR, PEER):
            raise RoomError("invalid_role", "A participant can be made a co-facilitator or a peer.")
        target = policy.require_present(self, target_id)
        if target.role == FACILITATOR:
            raise RoomError("cannot_change_owner", "The meeting's facilitator keeps that role.")
        if target.role == role:
            return []
        target.role = role
        # They see the room afresh with their new powers (the lobby, private chat).
        again = (EnterRoom(target.id, role=role),)
        return [ParticipantUpdated(participant=target.public(), to=ToMeeting(), then=again)]

    # --- chat ------------------------------------------------------------------

    def check_can_chat(self, participant_id: str) -> Member:
        return policy.require_present(self, participant_id)
