"""Media relay: forwards encoded audio/video between participants, never transcodes.

The only package in the project that imports aiortc, av or aioice. See media/README.md.
"""

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
]
