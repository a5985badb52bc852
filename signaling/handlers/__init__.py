"""Hand-written handlers for the client messages that are not a rooms/ use-case (media).

Every other message is a row of `signaling/routes.py`. A handler here gets the socket's
`Session` and the parsed message; it may return room events to deliver. Refusals raise
`RoomError` or `ProtocolError`; the consumer turns them into a typed `error`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol


class Session(Protocol):
    """The socket a message came in on, as handlers see it."""

    meeting_id: str
    participant_id: str
    role: str
    in_room: bool

    async def send_message(self, message: dict) -> None: ...
    async def close(self, code: int | None = None) -> None: ...


Handler = Callable[[Session, Any], Awaitable[Any]]

# message type -> handler, filled in by `@handles` when a handler module is imported
HANDLERS: dict[type, Handler] = {}


def handles(*message_types: type):
    def register(handler: Handler) -> Handler:
        for message_type in message_types:
            HANDLERS[message_type] = handler
        return handler

    return register
