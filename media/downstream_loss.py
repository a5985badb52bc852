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

A hole stays open to a late repair for ``SETTLE`` sequence numbers: the repair fills it
in the ring and in the subscriber's count alike, so the two cancel. A packet the relay sent out of order (the publisher's jitter) can be counted
lost by one report and arrive before the next; the next report gives it back
(``_credit``), at most a twentieth of its packets so that a receiver counting duplicates
builds no lasting credit that would hide real loss.
"""

from __future__ import annotations

from collections.abc import Sequence

SETTLE = 512  # sequence numbers behind a report's highest: a hole there stays a hole

# the relay's recent sends: at slot (sequence number % its length) the 16-bit sequence
# number of the packet last sent there, first in a tuple (Egress.send_times)
SendRing = Sequence[tuple[int, object]]


class DownstreamLoss:
    """One outgoing stream's loss on the way down, from its receiver reports."""

    def __init__(self, ring_size: int) -> None:
        assert ring_size & (ring_size - 1) == 0 and ring_size > SETTLE  # a power of two
        self._mask = ring_size - 1
        self._highest: int | None = None
        self._settled_holes = 0  # holes more than SETTLE behind a report's highest
        self._holes: set[int] = set()  # the newer ones, which a late repair may still fill
        self._net_lost = 0  # the last report's cumulative lost minus the holes up to it
        self._credit = 0  # packets counted lost last time that may since have arrived

    def fraction_lost(
        self, highest: int, cumulative_lost: int, reported: int, ring: SendRing
    ) -> int:
        """Loss on the way down since the last report, in 1/256 as the report's own field;
        ``reported`` (the report's own fraction) when there is nothing to compare with."""
        last = self._highest
        if last is not None and highest <= last:
            return reported  # nothing new arrived: the estimate ignores such a report
        if last is None or highest - last > self._mask - SETTLE:
            self._start(highest, cumulative_lost)
            return reported
        mask, holes = self._mask, self._holes
        before = len(holes)
        # only what is new since the last report and the holes still open are looked at:
        # this runs for every stream's every report
        filled = {seq for seq in holes if ring[seq & mask][0] == seq & 0xFFFF}
        holes -= filled
        holes.update(
            seq for seq in range(last + 1, highest + 1) if ring[seq & mask][0] != seq & 0xFFFF
        )
        net_lost = cumulative_lost - self._settled_holes - len(holes)
        sent = (highest - last) - (len(holes) - before)
        lost = net_lost - self._net_lost + self._credit
        self._credit = max(lost, -max(4, sent // 20)) if lost < 0 else 0
        settled = {seq for seq in holes if seq <= highest - SETTLE}
        holes -= settled
        self._settled_holes += len(settled)
        self._highest, self._net_lost = highest, net_lost
        if sent <= 0:
            return 0
        return min(255, max(0, lost) * 256 // sent)

    def _start(self, highest: int, cumulative_lost: int) -> None:
        self._highest = highest
        self._settled_holes = self._credit = 0
        self._holes = set()
        self._net_lost = cumulative_lost
