"""Screen sharing (rooms/screenshare.py): who shares, who may, and stopping a share."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from rooms.shapes import FacilitatorRole, ScreenshareInfo
from signaling.protocol.base import ERROR_CODES, Message

# --- client -> server ------------------------------------------------------------


class ScreenStart(Message):
    type: Literal["screen.start"]


class ScreenStop(Message):
    type: Literal["screen.stop"]
    participant_id: UUID | None = None  # a facilitator stops someone else's share


class ScreenAllow(Message):
    type: Literal["screen.allow"]
    participant_id: UUID
    allowed: bool


CLIENT_MODELS = (ScreenStart, ScreenStop, ScreenAllow)


# --- server -> client ------------------------------------------------------------


class ScreenshareUpdated(ScreenshareInfo):
    type: Literal["screenshare.updated"]


class ScreenshareStopped(Message):
    type: Literal["screenshare.stopped"]
    reason: Literal["facilitator", "replaced", "revoked", "no_longer_allowed"]
    by_role: FacilitatorRole | None = None
    by_name: str | None = None


SERVER_MODELS = (ScreenshareUpdated, ScreenshareStopped)


ERROR_CODES.update(
    {
        "share_not_permitted": "A facilitator has to allow you to share your screen first.",
        "share_busy": "Someone is sharing their screen; wait until they stop.",
        "share_needs_media": "Sharing a screen needs audio or video; you take part by text.",
    }
)
