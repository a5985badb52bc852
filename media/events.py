"""Events the relay emits through its ``on_event`` callback. All are JSON-safe via ``to_dict()``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal

Kind = Literal["audio", "video"]


def as_kind(value: str) -> Kind:
    """aiortc names a transceiver's kind with a plain str; it is always one of these two."""
    if value == "audio":
        return "audio"
    if value == "video":
        return "video"
    raise ValueError(f"not a media kind: {value!r}")


@dataclass(frozen=True)
class RelayEvent:
    type: ClassVar[str] = "event"
    participant: str

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **asdict(self)}


@dataclass(frozen=True)
class TrackLive(RelayEvent):
    """The first packet of ``participant``'s ``kind`` reached the relay."""

    type: ClassVar[str] = "track_live"
    kind: Kind


@dataclass(frozen=True)
class ActiveSpeaker(RelayEvent):
    """``participant`` became the loudest speaker of ``room``."""

    type: ClassVar[str] = "active_speaker"
    room: str


@dataclass(frozen=True)
class ConnectionState(RelayEvent):
    """aiortc connectionState of the participant's peer connection ("failed" means failing)."""

    type: ClassVar[str] = "connection_state"
    state: str


@dataclass(frozen=True)
class Renegotiate(RelayEvent):
    """A relay offer for ``participant``; answer it with ``Relay.answer``.

    ``tracks`` maps each sending MID to whose media it carries, so the client can
    label streams; the msid stream id of each MID is also the publisher's id.
    """

    type: ClassVar[str] = "renegotiate"
    sdp: str
    tracks: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class VideosPaused(RelayEvent):
    """The relay stopped sending ``participant`` these publishers' cameras (and ``screens``)
    because its bandwidth is short (``reason``); empty tuples: all of them flow again.
    Audio is never paused. Emitted when the set changes, not every second."""

    type: ClassVar[str] = "videos_paused"
    cameras: tuple[str, ...]
    screens: tuple[str, ...] = ()
    reason: str = "bandwidth"


@dataclass(frozen=True)
class RelayErrorEvent(RelayEvent):
    """Something failed outside a command call (e.g. a background renegotiation)."""

    type: ClassVar[str] = "error"
    code: str
    detail: str = ""


EVENT_TYPES = (
    TrackLive,
    ActiveSpeaker,
    ConnectionState,
    Renegotiate,
    VideosPaused,
    RelayErrorEvent,
)
