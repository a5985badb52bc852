"""What every protocol module shares: the message base class and the error registry."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

PROTOCOL_VERSION = 1
# Room for an SDP answer to a relay offer with ~24 m-lines (a 12-person meeting).
MAX_FRAME_BYTES = 64 * 1024


class Message(BaseModel):
    # strict: a JSON string is never read as a boolean or a number, a number never as a
    # string; a client that sends the wrong type gets invalid_message and nothing changes.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# Each feature module adds its own codes; docs/protocol.md lists them all.
ERROR_CODES: dict[str, str] = {}

CLOSE_CODES = {
    4400: "handshake missing or malformed, or handshake timeout",
    4401: "unknown or expired participant token",
    4403: "turned away from the lobby",
    4404: "no such meeting",
    4408: "no message for 45 seconds",
    4409: "the same participant connected from another socket",
    4410: "the participant left the meeting",
    4411: "removed from the meeting by a facilitator",
    4412: "the meeting has ended",
    4500: "a temporary failure on the server; reconnect",
    4503: "the server is restarting; reconnect now",
}


class ProtocolError(Exception):
    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail or ERROR_CODES[code]
