"""What a subscriber lost of the packets the relay sent it, apart from what never reached
the relay.

The relay forwards a publisher's packets with their sequence numbers (shifted only to
splice layers and resumes), so a packet the publisher's uplink lost is a gap that every
subscriber's receiver report counts as lost. Taken as it is, one person's bad uplink
reads as everyone's congested downlink and pauses their videos. A report's cumulative
loss counts each sequence number up to its highest that did not arrive; the relay knows
which of those it never sent (holes: its ring of recent sends has no packet for them).
So the loss on the way down since the last report is the change in (cumulative lost -
holes), over the packets the relay sent in that span.

Holes are recounted up to ``SETTLE`` sequence numbers back at each report: a late repair
from the publisher fills a hole in the ring and in the subscriber's count alike, so the
two cancel. A packet the relay sent out of order (the publisher's jitter) can be counted
lost by one report and arrive before the next; the next report gives it back
(``_credit``), at most a twentieth of its packets so that a receiver counting duplicates
builds no lasting credit that would hide real loss.
"""

from __future__ import annotations

from collections.abc import Callable

SETTLE = 512  # sequence numbers behind a report's highest: a hole there stays a hole

IsHole = Callable[[int], bool]  # extended sequence number -> the relay never sent it


class DownstreamLoss:
    """One outgoing stream's loss on the way down, from its receiver reports."""

    def __init__(self, ring_size: int) -> None:
        self._ring_size = ring_size  # sequence numbers the relay remembers sending
        self._highest: int | None = None
        self._settled_to = 0  # holes up to here are counted in _settled_holes for good
        self._settled_holes = 0
        self._holes = 0  # holes up to the last report's highest
        self._net_lost = 0  # the last report's cumulative lost minus those holes
        self._credit = 0  # packets counted lost last time that may since have arrived

    def fraction_lost(
        self, highest: int, cumulative_lost: int, reported: int, is_hole: IsHole
    ) -> int:
        """Loss on the way down since the last report, in 1/256 as the report's own field;
        ``reported`` (the report's own fraction) when there is nothing to compare with."""
        last = self._highest
        if last is not None and highest <= last:
            return reported  # nothing new arrived: the estimate ignores such a report
        if last is None or highest - self._settled_to >= self._ring_size:
            self._start(highest, cumulative_lost)
            return reported
        span = [is_hole(seq) for seq in range(self._settled_to + 1, highest + 1)]
        holes = self._settled_holes + sum(span)
        net_lost = cumulative_lost - holes
        sent = (highest - last) - (holes - self._holes)
        lost = net_lost - self._net_lost + self._credit
        self._credit = max(lost, -max(4, sent // 20)) if lost < 0 else 0
        settle = highest - SETTLE - self._settled_to
        if settle > 0:
            self._settled_holes += sum(span[:settle])
            self._settled_to += settle
        self._highest, self._holes, self._net_lost = highest, holes, net_lost
        if sent <= 0:
            return 0
        return min(255, max(0, lost) * 256 // sent)

    def _start(self, highest: int, cumulative_lost: int) -> None:
        self._highest = self._settled_to = highest
        self._settled_holes = self._holes = self._credit = 0
        self._net_lost = cumulative_lost
