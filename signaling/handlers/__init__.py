"""What each client message does, one module per feature.

A handler gets the socket's `Session` and the parsed message and returns the room
events to deliver (after the commit). Refusals raise `RoomError` or `ProtocolError`;
the consumer turns them into a typed `error`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from channels.db import database_sync_to_async

from rooms import services, state


class Session(Protocol):
    """The socket a message came in on, as handlers see it."""

    meeting_id: str
    participant_id: str
    role: str
    in_room: bool

    async def send_message(self, message: dict) -> None: ...
    async def close(self, code: int | None = None) -> None: ...


Handler = Callable[[Session, Any], Awaitable[list[state.Event]]]


@dataclass(frozen=True)
class Route:
    handler: Handler
    # Chat has its own, tighter bucket on top of the per-frame one.
    chat_bucket: bool = False


ROUTES: dict[type, Route] = {}

# Called with the session each time it enters the room (after `room.state`), to send a
# feature's own state.
ENTER_HOOKS: list[Callable[[Session], Awaitable[None]]] = []


def handles(*message_types: type, chat_bucket: bool = False):
    def register(handler: Handler) -> Handler:
        for message_type in message_types:
            ROUTES[message_type] = Route(handler, chat_bucket)
        return handler

    return register


def on_enter(hook: Callable[[Session], Awaitable[None]]):
    ENTER_HOOKS.append(hook)
    return hook


_room_apply = database_sync_to_async(services.room_apply)


async def apply(session: Session, operation) -> list[state.Event]:
    """Runs a pure room operation on the session's meeting in one locked transaction."""
    return await _room_apply(meeting_id=session.meeting_id, operation=operation)


def optional_id(value) -> str | None:
    return str(value) if value is not None else None


def load() -> dict[type, Route]:
    # Importing the feature modules registers their handlers.
    from signaling.handlers import breakouts, checkins, core, facilitation, media  # noqa: F401

    return ROUTES
