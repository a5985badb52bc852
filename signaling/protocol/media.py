"""Media negotiation with the relay: offers, answers, ICE candidates and the relay's events."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from signaling.protocol.base import ERROR_CODES, Message

MAX_SDP_CHARS = 60_000


class MediaJoin(Message):
    type: Literal["media.join"]
    receive_video: bool = True


class MediaOfferIn(Message):
    type: Literal["media.offer"]
    sdp: str = Field(min_length=1, max_length=MAX_SDP_CHARS)


class MediaAnswerIn(Message):
    type: Literal["media.answer"]
    sdp: str = Field(min_length=1, max_length=MAX_SDP_CHARS)


class IceCandidate(Message):
    candidate: str = Field(max_length=1000)
    sdpMid: str | None = Field(default=None, max_length=64)  # the browser's field names
    sdpMLineIndex: int | None = Field(default=None, ge=0, le=1000)


class MediaCandidate(Message):
    type: Literal["media.candidate"]
    candidate: IceCandidate | None


class MediaLeave(Message):
    type: Literal["media.leave"]


class MediaSet(Message):
    """How you take part from now on; rooms/ decides (rooms.moderation.set_mode)."""

    type: Literal["media.set"]
    mode: Literal["text_only", "audio", "video"]


MAX_TILES = 64
MAX_TILE_PIXELS = 8192


class TileSize(Message):
    width: int = Field(ge=0, le=MAX_TILE_PIXELS)
    height: int = Field(ge=0, le=MAX_TILE_PIXELS)


class MediaTiles(Message):
    """The size (device pixels) the page renders each participant's video at, so the relay
    sends a small simulcast layer to a thumbnail and the full one to the speaker view."""

    type: Literal["media.tiles"]
    tiles: dict[str, TileSize] = Field(max_length=MAX_TILES)

    @field_validator("tiles")
    @classmethod
    def _participant_ids(cls, tiles: dict[str, TileSize]) -> dict[str, TileSize]:
        for key in tiles:
            if not 1 <= len(key) <= 64:
                raise ValueError("a tile is keyed by a participant id")
        return tiles


class MediaIceRefresh(Message):
    """Fresh TURN credentials, asked for before the last ones expire."""

    type: Literal["media.ice"]


CLIENT_MODELS = (
    MediaJoin, MediaOfferIn, MediaAnswerIn, MediaCandidate, MediaLeave, MediaSet,
    MediaIceRefresh, MediaTiles,
)  # fmt: skip


class IceServerInfo(Message):
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class MediaReady(Message):
    type: Literal["media.ready"]
    ice_servers: list[IceServerInfo]
    publish_audio: bool
    publish_video: bool
    receive_video: bool
    ice_ttl_seconds: int | None = None  # when the TURN credentials expire; None: no TURN


class MediaAnswerOut(Message):
    type: Literal["media.answer"]
    sdp: str


class TrackInfo(Message):
    participant_id: str
    kind: Literal["audio", "video"]
    source: Literal["microphone", "camera", "screen"]  # a screen is a second video


class MediaOfferOut(Message):
    type: Literal["media.offer"]
    sdp: str
    tracks: dict[str, TrackInfo]


class MediaTrack(Message):
    type: Literal["media.track"]
    participant_id: str
    kind: Literal["audio", "video"]


class MediaSpeaker(Message):
    type: Literal["media.speaker"]
    participant_id: str


class MediaPaused(Message):
    """Whose videos the relay has stopped sending you, and why; empty lists: none."""

    type: Literal["media.paused"]
    participant_ids: list[str]  # their cameras
    screens: list[str]  # their shared screens
    reason: Literal["bandwidth"]


class MediaState(Message):
    type: Literal["media.state"]
    state: Literal["new", "connecting", "connected", "disconnected", "failed", "closed"]


class MediaStopped(Message):
    type: Literal["media.stopped"]


class MediaRestart(Message):
    type: Literal["media.restart"]


class MediaIce(Message):
    type: Literal["media.ice"]
    ice_servers: list[IceServerInfo]
    ice_ttl_seconds: int | None = None


SERVER_MODELS = (
    MediaReady, MediaAnswerOut, MediaOfferOut, MediaTrack, MediaSpeaker, MediaState,
    MediaStopped, MediaRestart, MediaIce, MediaPaused,
)  # fmt: skip

ERROR_CODES.update(
    {
        "media_not_started": "Send media.join before offers, answers or candidates.",
        "bad_sdp": "The session description could not be used.",
        "bad_candidate": "The ICE candidate could not be used.",
        "negotiation_in_progress": "Answer the server's offer first, then send yours again.",
        "unexpected_answer": "There is no offer from the server to answer.",
        "connection_closed": "Your media connection closed; send media.join to start again.",
        "negotiation_failed": "The server could not update your media; send media.join again.",
        "media_unavailable": "Audio and video are not available right now; chat still works.",
    }
)
