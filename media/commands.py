"""What travels to a media worker: one command per dataclass, and its plain-dict wire form.

Kept apart from worker.py so that a web process that only sends commands (production, where
the worker is a process of its own) never imports the relay, and with it aiortc.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Join:
    meeting_id: str
    participant_id: str
    receive_video: bool = True


@dataclass(frozen=True)
class Offer:
    meeting_id: str
    participant_id: str
    sdp: str


@dataclass(frozen=True)
class Answer:
    meeting_id: str
    participant_id: str
    sdp: str


@dataclass(frozen=True)
class Candidate:
    meeting_id: str
    participant_id: str
    candidate: dict[str, Any] | None  # {candidate, sdpMid, sdpMLineIndex}, as the client sent it


@dataclass(frozen=True)
class Tiles:
    """The sizes the participant's page renders each publisher's video at."""

    meeting_id: str
    participant_id: str
    tiles: dict[str, tuple[int, int]]


@dataclass(frozen=True)
class Leave:
    meeting_id: str
    participant_id: str


@dataclass(frozen=True)
class Sync:
    """The meeting's plans changed: converge every member's connection on them."""

    meeting_id: str


@dataclass(frozen=True)
class Rejoin:
    """The meeting was moved to this worker from one that failed or stopped."""

    meeting_id: str


Command = Join | Offer | Answer | Candidate | Tiles | Leave | Sync | Rejoin


def command_message(
    meeting_id: str, op: str, participant_id: str | None = None, **data: Any
) -> dict[str, Any]:
    """A command as it travels over a channel (a plain dict, so any channel layer carries it)."""
    return {
        "type": "media.command",
        "op": op,
        "meeting_id": str(meeting_id),
        "participant_id": participant_id,
        **data,
    }


def parse_command(message: dict[str, Any]) -> Command:
    meeting_id = message["meeting_id"]
    op = message.get("op")
    if op == "sync":
        return Sync(meeting_id)
    if op == "rejoin":
        return Rejoin(meeting_id)
    pid = message.get("participant_id")
    if not isinstance(pid, str):
        raise ValueError(f"media command {op!r} needs a participant id")
    match op:
        case "join":
            return Join(meeting_id, pid, bool(message.get("receive_video", True)))
        case "offer":
            return Offer(meeting_id, pid, message["sdp"])
        case "answer":
            return Answer(meeting_id, pid, message["sdp"])
        case "candidate":
            return Candidate(meeting_id, pid, message.get("candidate"))
        case "tiles":
            return Tiles(meeting_id, pid, _tiles(message.get("tiles")))
        case "leave":
            return Leave(meeting_id, pid)
        case _:
            raise ValueError(f"unknown media command {op!r}")


def _tiles(value: Any) -> dict[str, tuple[int, int]]:
    if not isinstance(value, dict):
        raise ValueError("tiles must map participant ids to [width, height]")
    tiles = {}
    for pid, size in value.items():
        if not (isinstance(size, (list, tuple)) and len(size) == 2):
            raise ValueError("a tile is [width, height]")
        if not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in size):
            raise ValueError("a tile's width and height are non-negative integers")
        tiles[str(pid)] = (size[0], size[1])
    return tiles
