"""Which of a subscriber's videos to keep when its bandwidth budget is short.

A subscriber's videos are ranked: a shared screen first, then the active speaker, then
the videos its page shows largest (``media.tiles``), thumbnails and videos the page does
not show last. In that order each video keeps at least its lowest layer (a single-layer
video: the bitrate it arrives at) while the budget lasts; a video that does not fit is
paused for this subscriber: its slot gets no packets, nothing is renegotiated. A cost is
a stream's median bitrate of the last seconds, so a keyframe's burst pauses nothing. A
paused video resumes, from a keyframe, once it fits with ``RESUME_HEADROOM`` to spare
and has been paused ``pause_min_seconds``, so a budget near the edge does not flap it. A video
that does not fit never takes from a more important one, and a smaller one after it may
still fit. What is left of the budget raises the kept simulcast videos' layers, most
important first. Audio is not in the budget: it is never paused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .events import VideosPaused
from .forwarding import Publication
from .participant import SCREEN, Participant, Slot
from .simulcast import SimulcastPublication, flowing_layers

RESUME_HEADROOM = 1.25

Key = tuple[str, str]  # (publisher, source)
PublicationOf = Callable[[Slot], Publication | None]


@dataclass(frozen=True)
class Video:
    """One video a subscriber receives, as the ranking sees it."""

    key: Key
    screen: bool
    speaker: bool
    area: int  # device pixels the page shows it at; 0: a video it does not show
    order: int  # the relay's order (recent speakers first): ties keep it
    lowest: int  # bits per second it needs at the least

    def rank(self) -> tuple[bool, bool, int, int]:
        return (not self.screen, not self.speaker, -self.area, self.order)


def videos_to_pause(
    videos: list[Video],
    budget: int,
    paused_since: dict[Key, float],
    now: float,
    min_pause: float,
) -> set[Key]:
    """The videos that do not fit ``budget``, most important kept first."""
    remaining = budget
    paused: set[Key] = set()
    for video in sorted(videos, key=Video.rank):
        since = paused_since.get(video.key)
        if since is not None and now - since < min_pause:
            paused.add(video.key)
            continue
        need = video.lowest * RESUME_HEADROOM if since is not None else video.lowest
        if need <= remaining:
            remaining -= video.lowest
        else:
            paused.add(video.key)
    return paused


def allocate(
    participant: Participant,
    publication_of: PublicationOf,
    speaker: str | None,
    min_pause: float,
) -> VideosPaused | None:
    """Pause, resume and choose layers of ``participant``'s videos for its budget; the
    event to tell it with when the set of paused videos changed."""
    now = time.monotonic()
    received = [
        (slot, publication)
        for slot in participant.slots.values()
        if slot.kind == "video" and (publication := publication_of(slot)) is not None
    ]
    tiles = participant.tiles
    for slot, publication in received:
        if isinstance(publication, SimulcastPublication):
            tile = None if tiles is None else tiles.get(slot.publisher, (0, 0))
            publication.prefer(participant.id, tile)
    videos = [_video(i, slot, p, tiles, speaker, now) for i, (slot, p) in enumerate(received)]
    budget = participant.video_budget
    paused = (
        set()
        if budget is None
        else videos_to_pause(videos, budget, participant.paused_since, now, min_pause)
    )
    for slot, publication in received:
        key = (slot.publisher, slot.source)
        if key in paused and not slot.downtrack.paused:
            slot.downtrack.paused = True
            participant.paused_since.setdefault(key, now)
        elif key not in paused and slot.downtrack.paused:
            slot.downtrack.paused = False
            publication.resume(participant.id)
    participant.paused_since = {k: t for k, t in participant.paused_since.items() if k in paused}
    _raise_layers(participant.id, videos, dict(_keyed(received)), budget, paused)
    told = frozenset(paused)
    if told == participant.told_paused:
        return None
    participant.told_paused = told
    return VideosPaused(
        participant.id,
        cameras=tuple(sorted(p for p, source in told if source != SCREEN)),
        screens=tuple(sorted(p for p, source in told if source == SCREEN)),
    )


def _keyed(received: list[tuple[Slot, Publication]]) -> list[tuple[Key, Publication]]:
    return [((slot.publisher, slot.source), publication) for slot, publication in received]


def _video(
    order: int,
    slot: Slot,
    publication: Publication,
    tiles: dict[str, tuple[int, int]] | None,
    speaker: str | None,
    now: float,
) -> Video:
    if isinstance(publication, SimulcastPublication):
        flowing = flowing_layers(publication.layers, now)
        lowest = flowing[0].rates.typical if flowing else 0
    else:
        lowest = publication.rates.typical
    width, height = (tiles or {}).get(slot.publisher, (0, 0))
    return Video(
        key=(slot.publisher, slot.source),
        screen=slot.source == SCREEN,
        speaker=slot.source != SCREEN and slot.publisher == speaker,
        area=width * height,
        order=order,
        lowest=lowest,
    )


def _raise_layers(
    subscriber: str,
    videos: list[Video],
    publications: dict[Key, Publication],
    budget: int | None,
    paused: set[Key],
) -> None:
    """Each kept simulcast video, most important first, gets the highest layer (up to its
    tile's) that what is left of the budget pays for; a paused one waits at its lowest."""
    kept = [v for v in sorted(videos, key=Video.rank) if v.key not in paused]
    spare = None if budget is None else max(0, budget - sum(v.lowest for v in kept))
    for video in sorted(videos, key=Video.rank):
        publication = publications[video.key]
        if not isinstance(publication, SimulcastPublication):
            continue
        if video.key in paused:
            publication.cap(subscriber, video.lowest)
            continue
        publication.cap(subscriber, None if spare is None else video.lowest + spare)
        choice = publication.choices.get(subscriber)
        if spare is not None and choice is not None and choice.target is not None:
            spare -= max(0, choice.target.bitrate - video.lowest)
