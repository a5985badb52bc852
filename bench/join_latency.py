"""Join to first remote video frame, per participant, from the synthetic clients' reports.

A participant counts when someone in its meeting had finished joining (its offer answered)
before it asked to join: there was video to see, as for a person entering a meeting in
progress. Its time runs from its join request (before ICE, DTLS and the relay's offer)
until the first remote video frame a decoder could show (every packet of a keyframe, or
of a frame after one) arrived, on the wall clock all processes share.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable


def join_to_first_video_ms(
    reports: Iterable[dict], meeting_of: Callable[[str], str] = lambda pid: ""
) -> list[float]:
    joins = {
        pid: join
        for report in reports
        for pid, join in zip(report["ids"], report["joins"], strict=True)
    }
    times = []
    for pid, (started, _, _, first_video) in joins.items():
        peers_done = [
            join[2]
            for other, join in joins.items()
            if other != pid and meeting_of(other) == meeting_of(pid) and join[2] is not None
        ]
        if started is None or not any(done < started for done in peers_done):
            continue
        times.append(float("inf") if first_video is None else (first_video - started) * 1000)
    return times


def summary(times: list[float]) -> dict:
    """Median and max in ms (None: nobody joined a meeting in progress; a participant who
    never saw video makes the max null and is counted in ``never``)."""
    seen = [t for t in times if t != float("inf")]
    return {
        "participants": len(times),
        "median_ms": round(statistics.median(seen)) if seen else None,
        "max_ms": round(max(seen)) if seen and len(seen) == len(times) else None,
        "never": len(times) - len(seen),
        "all_ms": sorted(round(t) for t in seen),
    }


STEPS = ("join_ready", "offer_made", "answered", "connected", "relay_offer", "first_video_packet")


def steps_ms(reports: Iterable[dict], meeting_of: Callable[[str], str] = lambda pid: "") -> dict:
    """Where the time goes, median over the participants that count (as above): ms from the
    join request to each step — the worker's join reply, our offer made (ICE gathering),
    the relay's answer applied, ICE + DTLS connected, the relay's offer with the others'
    tracks, the first video packet, the first decodable frame."""
    counted = set()
    joins = {}
    steps = {}
    for report in reports:
        for pid, join, step in zip(report["ids"], report["joins"], report["steps"], strict=True):
            joins[pid], steps[pid] = join, {**step, "answered": join[2], "decodable": join[3]}
    for pid, join in joins.items():
        if any(
            other != pid
            and meeting_of(other) == meeting_of(pid)
            and o[2] is not None
            and join[0] is not None
            and o[2] < join[0]
            for other, o in joins.items()
        ):
            counted.add(pid)
    result = {}
    for name in (*STEPS, "decodable"):
        times = [
            (steps[pid][name] - joins[pid][0]) * 1000
            for pid in counted
            if steps[pid].get(name) is not None
        ]
        result[name] = round(statistics.median(times)) if times else None
    return result
