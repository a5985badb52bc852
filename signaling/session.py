"""The socket a message came in on, as what a client message does sees it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol


class Session(Protocol):
    meeting_id: str
    participant_id: str
    role: str
    in_room: bool

    async def send_message(self, message: dict) -> None: ...
    async def close(self, code: int | None = None) -> None: ...


# For the client messages that are not a rooms/ use-case (ping, media negotiation).
Handler = Callable[[Session, Any], Awaitable[Any]]
