"""How many bits per second one subscriber's connection carries: an estimate from what
the subscriber tells the relay over RTCP, with GCC's loss rules (plain Python, no sockets).

Inputs, per connection: receiver reports (fraction lost and the highest sequence number,
per stream), REMB (Chromium with goog-remb, aiortc with abs-send-time) and, once a
second, how many bits the relay has sent on the connection (``update``).

Transport-wide congestion control feedback is not used: aiortc cannot negotiate
transport-cc, so no subscriber would send it unless the relay's offers carried it; then
every outgoing packet would need a transport-wide sequence number written by the send
path and a send-time history to match feedback against, a delay-based estimator on top.
REMB is the same receiver-side delay estimate, already computed by the subscriber.

The rules, once a second (``update``), on the reports that arrived since the last one:

- loss above ``LOSS_HIGH`` (10 %): the estimate drops to what got through,
  ``sent x (1 - loss)``. GCC multiplies by (1 - loss/2), which is about the same for
  loss near 10 %; when a queue overflows (loss >> 10 %) the delivered rate is the link's
  capacity, reached in one step instead of four or five seconds of halvings;
- a REMB below ``REMB_APP_LIMITED`` x sent is a ceiling: the subscriber's own delay
  estimate says the link is (nearly) full. A REMB above it says nothing about the
  link: receivers cap REMB at 1.5 x what they receive, so it only follows the relay;
- loss below ``LOSS_LOW`` (2 %) and no decrease for ``HOLD_AFTER_DECREASE`` seconds:
  the estimate grows by ``GROWTH`` a second. Between the two: it holds.

No estimate (``None``: no cap) until the first congestion; it becomes ``None`` again
when it grows past ``NO_LIMIT``. Growing past the next layer's bitrate is how the relay
probes: it forwards that layer, and loss (or a REMB) within a second says if it fits.

The numbers: a probe that does not fit costs about a second of loss, so after any
decrease the estimate holds ``HOLD_AFTER_DECREASE`` = 8 s (a limit that lasts costs one
failed step per ~10 s, and a limit just imposed is not probed while it settles); then
growing 50 % a second crosses each simulcast layer (about 4x apart) in 3-4 s. After a
limit is lifted the top layer is back within 8 s + 3-5 s at worst, about 5 s when
the lift comes after the hold. Layer hysteresis lives with the layer choice
(``media.simulcast.UPGRADE_MARGIN``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

LOSS_HIGH = 0.10
LOSS_LOW = 0.02
GROWTH = 1.5  # per second, while loss is low and the hold is over
HOLD_AFTER_DECREASE = 8.0  # seconds
REMB_APP_LIMITED = 1.3  # a REMB this many times what was sent does not cap
REMB_FRESH = 3.0  # seconds a REMB counts for
MIN_ESTIMATE = 64_000
NO_LIMIT = 20_000_000  # estimates above this are no limit at all
MIN_PACKETS = 10  # fewer packets reported lost or received say nothing about loss
REPORT_SILENCE = 3.0  # a stream's first report after this long covers an outage, not a queue


@dataclass
class _Stream:
    highest_sequence: int
    at: float


class BandwidthEstimate:
    """One subscriber connection's estimate; ``estimate`` is bits per second or None."""

    def __init__(self) -> None:
        self.estimate: int | None = None
        self.loss: float | None = None  # over the last update's reports
        self.sent_bps = 0
        self.reserved_bps = 0  # of sent_bps, what is not video payload (audio, headers)
        self.decreases = 0
        self._streams: dict[int, _Stream] = {}
        self._lost = 0.0
        self._expected = 0
        self._remb: tuple[int, float] | None = None
        self._sent_bits: tuple[int, int] | None = None
        self._updated_at: float | None = None
        self._decreased_at = -1e9

    def on_report(
        self, ssrc: int, fraction_lost: int, highest_sequence: int, now: float | None = None
    ) -> None:
        """One receiver report block about an outgoing stream (fraction lost in 1/256)."""
        now = time.monotonic() if now is None else now
        stream = self._streams.get(ssrc)
        self._streams[ssrc] = _Stream(highest_sequence, now)
        if stream is None or now - stream.at > REPORT_SILENCE:
            return
        expected = highest_sequence - stream.highest_sequence
        if expected <= 0:
            return
        self._expected += expected
        self._lost += expected * fraction_lost / 256

    def on_remb(self, bits_per_second: int, now: float | None = None) -> None:
        self._remb = (bits_per_second, time.monotonic() if now is None else now)

    @property
    def video_budget(self) -> int | None:
        """What the videos' payload may use: the estimate less audio and packet headers."""
        if self.estimate is None:
            return None
        return max(1, self.estimate - self.reserved_bps)

    def update(
        self, sent_bits: int, reserved_bits: int = 0, now: float | None = None
    ) -> int | None:
        """Once a second: bits sent on this connection so far (wire size), and of them
        the ones that are not video payload; returns the estimate."""
        now = time.monotonic() if now is None else now
        previous, previous_at = self._sent_bits, self._updated_at
        self._sent_bits, self._updated_at = (sent_bits, reserved_bits), now
        if previous is None or previous_at is None or now <= previous_at:
            return self.estimate
        elapsed = now - previous_at
        sent = self.sent_bps = int((sent_bits - previous[0]) / elapsed)
        self.reserved_bps = int((reserved_bits - previous[1]) / elapsed)
        self.loss = self._lost / self._expected if self._expected >= MIN_PACKETS else None
        self._lost, self._expected = 0.0, 0
        remb = self._remb[0] if self._remb and now - self._remb[1] <= REMB_FRESH else None
        if self.loss is not None and self.loss > LOSS_HIGH:
            self._decrease(int(sent * (1 - self.loss)), now)
        elif remb is not None and remb < REMB_APP_LIMITED * sent:
            if self.estimate is None or remb < self.estimate:
                self._decrease(remb, now)
            # a binding REMB at or above the estimate: it holds
        elif (
            self.estimate is not None
            and self.loss is not None
            and self.loss < LOSS_LOW
            and now - self._decreased_at >= HOLD_AFTER_DECREASE
        ):
            grown = int(self.estimate * GROWTH**elapsed)
            self.estimate = None if grown > NO_LIMIT else grown
        return self.estimate

    def _decrease(self, bits_per_second: int, now: float) -> None:
        self._decreased_at = now  # congestion, even where the estimate is already lower
        if self.estimate is None or bits_per_second < self.estimate:
            self.estimate = max(MIN_ESTIMATE, bits_per_second)
            self.decreases += 1
