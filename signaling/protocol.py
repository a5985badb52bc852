"""The WebSocket protocol's message types, parsed only at the consumer edge.

docs/protocol.md describes every message here; tests/signaling/test_protocol_doc.py
fails when the two disagree.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 16 * 1024


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- client -> server ------------------------------------------------------------


class Hello(_Message):
    type: Literal["hello"]
    version: int
    token: str = Field(min_length=1, max_length=200)


class Ping(_Message):
    type: Literal["ping"]


class Pong(_Message):
    type: Literal["pong"]


class ChatSend(_Message):
    type: Literal["chat.send"]
    text: str = Field(max_length=4000)
    audience: Literal["room", "facilitators"] = "room"


class HandRaise(_Message):
    type: Literal["hand.raise"]


class HandLower(_Message):
    type: Literal["hand.lower"]
    participant_id: UUID | None = None


class LobbyAdmit(_Message):
    type: Literal["lobby.admit"]
    participant_id: UUID


class LobbyDeny(_Message):
    type: Literal["lobby.deny"]
    participant_id: UUID


class RoleSet(_Message):
    type: Literal["role.set"]
    participant_id: UUID
    role: Literal["cofacilitator", "peer"]


class Leave(_Message):
    type: Literal["leave"]


ClientMessage = Annotated[
    Hello
    | Ping
    | Pong
    | ChatSend
    | HandRaise
    | HandLower
    | LobbyAdmit
    | LobbyDeny
    | RoleSet
    | Leave,
    Field(discriminator="type"),
]
_CLIENT_MODELS = (
    Hello, Ping, Pong, ChatSend, HandRaise, HandLower, LobbyAdmit, LobbyDeny, RoleSet, Leave,
)  # fmt: skip
_client_adapter: TypeAdapter[Any] = TypeAdapter(ClientMessage)


# --- server -> client ------------------------------------------------------------


class ParticipantInfo(_Message):
    id: str
    name: str
    role: Literal["facilitator", "cofacilitator", "peer"]
    media: Literal["camera_mic", "text_only"]
    connection: Literal["online", "reconnecting", "offline"]
    hand_raised: bool


class ChatInfo(_Message):
    id: int
    sender_id: str
    sender_name: str
    audience: Literal["room", "facilitators"]
    text: str
    sent_at: str


class MeetingInfo(_Message):
    id: str
    title: str


class Welcome(_Message):
    type: Literal["welcome"]
    version: int
    participant_id: str
    role: Literal["facilitator", "cofacilitator", "peer"]
    status: Literal["lobby", "admitted"]
    meeting: MeetingInfo
    heartbeat_seconds: float


class LobbyWaiting(_Message):
    type: Literal["lobby.waiting"]
    message: str


class LobbyAdmitted(_Message):
    type: Literal["lobby.admitted"]


class LobbyDenied(_Message):
    type: Literal["lobby.denied"]
    message: str


class LobbyUpdated(_Message):
    type: Literal["lobby.updated"]
    lobby: list[ParticipantInfo]


class RoomState(_Message):
    type: Literal["room.state"]
    you: str
    participants: list[ParticipantInfo]
    hands: list[str]
    chat: list[ChatInfo]
    lobby: list[ParticipantInfo] | None = None


class ParticipantJoined(_Message):
    type: Literal["participant.joined"]
    participant: ParticipantInfo


class ParticipantUpdated(_Message):
    type: Literal["participant.updated"]
    participant: ParticipantInfo


class ParticipantLeft(_Message):
    type: Literal["participant.left"]
    participant_id: str
    reason: Literal["left", "timeout"]


class HandsUpdated(_Message):
    type: Literal["hands.updated"]
    queue: list[str]


class ChatMessageOut(_Message):
    type: Literal["chat.message"]
    message: ChatInfo


class ServerPing(_Message):
    type: Literal["ping"]


class ServerPong(_Message):
    type: Literal["pong"]


class Error(_Message):
    type: Literal["error"]
    code: str
    message: str
    ref: str | None = None


_SERVER_MODELS = (
    Welcome, LobbyWaiting, LobbyAdmitted, LobbyDenied, LobbyUpdated, RoomState,
    ParticipantJoined, ParticipantUpdated, ParticipantLeft, HandsUpdated, ChatMessageOut,
    ServerPing, ServerPong, Error,
)  # fmt: skip
ServerMessage = Annotated[
    Welcome
    | LobbyWaiting
    | LobbyAdmitted
    | LobbyDenied
    | LobbyUpdated
    | RoomState
    | ParticipantJoined
    | ParticipantUpdated
    | ParticipantLeft
    | HandsUpdated
    | ChatMessageOut
    | ServerPing
    | ServerPong
    | Error,
    Field(discriminator="type"),
]
_server_adapter: TypeAdapter[Any] = TypeAdapter(ServerMessage)


def _literal_type(model: type[BaseModel]) -> str:
    return model.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]


SERVER_TYPES = frozenset(_literal_type(m) for m in _SERVER_MODELS)

# --- errors ----------------------------------------------------------------------

ERROR_CODES = {
    "bad_json": "The frame was not a JSON object.",
    "unknown_type": "The message type is not part of the protocol.",
    "invalid_message": "The message has missing, extra or wrongly typed fields.",
    "frame_too_large": "The frame is larger than 16 KiB.",
    "rate_limited": "Too many messages in a short time; wait a moment.",
    "handshake_required": "The first message on a socket must be hello.",
    "already_handshaken": "hello was already accepted on this socket.",
    "unsupported_version": "The client speaks a protocol version the server does not.",
    "forbidden": "Only a facilitator can do that.",
    "not_found": "That participant is not in this meeting.",
    "not_in_lobby": "That person is not waiting in the lobby.",
    "not_admitted": "You are not in the meeting room yet.",
    "invalid_role": "A participant can be made a co-facilitator or a peer.",
    "cannot_change_owner": "The meeting's facilitator keeps that role.",
    "empty_message": "A message needs some text.",
    "message_too_long": "Messages can be at most 2,000 characters.",
    "internal": "The server could not do that; nothing was changed.",
}

CLOSE_CODES = {
    4400: "handshake missing or malformed, or handshake timeout",
    4401: "unknown or expired participant token",
    4403: "turned away from the lobby",
    4404: "no such meeting",
    4408: "no message for 45 seconds",
    4409: "the same participant connected from another socket",
    4410: "the participant left the meeting",
}


CLIENT_TYPES = frozenset(_literal_type(m) for m in _CLIENT_MODELS)


class ProtocolError(Exception):
    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail or ERROR_CODES[code]


def parse_client_frame(text: str) -> Any:
    """Turns one text frame into a client message or raises ProtocolError."""
    if len(text.encode()) > MAX_FRAME_BYTES:
        raise ProtocolError("frame_too_large")
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError("bad_json") from None
    if not isinstance(raw, dict):
        raise ProtocolError("bad_json")
    if raw.get("type") not in CLIENT_TYPES:
        raise ProtocolError("unknown_type")
    try:
        return _client_adapter.validate_python(raw)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"][1:]) or "?" for e in exc.errors()})
        raise ProtocolError(
            "invalid_message", f"Check these fields: {', '.join(fields)}."
        ) from None


def server_message(type_: str, **data: Any) -> dict:
    """Validates an outgoing message against its model; a wrong shape is a bug, so it raises."""
    message = _server_adapter.validate_python({"type": type_, **data})
    return message.model_dump(mode="json", exclude_none=True)


def error_message(code: str, detail: str | None = None, ref: str | None = None) -> dict:
    return server_message("error", code=code, message=detail or ERROR_CODES[code], ref=ref)


def json_dumps(message: dict) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)
