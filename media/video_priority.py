"""Which of a subscriber's videos to keep when its bandwidth budget is short.

A subscriber's videos are ranked: a shared screen first, then the active speaker, then
the videos its page shows largest (``media.tiles``), thumbnails and videos the page does
not show last. In that order each video keeps at least its lowest layer (a single-layer
video: the bitrate it arrives at) while the budget lasts; a video that does not fit is
paused for this subscriber: its slot gets no packets, nothing is renegotiated. A cost is
a stream's median bitrate of the last seconds, so a keyframe's burst pauses nothing, and a
playing video stays while ``KEEP_TOLERANCE`` of it fits (under loss the subscriber's
keyframe requests raise a low layer's median by a fifth or more, with no change in what
the link carries). A
paused video resumes, from a keyframe, once it fits with ``RESUME_HEADROOM`` to spare
and has been paused ``pause_min_seconds``, so a budget near the edge does not flap it. One
paused again within ``RETRY_WINDOW`` of resuming (the room it seemed to have was a probe the
link could not carry) waits ``pause_min_seconds`` again the first time (one probe every few
seconds is how a lifted limit is found within seconds) and then twice as long each time, up
to ``MAX_PAUSE``, unless the budget grows to ``CLEAR_HEADROOM`` times its need. A video that does
not fit never takes from a more important one, and a smaller one after it may still fit.
What is left of the budget raises the kept simulcast videos' layers, most important
first. Audio is not in the budget: it is never paused.

Probing, one step at a time: the subscriber's estimate (``media.bandwidth``) grows only
to ``BandwidthEstimate.probe_budget``, the video budget the next step needs, as LiveKit's
stream allocator sets its probe goal to what is committed plus the next transition.
``refresh_probe_budget`` sets it once a second, just before the estimate is updated. It is
what the kept videos' layers take, with ``PROBE_MARGIN`` (their bitrates wobble: a budget
right at their sum would pause one with no loss at all), plus the next step: the most
important paused video whose hold is over, resumed at its lowest layer with
``RESUME_HEADROOM``; while one is paused, nothing else (every video is seen before any is
seen sharper); with none paused and none resumed in the last ``RESUMED_SETTLE`` s (a
resume at the edge of the link shows its loss a second or two late, and a link that has
just taken one more video is not probed again at once), the cheapest raise of
a kept video by one layer (its next layer's bitrate with ``UPGRADE_MARGIN`` and
``PROBE_MARGIN``). While a video waits for the keyframe of the layer it was given the step
is nothing: the last one has not been tried yet. Nothing left to gain: no goal (the
estimate grows freely). So an estimate that grew while little was sent (an app-limited
link shows no loss) never resumes two videos or raises two layers at once onto a link
that carries one. Where the connection carries padding, the estimate probes with it
instead, up to ``probe_ceiling`` (every video resumed on the top layer its tile wants,
with the same margins), and the step is only the least a probe asks for: what padding
showed the link carries may resume and raise several at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from .events import VideosPaused
from .forwarding import Publication
from .participant import SCREEN, Participant, Slot
from .simulcast import (
    UPGRADE_MARGIN,
    Choice,
    Layer,
    SimulcastPublication,
    choose_layer,
    flowing_layers,
    wanted_layer,
)

RESUME_HEADROOM = 1.25
KEEP_TOLERANCE = 0.85  # a playing video stays while this much of its lowest fits
RETRY_WINDOW = 10.0  # seconds after a resume in which a new pause means the resume failed
MAX_PAUSE = 32.0
CLEAR_HEADROOM = 3.0  # a budget this far above a video's need ends a doubled hold early
PROBE_MARGIN = 1.1  # a goal over the bitrates it is made of: they wobble (keyframes)
RESUMED_SETTLE = 4.5  # seconds a resumed video runs before any layer is raised

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
        need = video.lowest * (RESUME_HEADROOM if since is not None else KEEP_TOLERANCE)
        if need <= remaining:
            remaining -= video.lowest
        else:
            paused.add(video.key)
    return paused


def pause_hold(failed_resumes: int, min_pause: float) -> float:
    """How long a video paused now stays paused, after ``failed_resumes`` resumes in a row
    that were paused again within ``RETRY_WINDOW``: ``min_pause`` up to the first, then
    twice as long for each further one, at most ``MAX_PAUSE``."""
    return min(min_pause * 2.0 ** max(0, failed_resumes - 1), MAX_PAUSE)


def allocate(
    participant: Participant,
    publication_of: PublicationOf,
    speaker: str | None,
    min_pause: float,
) -> VideosPaused | None:
    """Pause, resume and choose layers of ``participant``'s videos for its budget; the
    event to tell it with when the set of paused videos changed."""
    now = time.monotonic()
    received = _received(participant, publication_of)
    tiles = participant.tiles
    for slot, publication in received:
        if isinstance(publication, SimulcastPublication):
            tile = None if tiles is None else tiles.get(slot.publisher, (0, 0))
            publication.prefer(participant.id, tile)
    videos = [_video(i, slot, p, tiles, speaker, now) for i, (slot, p) in enumerate(received)]
    budget = participant.video_budget
    holds = {k: pause_hold(n, min_pause) for k, n in participant.failed_resumes.items()}
    paused = (
        set()
        if budget is None
        else videos_to_pause(videos, budget, participant.paused_since, now, min_pause, holds)
    )
    resumed_at = participant.resumed_at
    for slot, publication in received:
        key = (slot.publisher, slot.source)
        if key in paused and not slot.downtrack.paused:
            slot.downtrack.paused = True
            participant.paused_since.setdefault(key, now)
            failed = key in resumed_at and now - resumed_at[key] < RETRY_WINDOW
            failures = participant.failed_resumes.get(key, 0) + 1 if failed else 0
            participant.failed_resumes[key] = failures
        elif key not in paused and slot.downtrack.paused:
            slot.downtrack.paused = False
            resumed_at[key] = now
            publication.resume(participant.id)
    participant.paused_since = {k: t for k, t in participant.paused_since.items() if k in paused}
    participant.resumed_at = {k: t for k, t in resumed_at.items() if now - t < RETRY_WINDOW}
    participant.failed_resumes = {
        k: n
        for k, n in participant.failed_resumes.items()
        if k in paused or k in participant.resumed_at
    }
    publications = dict(_keyed(received))
    _raise_layers(participant.id, videos, publications, budget, paused)
    participant.bandwidth.probe_budget = _probe_budget(
        participant, videos, publications, paused, now, min_pause
    )
    participant.bandwidth.probe_ceiling = (
        None if budget is None else _ceiling(participant.id, videos, publications)
    )
    told = frozenset(paused)
    if told == participant.told_paused:
        return None
    participant.told_paused = told
    return VideosPaused(
        participant.id,
        cameras=tuple(sorted(p for p, source in told if source != SCREEN)),
        screens=tuple(sorted(p for p, source in told if source == SCREEN)),
    )


def refresh_probe_budget(
    participant: Participant, publication_of: PublicationOf, speaker: str | None, min_pause: float
) -> None:
    """``participant``'s next step as its videos are now (once a second, just before its
    estimate is updated: a layer given a second ago has usually arrived since)."""
    now = time.monotonic()
    received = _received(participant, publication_of)
    tiles = participant.tiles
    videos = [_video(i, slot, p, tiles, speaker, now) for i, (slot, p) in enumerate(received)]
    paused = {(slot.publisher, slot.source) for slot, _ in received if slot.downtrack.paused}
    publications = dict(_keyed(received))
    participant.bandwidth.probe_budget = _probe_budget(
        participant, videos, publications, paused, now, min_pause
    )
    participant.bandwidth.probe_ceiling = _ceiling(participant.id, videos, publications)


def _received(
    participant: Participant, publication_of: PublicationOf
) -> list[tuple[Slot, Publication]]:
    return [
        (slot, publication)
        for slot in participant.slots.values()
        if slot.kind == "video" and (publication := publication_of(slot)) is not None
    ]


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


def _probe_budget(
    participant: Participant,
    videos: list[Video],
    publications: dict[Key, Publication],
    paused: set[Key],
    now: float,
    min_pause: float,
) -> int | None:
    """The video budget the next step needs: what the kept videos' layers take (with
    ``PROBE_MARGIN``) plus the most important resumable video's lowest (with headroom),
    or with none paused plus the cheapest raise by one layer; just what they take while
    one still waits for its layer or a paused one for its hold; None: nothing to gain."""
    used = 0
    raises: list[int] = []
    waiting = False
    for video in videos:
        if video.key in paused:
            continue
        publication = publications[video.key]
        if not isinstance(publication, SimulcastPublication):
            used += video.lowest
            continue
        choice = publication.choices.get(participant.id)
        target = choice.target if choice is not None else None
        if choice is None or target is None:
            used += video.lowest
            continue
        taking = max(video.lowest, target.rates.typical)
        used += taking
        downtrack = publication.downtracks.get(participant.id)
        waiting |= choice.current is not target or bool(downtrack and downtrack.waiting_keyframe)
        above = _next_layer(publication, choice, now)
        if above is not None:
            rate = max(above.rates.typical, above.bitrate)
            raises.append(max(0, int(rate * UPGRADE_MARGIN * PROBE_MARGIN) - taking))
    resumable = [
        v
        for v in sorted(videos, key=Video.rank)
        if v.key in paused
        and now - participant.paused_since.get(v.key, now)
        >= pause_hold(participant.failed_resumes.get(v.key, 0), min_pause)
    ]
    keep = int(used * PROBE_MARGIN)  # what they take wobbles: no pause at the goal's edge
    if waiting:
        return keep
    if resumable:
        return keep + int(resumable[0].lowest * RESUME_HEADROOM)
    if paused:  # a video seen at all before one seen sharper: raises wait for its hold
        return keep
    if any(now - at < RESUMED_SETTLE for at in participant.resumed_at.values()):
        return keep  # a resume fits for a while before anything rises on top of it
    return keep + min(raises) if raises else None


def _ceiling(
    subscriber: str, videos: list[Video], publications: dict[Key, Publication]
) -> int | None:
    """The video budget every video needs on the top layer its tile wants (with the
    margins a step up is given), paused ones resumed: what a padding probe may ask for
    at most (``BandwidthEstimate.probe_ceiling``); None: no video. A layer the publisher
    stopped because nobody could take it counts at what it took while sent: a ceiling
    of the flowing layers would never probe room for it, and the publisher sends it
    again only once a budget has that room (``media.publisher_rate``)."""
    total = 0
    for video in videos:
        publication = publications[video.key]
        choice = (
            publication.choices.get(subscriber)
            if isinstance(publication, SimulcastPublication)
            else None
        )
        if choice is None or not isinstance(publication, SimulcastPublication):
            total += int(video.lowest * RESUME_HEADROOM)
            continue
        top = wanted_layer(publication.layers, replace(choice, budget=None))
        rate = max(top.rates.typical, top.sent_bitrate) or video.lowest
        total += int(rate * UPGRADE_MARGIN * PROBE_MARGIN)
    return total or None


def _next_layer(publication: SimulcastPublication, choice: Choice, now: float) -> Layer | None:
    """The flowing layer one above ``choice``'s target, if its tile wants more."""
    flowing = flowing_layers(publication.layers, now)
    top = choose_layer(publication.layers, replace(choice, budget=None), now)
    if choice.target not in flowing or top not in flowing:
        return None
    at = flowing.index(choice.target)
    return flowing[at + 1] if at < flowing.index(top) else None
