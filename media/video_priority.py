"""Which of a subscriber's videos to keep when its bandwidth budget is short.

A subscriber's videos are ranked: a shared screen first, then the active speaker, then
the videos its page shows largest (``media.tiles``), thumbnails and videos the page does
not show last. In that order each video keeps at least its lowest layer (a single-layer
video: the bitrate it arrives at) while the budget lasts; a video that does not fit is
paused for this subscriber: its slot gets no packets, nothing is renegotiated. A cost is
a stream's median bitrate of the last seconds, so a keyframe's burst pauses nothing. A
paused video resumes, from a keyframe, once it fits with ``RESUME_HEADROOM`` to spare
and has been paused ``pause_min_seconds``, so a budget near the edge does not flap it. One
paused again within ``RETRY_WINDOW`` of resuming (the room it seemed to have was a probe the
link could not carry) waits twice as long as the last time, up to ``MAX_PAUSE``, unless the
budget grows to ``CLEAR_HEADROOM`` times its need (the limit was lifted). A video that does
not fit never takes from a more important one, and a smaller one after it may still fit.
What is left of the budget raises the kept simulcast videos' layers, most important
first. Audio is not in the budget: it is never paused.
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
RETRY_WINDOW = 10.0  # seconds after a resume in which a new pause means the resume failed
MAX_PAUSE = 32.0
CLEAR_HEADROOM = 3.0  # a budget this far above a video's need ends a doubled hold early

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
    holds: dict[Key, float] | None = None,
) -> set[Key]:
    """The videos that do not fit ``budget``, most important kept first; a paused one
    stays paused its hold (``holds``, else ``min_pause``)."""
    remaining = budget
    paused: set[Key] = set()
    for video in sorted(videos, key=Video.rank):
        since = paused_since.get(video.key)
        hold = (holds or {}).get(video.key, min_pause)
        if since is not None and now - since < hold:
            clearly_fits = now - since >= min_pause and video.lowest * CLEAR_HEADROOM <= remaining
            if not clearly_fits:
                paused.add(video.key)
                continue
        need = video.lowest * RESUME_HEADROOM if since is not None else video.lowest
        if need <= remaining:
            remaining -= video.lowest
        else:
            paused.add(video.key)
    return paused


def pause_hold(last: float | None, resumed_at: float | None, now: float, min_pause: float) -> float:
    """How long a video being paused now stays paused: ``min_pause``, or twice its ``last``
    hold (at most ``MAX_PAUSE``) when it was resumed less than ``RETRY_WINDOW`` ago."""
    if last is None or resumed_at is None or now - resumed_at >= RETRY_WINDOW:
        return min_pause
    return min(2 * last, MAX_PAUSE)


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
        else videos_to_pause(
            videos, budget, participant.paused_since, now, min_pause, participant.pause_holds
        )
    )
    resumed_at = participant.resumed_at
    for slot, publication in received:
        key = (slot.publisher, slot.source)
        if key in paused and not slot.downtrack.paused:
            slot.downtrack.paused = True
            participant.paused_since.setdefault(key, now)
            participant.pause_holds[key] = pause_hold(
                participant.pause_holds.get(key), resumed_at.get(key), now, min_pause
            )
        elif key not in paused and slot.downtrack.paused:
            slot.downtrack.paused = False
            resumed_at[key] = now
            publication.resume(participant.id)
    participant.paused_since = {k: t for k, t in participant.paused_since.items() if k in paused}
    participant.resumed_at = {k: t for k, t in resumed_at.items() if now - t < RETRY_WINDOW}
    participant.pause_holds = {
        k: hold
        for k, hold in participant.pause_holds.items()
        if k in paused or k in participant.resumed_at
    }
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
