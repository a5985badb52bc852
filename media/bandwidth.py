"""How many bits per second one subscriber's connection carries: an estimate from what
the subscriber tells the relay over RTCP, with GCC's loss rules (plain Python, no sockets).

Inputs, per connection: receiver reports (fraction lost and the highest sequence number,
per stream, with when the relay sent that packet and the stream's bits up to it: the
``Egress`` keeps both for its last packets), REMB (Chromium with goog-remb, aiortc with
abs-send-time) and, once a second, how many bits the relay has sent on the connection
and the last sequence number of each stream (``update``).

The queue: a report's trip is the time from sending its highest packet to the report
arriving; over the fastest trip of the last ``TRIP_BASELINE`` s (the path itself), the
fastest trip of a second is how long packets wait in a queue on the way. A queue fills
before it loses anything (a home router's holds a fraction of a second to seconds),
so it says a step up does not fit a second or more before loss does, and it says
whether loss is an overload going on or one that has ended.

A report's loss counts only when it covers less than ``REPORT_SILENCE`` of sending: a
receiver that makes a report as its link comes back, before new packets arrive, tells
the highest number it had before the outage, so the next report, a moment later, spans
the whole outage. Its loss is the outage, not a queue; the time between the two reports'
arrival does not show it, the sequence numbers the relay sent in between do.

Transport-wide congestion control feedback is not used: aiortc cannot negotiate
transport-cc, so no subscriber would send it unless the relay's offers carried it; then
every outgoing packet would need a transport-wide sequence number written by the send
path and a send-time history to match feedback against, a delay-based estimator on top.
REMB is the same receiver-side delay estimate, already computed by the subscriber.

The rules, once a second (``update``), on the reports that arrived since the last one:

- loss above ``LOSS_HIGH`` (10 %): the estimate drops to what got through, the rate
  the receiver reports say arrived (the bits of the packets each report covers, as the
  relay sent them, less the loss), ``QUEUE_DRAIN`` (0.85) of it if a queue is building
  (what got through left a queue: less, so that it drains), or ``sent x (1 - loss)``
  before that is known. When a queue overflows
  (loss >> 10 %) the delivered rate is the link's capacity, reached in one step instead
  of four or five seconds of halvings. Reports lag up to a second: loss while more got
  through than the estimate is the tail of an overload already corrected (or a burst),
  and so is loss reported as a standing queue vanishes (a limit lifted): both change
  nothing; unless the relay still sends more than the estimate ``OVERSHOOT_AFTER`` s
  after setting it (the costs the allocator counted ran over: a subscriber losing
  packets asks for keyframes and resends), when the estimate is scaled down by
  estimate / sent, so that the budget pauses what overshot;
- loss of ``LOSS_LOW`` (2 %) or more, or a queue over ``QUEUE_BUILDING`` (150 ms; it
  shows before any loss), within ``PROBE_SETTLED`` s of the last step up: the step did
  not fit, and the estimate goes back to where that step began at once (first: the
  loss of a step that overflowed the queue is the step's, not the link's);
- a queue over 150 ms a second old that is not draining, with some loss (or, without
  any, over ``QUEUE_LOSSLESS``: a deep buffer that drops nothing still holds each packet
  that long, and people hear each other late), at least the hold after the last decrease
  (reports lag what a decrease brought): the link is full at a loss under 10 %, and the
  estimate drops to ``QUEUE_DRAIN`` of what got through;
- a REMB below ``REMB_APP_LIMITED`` x sent is a ceiling: the subscriber's own delay
  estimate says the link is (nearly) full. A REMB above it says nothing about the
  link: receivers cap REMB at 1.5 x what they receive, so it only follows the relay.
  Nor does one whose last change was up (the receiver catching up with what reaches
  it, ~8 % a second in Chromium), nor one unchanged since the current step began: it
  was made before the step's packets arrived, and while a video is paused the
  receiver's estimate stands still (Chromium under load said 169k, the video paused,
  and the same 169k came every second after);
- loss below ``LOSS_LOW`` (2 %), no decrease for the hold, and no queue over 150 ms
  nor one over ``QUEUE_CLEAR`` (50 ms) that rises: the estimate grows, one step at a
  time (the queue of a step that does not fit shows before the next). No reports to
  measure loss on, from a subscriber whose REMBs still arrive (its videos paused, it
  reports on audio every 5 s), is no news of congestion: it grows the same. Between
  the two: it holds.

How it grows: a link carrying less than its estimate (app-limited: videos paused, low
layers) shows no loss whatever the estimate, so growth by a factor a second would run
far past the link while little is sent, and then resume everything at once. Instead the
allocator (``media.video_priority``) sets ``probe_budget``, the video budget its next
step needs (one paused video resumed, or one video one layer up), and the estimate
rises to what was sent last second plus that step (``goal``: the same budget, counted
on the wire as ``video_budget`` counts it) and no higher. That step is the probe: its
packets either fit (no queue, no loss: the next step a second later) or fill the queue
and lose, and the estimate goes back to where that step began (``PROBE_SETTLED``). This
is LiveKit's stream allocator rule (probe goal: committed bitrate plus the next
transition), and libwebrtc's rule that an application-limited estimate may not run ahead
of what is sent (its AIMD caps at 1.5 x the acknowledged rate, which a step of ~4x could
never pass). With no step to take (``probe_budget`` None: every video on its top layer)
it grows ``GROWTH`` a second as before.

Where the connection carries padding the probe is padding instead of the step
(``media.padding_probe``).

No estimate (``None``: no cap) until the first congestion; it becomes ``None`` again
when it grows past ``NO_LIMIT``.

The numbers: a probe that does not fit costs about a second of loss. After a decrease the
estimate holds ``HOLD_AFTER_DECREASE`` = 3 s, ``HOLD_AFTER_FAILED_PROBE`` = 4 s when the
decrease undid a step (a limit that lasts: one failed step per ~5-6 s); then one step a
second while each fits (a step waits for its layer's keyframe), so after a limit is lifted
the top layer is back within that hold plus a second or so a step (resume, then q -> h and
h -> f per video): 4-8 s for two videos at 300 kbit/s. Layer hysteresis lives with the layer choice
(``media.simulcast.UPGRADE_MARGIN``).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from .padding_probe import PADDING_TAIL, UNANSWERED, PaddingProbe
from .rtp_sequence import at_or_after

LOSS_HIGH = 0.10
LOSS_LOW = 0.02
GROWTH = 1.5  # per second, while loss is low and the hold is over
HOLD_AFTER_DECREASE = 3.0  # seconds
HOLD_AFTER_FAILED_PROBE = 4.0  # seconds, after a decrease that follows growth
REMB_APP_LIMITED = 1.3  # a REMB this many times what was sent does not cap
REMB_FRESH = 3.0  # seconds a REMB counts for
PROBE_SETTLED = 3.0  # seconds of growth without a decrease: the step up fitted
MIN_ESTIMATE = 64_000
NO_LIMIT = 20_000_000  # estimates above this are no limit at all
MIN_PACKETS = 10  # fewer packets reported lost or received say nothing about loss
REPORT_SILENCE = 3.0  # a report covering this long (arrival or sending) covers an outage
SENT_SAMPLES = 12  # per stream, once a second: when the relay had sent which sequence number
QUEUE_BUILDING = 0.15  # seconds of queueing (over the fastest trip seen): the link is full
QUEUE_CLEAR = 0.05  # seconds of queueing under which the estimate may grow, rising or not
QUEUE_LOSSLESS = 0.3  # seconds of queueing that stands for a full link with no loss at all
QUEUE_DRAIN = 0.85  # a queue that stays: below what got through, so that it drains
OVERSHOOT_AFTER = 1.5  # seconds after a decrease before sending over it counts
TRIP_BASELINE = 30  # seconds (updates) the fastest trip is taken over: longer than a queue lasts


@dataclass
class _Stream:
    highest_sequence: int
    at: float
    bits: int | None  # the stream's wire bits sent up to highest_sequence


class BandwidthEstimate(PaddingProbe):
    """One subscriber connection's estimate; ``estimate`` is bits per second or None."""

    def __init__(self) -> None:
        self.estimate: int | None = None
        self.loss: float | None = None  # over the last update's reports
        self.sent_bps = 0
        self.reserved_bps = 0  # of sent_bps, what is not video payload (audio, headers)
        self.video_headers_bps = 0  # of reserved_bps, the video packets' headers
        self.decreases = 0
        self.probe_budget: int | None = None  # the allocator's next step; None: none
        # the video budget with every video resumed on the top layer its tile wants
        self.probe_ceiling: int | None = None
        PaddingProbe.__init__(self)
        self._streams: dict[int, _Stream] = {}
        self._lost = 0.0
        self._expected = 0
        self._remb: tuple[int, float] | None = None
        self._remb_rose = False  # its last change was up: the receiver is catching up
        self._remb_changed_at = -1e9  # when it last changed value
        self._sent_bits: tuple[int, int, int] | None = None
        self._updated_at: float | None = None
        self._decreased_at = -1e9
        self._hold = HOLD_AFTER_DECREASE
        self._grew = False  # since the last decrease
        self._probe: tuple[int, float] | None = None  # estimate before growth, when it began
        self._packet_bits: dict[int, float] = {}  # per stream, over the last update
        self._sent_by_stream: dict[int, tuple[int, int]] = {}
        self._received_bps: dict[int, tuple[float, float]] = {}  # per stream: rate, when
        self._sent_sequences: dict[int, deque[tuple[float, int]]] = {}  # per stream: when, last
        self.queued: float | None = None  # seconds, over the last update's reports
        self._trip: float | None = None  # since the last update: the fastest report's
        self._fastest_trips: deque[float] = deque(maxlen=TRIP_BASELINE)
        self._queued_before: float | None = None

    def on_report(
        self,
        ssrc: int,
        fraction_lost: int,
        highest_sequence: int,
        sent: tuple[float, int] | None = None,
        now: float | None = None,
    ) -> None:
        """One receiver report block about an outgoing stream (fraction lost in 1/256);
        ``sent``: when the relay sent the highest sequence number it tells of, and the
        stream's wire bits up to it."""
        now = time.monotonic() if now is None else now
        stream = self._streams.get(ssrc)
        if stream is not None and highest_sequence == stream.highest_sequence:
            # nothing reached the subscriber since (its link is down one way, or the video
            # is paused): the report that shows packets again spans that gap, so it is
            # measured from the last one that showed progress, and ignored after silence
            return
        sent_at, sent_bits = sent if sent is not None else (None, None)
        self._streams[ssrc] = _Stream(highest_sequence, now, sent_bits)
        if stream is None or now - stream.at > REPORT_SILENCE:
            return
        if self._sending_between(ssrc, stream.highest_sequence, highest_sequence) > REPORT_SILENCE:
            # the last report was stale (made before the packets sent just before an outage
            # arrived, or while the link was coming back): this one covers the outage
            return
        expected = highest_sequence - stream.highest_sequence
        if expected <= 0 or now <= stream.at:
            return
        if sent_at is not None and now >= sent_at:
            self._trip = now - sent_at if self._trip is None else min(self._trip, now - sent_at)
            if self._padding is not None and sent_at >= self._padding[1]:
                trip = now - sent_at
                full = trip - min(self._fastest_trips, default=trip) > QUEUE_BUILDING
                self._padded_report(ssrc, stream.highest_sequence, expected, fraction_lost, full)
        self._expected += expected
        self._lost += expected * fraction_lost / 256
        if sent_bits is not None and stream.bits is not None and sent_bits > stream.bits:
            # the packets this report covers, as sent (after a layer switch the relay's
            # packets of the last second are not the size of the ones reported on)
            covered = sent_bits - stream.bits
        elif (packet_bits := self._packet_bits.get(ssrc)) is not None:
            covered = int(expected * packet_bits)
        else:
            return
        received = covered * (1 - fraction_lost / 256)
        self._received_bps[ssrc] = (received / (now - stream.at), now)

    def _sending_between(self, ssrc: int, first: int, last: int) -> float:
        """Seconds at least between the relay sending sequence number ``first`` and
        ``last`` of a stream (0: not known), from the once-a-second samples."""
        samples = self._sent_sequences.get(ssrc, ())
        first_sent_by = next((at for at, seq in samples if at_or_after(seq, first)), None)
        last_unsent_at = [at for at, seq in samples if not at_or_after(seq, last)]
        if first_sent_by is None or not last_unsent_at:
            return 0.0
        return last_unsent_at[-1] - first_sent_by

    def received_bps(self, now: float) -> int | None:
        """What the subscriber says reached it, bits per second on the wire (the streams'
        latest receiver reports by the relay's recent packet sizes); None: not known."""
        rates = [r for r, at in self._received_bps.values() if now - at <= REPORT_SILENCE]
        return int(sum(rates)) if rates else None

    def on_remb(self, bits_per_second: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if self._remb is None or bits_per_second != self._remb[0]:
            self._remb_rose = self._remb is not None and bits_per_second > self._remb[0]
            self._remb_changed_at = now
        self._remb = (bits_per_second, now)

    @property
    def video_budget(self) -> int | None:
        """What the videos' payload may use: the estimate less audio, and less the video
        packets' headers in the share they had of video last second (a share, not the
        bits: leaving a high layer's many packets, their headers go with them)."""
        if self.estimate is None:
            return None
        audio = self.reserved_bps - self.video_headers_bps
        payload = self.sent_bps - self.reserved_bps
        share = payload / (payload + self.video_headers_bps) if payload > 0 else 1.0
        return max(1, int((self.estimate - audio) * share))

    def goal(self, video_budget: int) -> int:
        """The estimate whose ``video_budget`` is ``video_budget``: what was sent last
        second with the videos' payload at ``video_budget`` and their headers in the same
        share."""
        audio = self.reserved_bps - self.video_headers_bps
        payload = self.sent_bps - self.reserved_bps
        share = payload / (payload + self.video_headers_bps) if payload > 0 else 1.0
        return audio + int(video_budget / share)

    def update(
        self,
        sent_bits: int,
        reserved_bits: int = 0,
        now: float | None = None,
        streams: dict[int, tuple[int, int]] | None = None,
        video_headers_bits: int = 0,
        sequences: dict[int, int] | None = None,
    ) -> int | None:
        """Once a second: bits sent on this connection so far (wire size), and of them
        the ones that are not video payload, and of those the video packets' headers;
        per outgoing stream (SSRC) its bits and packets so far, and the last sequence
        number sent; returns the estimate."""
        now = time.monotonic() if now is None else now
        for ssrc, sequence in (sequences or {}).items():
            self._sent_sequences.setdefault(ssrc, deque(maxlen=SENT_SAMPLES)).append(
                (now, sequence)
            )
        for ssrc, (bits, packets) in (streams or {}).items():
            before_bits, before_packets = self._sent_by_stream.get(ssrc, (0, 0))
            if packets > before_packets:
                self._packet_bits[ssrc] = (bits - before_bits) / (packets - before_packets)
            self._sent_by_stream[ssrc] = (bits, packets)
        previous, previous_at = self._sent_bits, self._updated_at
        self._sent_bits = (sent_bits, reserved_bits, video_headers_bits)
        self._updated_at = now
        if previous is None or previous_at is None or now <= previous_at:
            return self.estimate
        elapsed = now - previous_at
        sent = self.sent_bps = int((sent_bits - previous[0]) / elapsed)
        self.reserved_bps = int((reserved_bits - previous[1]) / elapsed)
        self.video_headers_bps = int((video_headers_bits - previous[2]) / elapsed)
        reported_before = self.loss is not None
        self.loss = self._lost / self._expected if self._expected >= MIN_PACKETS else None
        self._lost, self._expected = 0.0, 0
        self.queued = self._queued()
        queue_building = self.queued is not None and self.queued > QUEUE_BUILDING
        before, self._queued_before = self._queued_before, self.queued
        # growth waits for a queue to drain, and while one rises (a step up's packets
        # are still arriving)
        queue_rising = self.queued is not None and (
            queue_building
            or (self.queued > QUEUE_CLEAR and (before is None or self.queued > before))
        )
        # a queue a second old that is not draining (a draining one loses a third of the
        # threshold a second at least) and overflows: the link is full (unless a decrease
        # was just made: reports lag the rate it brought)
        queue_stays = (
            queue_building
            and now - self._decreased_at >= HOLD_AFTER_DECREASE
            and before is not None
            and before > QUEUE_BUILDING
            and self.queued is not None
            and self.queued > before - QUEUE_BUILDING / 3
            # a loaded receiver answers late too, but not a third of a second for seconds
            and (bool(self.loss) or min(before, self.queued) > QUEUE_LOSSLESS)
        )
        remb = self._remb[0] if self._remb and now - self._remb[1] <= REMB_FRESH else None
        probe = self._probe
        probing_since = probe[1] if probe is not None and now - probe[1] <= PROBE_SETTLED else None
        # the subscriber still speaks: a REMB since the last update (none comes over a link
        # that is down)
        alive = self._remb is not None and self._remb[1] > previous_at
        # a receiver's estimate only moves while video reaches it: one unchanged since this
        # step began was made before it (while the video was paused, it stays as it was)
        stale = probing_since is not None and self._remb_changed_at < probing_since
        remb_binds = (
            remb is not None
            and remb < REMB_APP_LIMITED * sent
            and not self._remb_rose
            and not stale
        )
        # a standing queue gone within a second: what filled it stopped (a limit lifted),
        # and loss reported now happened before
        queue_vanished = (
            before is not None
            and before > QUEUE_BUILDING
            and self.queued is not None
            and self.queued < QUEUE_CLEAR
        )
        probing = probing_since is not None
        padding = self._padding
        # a padding probe goes by the loss of packets sent while it ran: reports lag,
        # and the ones on packets sent before it (a limit just lifted) are not about it
        loss = self.loss if padding is None else self._padded_loss_rate(MIN_PACKETS)
        # what a failed padding probe overflowed shows a second late: not the link's
        probe_tail = now - self._padding_failed_at < PADDING_TAIL
        if (padding is not None and self._padding_stopped) or (
            probing and (queue_building or (loss is not None and loss >= LOSS_LOW))
        ):
            # loss, or packets waiting in a queue (a deep queue loses nothing for seconds),
            # since the last step up (or a padding probe that stopped itself on a report
            # saying so): it did not fit, back to where it began at once
            self._undo_step(now)
        elif probe_tail and (queue_building or self.loss or remb_binds):
            pass  # a failed padding probe's queue, loss, and REMB made while it lasted
        elif self.loss is not None and self.loss > LOSS_HIGH and not queue_vanished:
            received = self.received_bps(now)
            if received is not None and queue_building:
                received = int(received * QUEUE_DRAIN)  # what got through left a queue
            if received is None:
                self._decrease(int(sent * (1 - self.loss)), now)
            elif self.estimate is None or received < self.estimate:
                self._decrease(received, now)
            elif sent > self.estimate and now - self._decreased_at >= OVERSHOOT_AFTER:
                # the estimate is about the link, but the relay has sent more than it for
                # a second since it was set (what the videos it kept cost ran over: the
                # keyframes and resends loss brings): a budget that much smaller
                self._decrease(int(self.estimate * self.estimate / sent), now)
            # else more got through than the estimate: this loss is the tail of an
            # overload already corrected (reports lag up to a second), or a burst
        elif queue_stays and (received := self.received_bps(now)) is not None:
            # a full link whose queue does not drain (its loss may stay under LOSS_HIGH)
            drained = int(received * QUEUE_DRAIN)
            if self.estimate is None or drained < self.estimate:
                self._decrease(drained, now)
        elif remb_binds:
            assert remb is not None
            if self.estimate is None or remb < self.estimate:
                self._decrease(remb, now)
            # a binding REMB at or above the estimate: it holds
        elif (
            self.estimate is not None
            # no receiver reports to measure loss on (a paused video's subscriber reports
            # on audio every 5 s): no news of congestion from a subscriber that is there;
            # nor, for a padding probe, before a report on its own packets has come
            and (loss < LOSS_LOW if loss is not None else alive or padding is not None)
            and not queue_rising
            and now - self._decreased_at >= self._hold
        ):
            # padding is judged by the reports on what is sent with it: video, or without
            # any (all paused) audio reported on every second (aiortc). A subscriber that
            # reports less often (Chromium, 2.5-7.5 s apart on audio alone; it stops its
            # REMB once padding comes) gets the step as the probe, which brings video back
            judged = (
                self.sent_bps > self.reserved_bps
                or (reported_before and self.loss is not None)
                or padding is not None
            )
            padding = None  # taken up here, whatever becomes of it
            if judged and (target := self._padding_target()) is not None:
                self._probe_with_padding(target, sent, now)
            else:
                self._padding, self.padding_bps = None, 0
                if self.probe_budget is None:
                    grown = int(self.estimate * GROWTH**elapsed)
                    if self._probe is None:
                        self._probe = (self.estimate, now)
                else:
                    grown = max(self.estimate, self.goal(self.probe_budget))
                    if grown > self.estimate:  # a step: undone alone if it does not fit
                        self._probe = (self.estimate, now)
                self.estimate = None if grown > NO_LIMIT else grown
            self._grew = True
            if self.estimate is None or now - self._decreased_at >= self._hold + PROBE_SETTLED:
                self._hold = HOLD_AFTER_DECREASE  # growth that lasted: no limit near
        if padding is not None and self._padding is padding:
            if queue_rising and not queue_building and now - padding[1] < UNANSWERED:
                # a queue under QUEUE_BUILDING that rose: the next reports tell whether
                # the probe fills it (it crosses QUEUE_BUILDING and stops the probe) or
                # it was a late answer (a loaded receiver's reports wobble by 50-90 ms)
                pass
            else:
                # a probe neither confirmed nor still growing (held, no reports): it did
                # not show the room it asked for
                self._undo_step(now)
        return self.estimate

    def _queued(self) -> float | None:
        """How much longer than the fastest trip of the last seconds the fastest report of
        the last update took (the highest packet it tells of: sent to reported back)."""
        trip, self._trip = self._trip, None
        if trip is None:
            return None
        self._fastest_trips.append(trip)
        return trip - min(self._fastest_trips)

    def _undo_step(self, now: float) -> None:
        """The last step up (or padding probe) did not fit: back to where it began."""
        self._decrease(self._probe[0] if self._probe else self.estimate or 0, now)

    def _decrease(self, bits_per_second: int, now: float) -> None:
        self._end_padding(now)
        if self._grew:  # a step up did not fit: the limit lasts, probe it less often
            self._hold = HOLD_AFTER_FAILED_PROBE
        self._grew = False
        self._probe = None
        self._decreased_at = now  # congestion, even where the estimate is already lower
        if self.estimate is None or bits_per_second < self.estimate:
            self.estimate = max(MIN_ESTIMATE, bits_per_second)
            self.decreases += 1
