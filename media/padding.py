"""Padding towards one subscriber while its estimate probes for more room
(``BandwidthEstimate.padding_bps``): padding-only RTX packets on one of its video
senders, spread over the second in small bursts as a pacer spreads them, so that a probe
fills a queue the way the videos it asks room for would."""

from __future__ import annotations

import asyncio
import time

from .participant import Participant

INTERVAL = 0.02  # seconds between bursts: 50 a second, a few packets each


async def pad(participant: Participant) -> None:
    """Send ``participant``'s padding until its estimate stops asking for it (a probe
    confirmed, failed or stopped by a report) or it leaves."""
    if participant.padding:
        return
    participant.padding = True
    try:
        await _pad(participant)
    finally:
        participant.padding = False


async def _pad(participant: Participant) -> None:
    bandwidth = participant.bandwidth
    owed = 0.0
    last = time.monotonic()
    while not participant.closed and bandwidth.padding_bps > 0:
        # one that has carried video: its stream is the one the receiver surely knows
        ready = [e for e in participant.egresses if e.can_pad]
        egress = next((e for e in ready if e.last_seq is not None), ready[0] if ready else None)
        if egress is None:
            return
        now = time.monotonic()
        rate = bandwidth.padding_bps
        owed = min(owed + rate * (now - last), rate * INTERVAL * 2)  # no catching up
        last = now
        owed -= egress.send_padding(int(owed))
        await asyncio.sleep(INTERVAL)
