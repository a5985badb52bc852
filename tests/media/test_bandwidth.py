"""The per-subscriber bandwidth estimate's rules (media/bandwidth.py), on made-up RTCP."""

import itertools

from media.bandwidth import (
    GROWTH,
    HOLD_AFTER_DECREASE,
    HOLD_AFTER_FAILED_PROBE,
    LOSS_HIGH,
    MIN_ESTIMATE,
    QUEUE_DRAIN,
    BandwidthEstimate,
)

PACKETS_PER_SECOND = 100  # on the one stream these tests report about


class Link:
    """A subscriber behind a link of ``capacity`` bits per second that loses what does
    not fit; the relay sends ``offered`` (what the layers it chose need) each second."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.estimate = BandwidthEstimate()
        self.now = 0.0
        self.sent_bits = 0
        self.audio_bits = 0
        self.sequence = 1000
        self.audio_sequence = 0
        self.estimate.update(0, now=self.now)
        self.estimate.on_report(1, 0, self.sequence, now=self.now)

    def second(
        self,
        offered: int,
        fraction_lost: float | None = None,
        remb: int | None = None,
        report: bool = True,
        audio: int = 0,
        audio_report: bool = True,
    ):
        """``report`` False: the subscriber tells nothing of the stream this second (its
        video is paused; audio reports come every 5 s). ``audio``: of ``offered``, the
        audio, reported on by itself (unless ``audio_report`` is False)."""
        self.now += 1.0
        self.sent_bits += offered
        self.audio_bits += audio
        self.audio_sequence += 50 if audio else 0
        if audio and audio_report:
            self.estimate.on_report(2, 0, self.audio_sequence, now=self.now)
        if fraction_lost is None:
            fraction_lost = max(0.0, 1 - self.capacity / offered)
        if report:
            self.sequence += PACKETS_PER_SECOND
            self.estimate.on_report(1, int(fraction_lost * 256), self.sequence, now=self.now)
        if remb is not None:
            self.estimate.on_remb(remb, now=self.now)
        return self.estimate.update(self.sent_bits, self.audio_bits, now=self.now)


def layered(estimate: int | None) -> int:
    """What a subscriber of two simulcast videos is sent under ``estimate``: the layers
    at 2 x 60k, 2 x 220k or 2 x 850k, plus 100k of audio and headers."""
    for video in (1_700_000, 440_000):
        if estimate is None or estimate >= video * 1.15 + 100_000:
            return video + 100_000
    return 120_000 + 100_000


def test_no_limit_until_a_loss_says_so():
    link = Link(capacity=10_000_000)
    for _ in range(5):
        assert link.second(1_800_000) is None


def test_heavy_loss_drops_the_estimate_to_what_got_through_in_one_step():
    link = Link(capacity=300_000)
    estimate = link.second(1_800_000)  # 83 % lost
    assert estimate is not None and 280_000 <= estimate <= 320_000


def test_loss_a_little_above_ten_percent_steps_down_gently():
    link = Link(capacity=10_000_000)
    link.second(1_000_000, fraction_lost=0.5)
    assert link.estimate.estimate == 500_000
    link.second(400_000, fraction_lost=0.0)
    estimate = link.second(400_000, fraction_lost=LOSS_HIGH + 0.02)
    assert estimate is not None and 340_000 <= estimate <= 360_000


def test_loss_between_two_and_ten_percent_holds_the_estimate():
    link = Link(capacity=10_000_000)
    link.second(1_000_000, fraction_lost=0.5)
    for _ in range(20):
        assert link.second(400_000, fraction_lost=0.05) == 500_000


def test_random_loss_below_ten_percent_never_limits():
    link = Link(capacity=10_000_000)
    for _ in range(10):
        assert link.second(1_800_000, fraction_lost=0.05) is None


def test_the_estimate_never_goes_below_the_floor():
    link = Link(capacity=1_000)
    for _ in range(5):
        estimate = link.second(500_000, fraction_lost=0.99)
    assert estimate == MIN_ESTIMATE


def test_a_remb_below_what_is_sent_is_a_ceiling():
    link = Link(capacity=10_000_000)
    assert link.second(1_800_000, fraction_lost=0.0, remb=900_000) == 900_000
    # it stays the ceiling while it is fresh, even once loss is gone and the hold is over
    for _ in range(int(HOLD_AFTER_DECREASE) + 3):
        assert link.second(900_000, fraction_lost=0.0, remb=900_000) == 900_000


def test_a_remb_that_only_follows_what_is_sent_does_not_stop_probing():
    link = Link(capacity=10_000_000)
    link.second(1_800_000, fraction_lost=0.5)  # 900k
    for _ in range(int(HOLD_AFTER_DECREASE) + 2):
        # receivers say at most 1.5 x what they get: no evidence of a limit
        link.second(300_000, fraction_lost=0.0, remb=460_000)
    assert link.estimate.estimate is not None and link.estimate.estimate > 900_000


def test_a_paused_video_is_probed_again_although_its_receiver_tells_nothing_new():
    # Seen in Chromium under load: its REMB (169k) pauses the only video; then only audio
    # flows, Chromium's estimate of what reaches it stays 169k (no video to measure) and
    # no receiver report covers a stream with packets. That is no news of congestion:
    # after the hold the paused video is the probe, as it would be with reports.
    link = Link(capacity=10_000_000)
    assert link.second(250_000, fraction_lost=0.0, remb=169_000) == 169_000
    link.estimate.probe_budget = 200_000  # the allocator: resuming the video needs this
    seconds = 0
    while link.estimate.estimate == 169_000 and seconds < 10:
        link.second(48_000, remb=169_000, report=False)  # audio only
        seconds += 1
    assert seconds <= HOLD_AFTER_DECREASE + 1
    assert link.estimate.estimate >= 200_000  # the video's budget: it resumes
    # the video flows again; the receiver's REMB, made before it did, is not a ceiling
    # while the step settles, and then it rises as the video reaches it
    stepped = link.estimate.estimate
    assert link.second(250_000, fraction_lost=0.0, remb=169_000) >= stepped
    for remb in (182_000, 197_000, 213_000):
        assert link.second(250_000, fraction_lost=0.0, remb=remb) >= stepped


def test_a_remb_that_falls_below_what_is_sent_is_a_ceiling_again():
    link = Link(capacity=10_000_000)
    link.second(250_000, fraction_lost=0.0, remb=169_000)
    link.second(250_000, fraction_lost=0.0, remb=200_000)  # rising: catching up
    assert link.second(250_000, fraction_lost=0.0, remb=150_000) == 150_000


def test_no_growth_while_the_subscriber_is_silent():
    # a link that is down carries no REMB either: nothing to grow on
    link = Link(capacity=10_000_000)
    link.second(250_000, fraction_lost=0.0, remb=169_000)
    link.estimate.probe_budget = 200_000
    for _ in range(10):
        assert link.second(48_000, report=False) == 169_000


def test_growth_waits_for_the_hold_then_grows_by_half_a_second():
    link = Link(capacity=10_000_000)
    link.second(1_000_000, fraction_lost=0.75)  # 250k, at t = 1
    while link.now + 1 < 1 + HOLD_AFTER_DECREASE:
        assert link.second(200_000) == 250_000
    assert link.second(200_000) == int(250_000 * GROWTH)


def test_after_a_limit_is_lifted_the_top_layer_is_back_within_ten_seconds():
    link = Link(capacity=300_000)
    offered = layered(None)
    for _ in range(20):  # under the limit long enough for any probe cycle
        offered = layered(link.second(offered))
    while offered != layered(0):  # a step up that fails: lifted just after it, the worst
        offered = layered(link.second(offered))
    link.capacity = 10_000_000
    climbed = None
    for second in range(1, 30):
        offered = layered(link.second(offered))
        if offered == layered(None):
            climbed = second
            break
    assert climbed is not None and climbed <= 10


def test_under_a_steady_limit_layers_step_up_at_most_once_per_hold():
    link = Link(capacity=300_000)
    offered = layered(None)
    changes = []
    for second in range(60):
        new = layered(link.second(offered))
        if new != offered:
            changes.append((second, new))
        offered = new
    ups = [s for s, new in changes if new > layered(0)]
    # each failed step up costs about a second: at most one per hold (plus its climb)
    assert len(ups) <= 60 / HOLD_AFTER_DECREASE, changes
    assert all(b - a > HOLD_AFTER_DECREASE for a, b in itertools.pairwise(ups)), changes


def test_a_stream_silent_for_seconds_does_not_count_its_outage_as_congestion():
    estimate = BandwidthEstimate()
    estimate.update(0, now=0.0)
    estimate.on_report(1, 0, 1000, now=0.0)
    # the link was down for 5 s: the first report after it covers the outage
    estimate.on_report(1, 200, 1600, now=5.5)
    assert estimate.update(2_000_000, now=6.0) is None


def test_reports_that_see_nothing_arrive_for_seconds_do_not_make_the_outage_congestion():
    # the link is down towards the subscriber only: its reports still come, once a second,
    # with nothing new received; the first after the link is back shows 5 s of loss
    estimate = BandwidthEstimate()
    estimate.update(0, now=0.0)
    estimate.on_report(1, 0, 1000, now=0.0)
    for second in range(1, 6):
        estimate.on_report(1, 0, 1000, now=float(second))
        assert estimate.update(400_000 * second, now=float(second)) is None
    estimate.on_report(1, 230, 1600, now=6.0)
    assert estimate.update(2_400_000, now=6.0) is None


def test_a_report_made_as_the_link_came_back_does_not_make_the_next_one_congestion():
    # the relay sends 100 packets a second; the subscriber's link is down from 0 s to 5 s.
    # Its first report after that was made before new packets arrived (it shows what came
    # before the outage), so the next one, half a second later, covers the whole outage.
    estimate = BandwidthEstimate()
    for second in range(6):
        sent = {1: 1000 + 100 * second}
        estimate.update(2_000_000 * second, now=float(second), sequences=sent)
    estimate.on_report(1, 0, 1000, now=5.05)
    estimate.on_report(1, 210, 1560, now=5.6)  # 82 % of 560 lost: the outage
    assert estimate.update(12_000_000, now=6.0, sequences={1: 1600}) is None
    # a loss that happened while sending is still congestion
    estimate.on_report(1, 128, 1700, now=7.0)
    assert estimate.update(14_000_000, now=7.0, sequences={1: 1700}) is not None


def test_the_loss_of_an_overload_already_corrected_does_not_drop_the_estimate_again():
    # two streams of 1000-byte packets; the link carries 300k; reports lag a second
    estimate = BandwidthEstimate()
    estimate.update(0, now=0.0, streams={1: (0, 0)})
    estimate.on_report(1, 0, 1000, now=0.0)
    sent, packets = 0, 0

    def second(now: float, bits: int, lost: float, received_packets: int) -> int | None:
        nonlocal sent, packets
        sent, packets = sent + bits, packets + bits // 8000
        sequence = 1000 + int(now) * 1000  # what the report covers, lost or not
        expected = int(received_packets / (1 - lost))
        estimate._streams[1].highest_sequence = sequence - expected  # the last report's
        estimate.on_report(1, int(lost * 256), sequence, now=now)
        return estimate.update(sent, now=now, streams={1: (sent, packets)})

    second(1.0, 1_800_000, 0.0, 225)  # no limit yet: sizes known
    first = second(2.0, 1_800_000, 0.83, 37)  # 83 % lost: 37 x 8000 bits got through
    assert first is not None and 280_000 <= first <= 320_000
    # the relay already sends 250k; the next report still describes the overload
    # (sent x (1 - loss) would say 100k: a third of the link)
    after = second(3.0, 250_000, 0.6, 37)
    assert after is not None and after >= 0.95 * first
    assert second(4.0, 250_000, 0.0, 31) == after  # the hold: no growth yet


def test_a_step_up_that_brings_loss_goes_back_at_once_and_waits_longer():
    link = Link(capacity=300_000)
    held = link.second(1_800_000)  # 83 % lost: about 300k
    assert held is not None
    while link.estimate.estimate == held:
        link.second(250_000)
    grown_at = link.now
    assert link.estimate.estimate == int(held * GROWTH)
    assert link.second(450_000, fraction_lost=0.04) == held  # a 4 % loss: back
    while link.estimate.estimate == held:
        link.second(250_000)
    # a limit that lasts: the next step up waits longer than after the first decrease
    assert link.now - (grown_at + 1) >= HOLD_AFTER_FAILED_PROBE > HOLD_AFTER_DECREASE


def test_the_video_budget_leaves_audio_and_the_video_packets_share_of_headers():
    estimate = BandwidthEstimate()
    estimate.update(0, 0, now=0.0, video_headers_bits=0)
    estimate.on_report(1, 0, 1000, now=0.0)
    estimate.on_report(1, 128, 2000, now=1.0)  # 50 % lost
    # 1000k sent: 100k audio, 900k video of which 100k headers (1/9)
    estimate.update(1_000_000, 200_000, now=1.0, video_headers_bits=100_000)
    assert estimate.estimate == 500_000
    assert estimate.video_budget == int((500_000 - 100_000) * 8 / 9)


class QueuedLink:
    """A link of ``capacity`` bits per second behind a FIFO queue that holds ``queue``
    seconds of it (drop-tail) and ``delay`` seconds of wire after it, one stream of
    8000-bit packets, the subscriber reporting ``reports`` (1 or 2) times a second: what
    the relay's estimate sees of it (send times included)."""

    PACKET = 8000

    def __init__(self, capacity: int, queue: float, delay: float = 0.0, reports: int = 2) -> None:
        self.capacity, self.queue, self.delay, self.reports = capacity, queue, delay, reports
        self.estimate = BandwidthEstimate()
        self.now = 0.0
        self.sequence = 1000
        self.sent: dict[int, tuple[float, int]] = {}  # sequence -> (sent at, bits so far)
        self.bits = 0
        self.free_at = 0.0  # when the link has sent what is queued
        self.arrivals: list[tuple[float, int]] = []  # (arrives at, sequence)
        self.reported = (self.sequence, 0)  # highest, packets received by then
        self.received = 0
        self.lost = 0
        self.late = 0.0  # seconds the subscriber's reports come late (a loaded receiver)
        self.estimate.update(0, now=0.0, sequences={1: self.sequence})

    def second(self, offered: int) -> int | None:
        """The relay sends ``offered`` bits per second for a second, and the padding the
        estimate asks for (``padding_bps``, each half second): another stream, which
        takes its place in the queue and which no report tells of."""
        packets = offered // self.PACKET
        media = [self.now + i / packets for i in range(packets)]
        for half in (0.0, 0.5):
            padding = int(self.estimate.padding_bps / 2) // self.PACKET
            sends = [(at, True) for at in media if half <= at - self.now < half + 0.5]
            sends += [(self.now + half + i / padding / 2, False) for i in range(padding)]
            for at, is_media in sorted(sends):
                self._send(at, is_media)
            if half or self.reports == 2:
                self._report(self.now + half + 0.5)
        self.now += 1.0
        streams = {1: (self.bits, self.sequence - 1000)}
        return self.estimate.update(
            self.bits, now=self.now, streams=streams, sequences={1: self.sequence}
        )

    def _send(self, at: float, is_media: bool) -> None:
        if is_media:
            self.sequence += 1
            self.bits += self.PACKET
            self.sent[self.sequence] = (at, self.bits)
        start = max(at, self.free_at)
        if start - at > self.queue:
            self.lost += is_media
            return
        self.free_at = start + self.PACKET / self.capacity
        if is_media:
            self.arrivals.append((self.free_at + self.delay, self.sequence))

    def _report(self, at: float) -> None:
        arrived = [s for t, s in self.arrivals if t <= at]
        self.arrivals = [(t, s) for t, s in self.arrivals if t > at]
        self.received += len(arrived)
        if not arrived:
            return
        highest = max(arrived)
        expected = highest - self.reported[0]
        got = self.received - self.reported[1]
        fraction = max(0, expected - got) * 256 // expected if expected > 0 else 0
        self.reported = (highest, self.received)
        self.estimate.on_report(1, fraction, highest, sent=self.sent[highest], now=at + self.late)


def test_a_step_up_into_a_deep_queue_is_undone_before_it_loses_anything():
    # a 400k link with a 1 s queue: a step up to 560k only fills the queue for seconds
    link = QueuedLink(capacity=400_000, queue=1.0)
    for _ in range(3):
        link.second(330_000)  # a call that fits...
    for _ in range(2):
        link.second(1_800_000)  # ...until the layers go up: 450 % of the link
    seen = []  # (estimate, packets lost so far), a second apart
    for _ in range(25):
        estimate = link.estimate.estimate
        seen.append((estimate, link.lost))
        # the layers that fit under the estimate: 330k, or 560k from 450k up
        link.second(560_000 if estimate is None or estimate >= 450_000 else 330_000)
    estimates = [e for e, _ in seen]
    first_up = next(i for i, e in enumerate(estimates) if e is not None and e >= 450_000)
    held = estimates[first_up - 1]
    assert held is not None and held < 450_000
    # one step, no second on top of it, undone within 2 s, before the queue overflowed
    undone = first_up + estimates[first_up:].index(held)
    assert undone - first_up <= 2, seen
    assert estimates[first_up:undone] == [estimates[first_up]] * (undone - first_up), seen
    assert seen[undone + 1][1] == seen[first_up][1], seen
    # and it waited for the first overload's queue to drain: growing into it loses
    assert seen[first_up][1] == seen[first_up - 1][1], seen


def test_a_queue_that_stays_full_brings_the_estimate_below_what_gets_through():
    # the relay sends 5 % more than the link carries: a standing queue, 5 % loss, which
    # alone never lowers the estimate (under LOSS_HIGH)
    link = QueuedLink(capacity=400_000, queue=0.3)
    for _ in range(8):
        link.second(420_000)
    estimate = link.estimate.estimate
    assert estimate is not None and estimate <= 400_000 * (QUEUE_DRAIN + 0.05)


def _queued_without_loss(burst: int) -> QueuedLink:
    """A 400k link behind a 1 s buffer: two seconds at 300k, one at ``burst`` (what is
    over 400k stays queued), then five at what the link carries (and the queue stays)."""
    link = QueuedLink(capacity=400_000, queue=1.0)
    for offered in (300_000, 300_000, burst, *[400_000] * 5):
        link.second(offered)
    assert link.lost == 0  # every packet delivered, late
    return link


def test_a_deep_buffer_that_loses_nothing_but_holds_half_a_second_lowers_the_estimate():
    estimate = _queued_without_loss(burst=600_000).estimate.estimate  # 0.5 s queued
    assert estimate is not None and estimate <= 400_000 * (QUEUE_DRAIN + 0.05)


def test_a_short_queue_with_no_loss_is_not_a_full_link():
    # a fifth of a second queued (a burst, a receiver slow to report): no decrease
    assert _queued_without_loss(burst=480_000).estimate.estimate is None


def test_what_got_through_counts_the_packets_a_report_covers_not_the_last_second_s():
    # the subscriber was sent big packets (a high layer) until a switch down just now;
    # its report covers 100 of the big ones, half of them lost
    estimate = BandwidthEstimate()
    estimate.update(0, now=0.0, streams={1: (0, 0)}, sequences={1: 1000})
    estimate.on_report(1, 0, 1000, sent=(0.0, 0), now=0.0)
    estimate.on_report(1, 128, 1100, sent=(1.0, 800_000), now=1.0)
    # the last second: 200 small packets (2000 bits) of the low layer, sent after them
    assert estimate.update(1_200_000, now=1.0, streams={1: (1_200_000, 300)}) == 400_000


def test_while_little_is_sent_the_estimate_rises_one_step_at_a_time_and_a_failed_step_alone_is_undone():
    link = Link(capacity=300_000)
    link.second(1_800_000)  # the limit: the estimate drops to about the link
    low = link.estimate.estimate
    assert low is not None and low < 400_000
    # the allocator's next step needs a video budget of 200k (here all of it is video):
    # with little sent there is no loss, and the estimate does not grow 1.5x a second
    # past the link on that; it holds
    link.estimate.probe_budget = 200_000
    for _ in range(10):
        assert link.second(120_000, fraction_lost=0.0) == low
    link.estimate.probe_budget = 450_000  # the next step: it rises to that in one go
    assert link.second(250_000, fraction_lost=0.0) == 450_000
    link.second(450_000)  # it does not fit: back to where that step began
    assert link.estimate.estimate == low


def test_with_no_step_left_to_take_the_estimate_grows_freely():
    link = Link(capacity=10_000_000)
    link.second(1_000_000, fraction_lost=0.5)
    link.estimate.probe_budget = None  # every video on its top layer
    estimates = [link.second(400_000, fraction_lost=0.0) for _ in range(6)]
    grown = [e for e in estimates if e != 500_000]
    assert grown[:2] == [int(500_000 * GROWTH), int(500_000 * GROWTH**2)]
