"""Media relay: forwards encoded audio/video between participants, never transcodes.

The only package in the project that imports aiortc, av or aioice. See media/README.md.

The names below load on first use: a process that only routes commands to a worker
elsewhere (media.routing, media.commands) never imports aiortc.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_HOMES = {
    "IceServer": "config",
    "RelayConfig": "config",
    **dict.fromkeys(
        [
            "ERROR_CODES",
            "AlreadyJoined",
            "BadCandidate",
            "BadSdp",
            "ConnectionClosed",
            "MediaError",
            "NegotiationInProgress",
            "RelayClosed",
            "UnexpectedAnswer",
            "UnknownParticipant",
        ],
        "errors",
    ),
    **dict.fromkeys(
        [
            "EVENT_TYPES",
            "ActiveSpeaker",
            "ConnectionState",
            "RelayErrorEvent",
            "RelayEvent",
            "Renegotiate",
            "TrackLive",
            "VideosPaused",
        ],
        "events",
    ),
    "Relay": "relay",
    "RelayStats": "relay",
}

if TYPE_CHECKING:
    from .config import IceServer, RelayConfig
    from .errors import (
        ERROR_CODES,
        AlreadyJoined,
        BadCandidate,
        BadSdp,
        ConnectionClosed,
        MediaError,
        NegotiationInProgress,
        RelayClosed,
        UnexpectedAnswer,
        UnknownParticipant,
    )
    from .events import (
        EVENT_TYPES,
        ActiveSpeaker,
        ConnectionState,
        RelayErrorEvent,
        RelayEvent,
        Renegotiate,
        TrackLive,
        VideosPaused,
    )
    from .relay import Relay, RelayStats

__all__ = [
    "ERROR_CODES",
    "EVENT_TYPES",
    "ActiveSpeaker",
    "AlreadyJoined",
    "BadCandidate",
    "BadSdp",
    "ConnectionClosed",
    "ConnectionState",
    "IceServer",
    "MediaError",
    "NegotiationInProgress",
    "Relay",
    "RelayClosed",
    "RelayConfig",
    "RelayErrorEvent",
    "RelayEvent",
    "RelayStats",
    "Renegotiate",
    "TrackLive",
    "UnexpectedAnswer",
    "UnknownParticipant",
    "VideosPaused",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'media' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{home}", __name__), name)
