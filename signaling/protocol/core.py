"""Session, lobby, roles, hands and chat: the messages of protocol version 1's core."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from rooms.shapes import (
    AttentionInfo,
    ChatInfo,
    GoroundInfo,
    ParticipantInfo,
    ScreenshareInfo,
    SupportInfo,
)
from signaling.protocol.base import ERROR_CODES, Message
from signaling.protocol.facilitation import BreakoutsState, RoomSettings

# --- client -> server ------------------------------------------------------------


class Hello(Message):
    type: Literal["hello"]
    version: int
    token: str = Field(min_length=1, max_length=200)
    # the client reads a frame holding a JSON array of messages (docs/protocol.md, Connection)
    batch: bool = False


class Ping(Message):
    type: Literal["ping"]


class Pong(Message):
    type: Literal["pong"]


class ChatSend(Message):
    type: Literal["chat.send"]
    text: str = Field(max_length=4000)
    audience: Literal["room", "facilitators"] = "room"
    # The sender's own id for this message: a resend with the same id is not stored twice.
    client_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    # audience "facilitators" only: the peer whose private thread with the facilitators this
    # joins (a facilitator's reply to one person); a peer's own thread needs no id.
    thread_id: UUID | None = None
    content_note: str | None = Field(default=None, max_length=200)


class ChatRemove(Message):
    """A facilitator removes a chat message for everyone (a tombstone stays)."""

    type: Literal["chat.remove"]
    message_id: int = Field(ge=1)


class HelpRequest(Message):
    """Asking the facilitators for help, from the main room or a breakout."""

    type: Literal["help.request"]
    note: str = Field(default="", max_length=4000)


class HandRaise(Message):
    type: Literal["hand.raise"]


class HandLower(Message):
    type: Literal["hand.lower"]
    participant_id: UUID | None = None


class LobbyAdmit(Message):
    type: Literal["lobby.admit"]
    participant_id: UUID


class LobbyAdmitAll(Message):
    type: Literal["lobby.admit_all"]


class LobbyDeny(Message):
    type: Literal["lobby.deny"]
    participant_id: UUID


class RoleSet(Message):
    type: Literal["role.set"]
    participant_id: UUID
    role: Literal["cofacilitator", "peer"]


class Leave(Message):
    type: Literal["leave"]
    hand_over_to: UUID | None = None  # a facilitator leaving makes this person co-facilitator


CLIENT_MODELS = (
    Hello, Ping, Pong, ChatSend, ChatRemove, HelpRequest, HandRaise, HandLower, LobbyAdmit, LobbyAdmitAll, LobbyDeny, RoleSet, Leave,
)  # fmt: skip


# --- server -> client ------------------------------------------------------------


class MeetingInfo(Message):
    id: str
    title: str


class Welcome(Message):
    type: Literal["welcome"]
    version: int
    participant_id: str
    role: Literal["facilitator", "cofacilitator", "peer"]
    status: Literal["lobby", "admitted"]
    meeting: MeetingInfo
    heartbeat_seconds: float


class LobbyWaiting(Message):
    type: Literal["lobby.waiting"]
    message: str


class LobbyAdmitted(Message):
    type: Literal["lobby.admitted"]


class LobbyDenied(Message):
    type: Literal["lobby.denied"]
    message: str


class LobbyUpdated(Message):
    type: Literal["lobby.updated"]
    lobby: list[ParticipantInfo]


class RoomState(Message):
    type: Literal["room.state"]
    you: str
    participants: list[ParticipantInfo]
    hands: list[str]
    chat: list[ChatInfo]
    settings: RoomSettings
    breakouts: BreakoutsState
    lobby: list[ParticipantInfo] | None = None
    attention: list[AttentionInfo] | None = None  # facilitators only
    support: SupportInfo | None = None  # peers: their own "I need support"
    goround: GoroundInfo | None = None
    screenshare: ScreenshareInfo | None = None  # absent: nobody shares or may share yet


class ParticipantJoined(Message):
    type: Literal["participant.joined"]
    participant: ParticipantInfo


class ParticipantUpdated(Message):
    type: Literal["participant.updated"]
    participant: ParticipantInfo


class ParticipantLeft(Message):
    type: Literal["participant.left"]
    participant_id: str
    reason: Literal["left", "timeout", "removed"]


class HandsUpdated(Message):
    type: Literal["hands.updated"]
    queue: list[str]


class ChatMessageOut(Message):
    type: Literal["chat.message"]
    message: ChatInfo


class ChatAck(Message):
    type: Literal["chat.ack"]
    client_id: str
    message_id: int


class ChatRemoved(Message):
    type: Literal["chat.removed"]
    message_id: int


class ServerPing(Message):
    type: Literal["ping"]


class ServerPong(Message):
    type: Literal["pong"]


class Error(Message):
    type: Literal["error"]
    code: str
    message: str
    ref: str | None = None


SERVER_MODELS = (
    Welcome, LobbyWaiting, LobbyAdmitted, LobbyDenied, LobbyUpdated, RoomState,
    ParticipantJoined, ParticipantUpdated, ParticipantLeft, HandsUpdated, ChatMessageOut,
    ChatAck, ChatRemoved, ServerPing, ServerPong, Error,
)  # fmt: skip


ERROR_CODES.update(
    {
        "bad_json": "The frame was not a JSON object.",
        "unknown_type": "The message type is not part of the protocol.",
        "invalid_message": "The message has missing, extra or wrongly typed fields.",
        "frame_too_large": "The frame is larger than 64 KiB.",
        "rate_limited": "Too many messages in a short time; wait a moment.",
        "handshake_required": "The first message on a socket must be hello.",
        "already_handshaken": "hello was already accepted on this socket.",
        "too_many_connections": (
            "Too many connections from this network in a short time; trying again shortly."
        ),
        "unsupported_version": "The client speaks a protocol version the server does not.",
        "forbidden": "Only a facilitator can do that.",
        "not_found": "That participant is not in this meeting.",
        "not_in_lobby": "That person is not waiting in the lobby.",
        "not_admitted": "You are not in the meeting room yet.",
        "invalid_role": "A participant can be made a co-facilitator or a peer.",
        "cannot_change_owner": "The meeting's facilitator keeps that role.",
        "empty_message": "A message needs some text.",
        "message_too_long": "Messages can be at most 2,000 characters.",
        "content_note_too_long": "A content note can be at most 60 characters.",
        "thread_is_private": "A message in a private thread goes to the facilitators only.",
        "not_your_thread": "You can write privately only to the facilitators, in your own thread.",
        "not_a_peer": "Private threads are between one peer and the facilitators.",
        "internal": "The server could not do that; nothing was changed.",
    }
)
