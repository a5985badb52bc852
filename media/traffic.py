"""What a relay has moved, as plain running totals the metrics read at scrape time.

Nothing here runs per packet: the forwarding path bumps plain integers on the objects it
already has (Publication, Ingress, Egress); ``Participant.traffic()`` adds them up when
asked, and the relay keeps the totals of connections that closed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Traffic:
    # Per sender, not per forwarded stream: a stream's count would go when its slot is freed.
    packets_out: int = 0  # RTP packets written to subscribers
    bytes_in: int = 0  # RTP payload from publishers
    bytes_out: int = 0  # RTP payload and header extensions to subscribers
    nacks_sent: int = 0  # NACK packets the relay sent to publishers
    nacks_received: int = 0  # packets subscribers asked the relay to send again
    plis_sent: int = 0  # keyframe requests the relay sent to publishers
    plis_received: int = 0  # keyframe requests (PLI/FIR) from subscribers

    def __add__(self, other: Traffic) -> Traffic:
        return Traffic(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))
