"""Probing with padding (media/padding_probe.py): a subscriber's estimate asks for more room
with padding-only packets before any video is sent more, on the QueuedLink model."""

import itertools

from media.bandwidth import HOLD_AFTER_FAILED_PROBE
from media.padding_probe import PADDING_GROWTH

from .test_bandwidth import Link, QueuedLink

CEILING = 900_000  # the video budget every video on its top layer needs


def limited_then(capacity: int, delay: float = 0.0) -> tuple[QueuedLink, int]:
    """A subscriber held to about 300k (its estimate set by an overload of a 300k link,
    what fits sent since), whose link is then ``capacity``; the estimate it had."""
    link = QueuedLink(capacity=300_000, queue=0.2, delay=delay)
    link.estimate.can_pad = True
    link.second(600_000)
    held = link.estimate.estimate
    assert held is not None and held < 320_000
    link.capacity = capacity
    link.estimate.probe_ceiling = CEILING
    return link, held


def follow(link: QueuedLink, seconds: int) -> list[tuple[int | None, int, int]]:
    """The relay sends what the estimate pays for (its videos fill it) for ``seconds``:
    per second the estimate it sent under, the padding it asked for and media lost."""
    seen = []
    for _ in range(seconds):
        estimate, padding, lost = link.estimate.estimate, link.estimate.padding_bps, link.lost
        link.second(int(min(estimate or CEILING, CEILING) * 0.95))
        seen.append((estimate, padding, link.lost - lost))
    return seen


def test_a_lifted_limit_is_found_with_padding_and_the_estimate_rises_only_where_it_fitted():
    link, held = limited_then(capacity=3_000_000)
    seen = follow(link, 10)
    estimates = [e for e, _, _ in seen]
    # padding first: each rise of the estimate up to what the videos can use comes
    # after a second of padding up to it (past that it grows freely, as before)
    for before, (estimate, _, _) in itertools.pairwise(seen):
        if estimate is not None and before[0] is not None and before[0] < estimate <= CEILING:
            assert before[1] > 0 and before[0] + before[1] >= estimate * 0.9, seen
    # several steps at once: from 300k to every video on its top layer in a few seconds
    top = next(i for i, e in enumerate(estimates) if e is not None and e >= CEILING)
    assert top <= HOLD_AFTER_FAILED_PROBE + 4, seen
    # in two probes (1.5x, then 2.25x after one that fitted), not one a layer
    assert len({e for e in estimates[: top + 1] if e is not None and e > held}) == 2, seen
    assert sum(lost for _, _, lost in seen) == 0, seen
    assert link.estimate.padding_bps == 0  # nothing left to ask for


def test_reports_that_come_late_once_do_not_fail_a_probe():
    # a loaded receiver (Chromium beside its page) answers 50-90 ms late now and then: a
    # queue under the one that stops a probe, risen since the last second, waits for the
    # next reports, which tell there was none; failing it held the estimate 4 s more
    link, held = limited_then(capacity=3_000_000)
    for _ in range(10):
        if link.estimate.padding_bps:
            break
        follow(link, 1)
    assert link.estimate.padding_bps > 0
    link.late = 0.08
    follow(link, 1)
    link.late = 0.0
    seen = follow(link, 2)
    assert link.estimate.estimate is not None and link.estimate.estimate > held, seen


def test_a_ceiling_just_above_the_estimate_is_probed_by_half_as_much_again():
    # a top layer the publisher is bringing back is measured as it ramps up: a ceiling a
    # little above the estimate; probes only up to it added a few kbit/s each, and a
    # Chromium viewer waited ten seconds for the layer its tile grew to
    link, held = limited_then(capacity=3_000_000)
    link.estimate.probe_ceiling = int(held * 1.05)
    seen = []
    while len(seen) < 10 and (link.estimate.estimate or 0) <= held:
        seen += follow(link, 1)
    probed_from = next(estimate or 0 for estimate, padding, _ in seen if padding)
    assert (link.estimate.estimate or 0) >= int(probed_from * PADDING_GROWTH), seen


def test_padding_that_does_not_fit_stops_and_leaves_the_estimate_where_it_was():
    link, held = limited_then(capacity=300_000)
    seen = follow(link, 14)
    probes = [i for i, (_, padding, _) in enumerate(seen) if padding]
    assert probes, seen  # it did probe, after the hold
    # the estimate never rose, nor fell for what the probes lost
    assert all(e == held for e, _, _ in seen), seen
    # each probe stopped within its second, and the next waited for the hold
    assert all(b - a > HOLD_AFTER_FAILED_PROBE for a, b in itertools.pairwise(probes))


def test_without_padding_the_next_step_is_the_probe_as_before():
    link, _held = limited_then(capacity=3_000_000)
    link.estimate.can_pad = False
    link.estimate.probe_budget = 400_000
    seen = follow(link, 6)
    assert all(padding == 0 for _, padding, _ in seen)
    assert 400_000 in [e for e, _, _ in seen], seen


def test_loss_reported_late_on_packets_sent_before_a_probe_does_not_fail_it():
    # a limit lifted just now: the first report after the probe began still covers
    # packets sent before it (50 ms on the way), and says two of them were lost
    link, _ = limited_then(capacity=3_000_000, delay=0.05)
    while not link.estimate.padding_bps:
        follow(link, 1)
    probed_from = link.estimate.estimate
    link.received -= 2
    seen = follow(link, 2)
    assert seen[1][0] is not None and probed_from is not None and seen[1][0] > probed_from, seen


def test_a_probe_waits_for_a_report_on_its_own_packets_before_it_counts():
    # one report a second, 50 ms behind: the first after the probe began still covers
    # packets sent before it, so the probe is neither taken nor failed until the next
    link, _ = limited_then(capacity=3_000_000, delay=0.05)
    link.reports = 1
    seen = follow(link, 12)
    estimates = [e for e, _, _ in seen]
    assert estimates[-1] is not None and estimates[-1] >= CEILING, seen


def test_a_subscriber_sent_no_video_that_reports_seldom_gets_the_step_as_the_probe():
    # its only video paused: Chromium reports on its audio every 2.5-7.5 s, and stops its REMB
    # once padding comes; padding judged on so little left it paused for good
    link = Link(capacity=10_000_000)
    link.estimate.can_pad = True
    assert link.second(250_000, fraction_lost=0.0, remb=169_000, audio=48_000) == 169_000
    link.estimate.probe_budget = 200_000  # resuming the video needs this
    link.estimate.probe_ceiling = 900_000
    for second in range(int(HOLD_AFTER_FAILED_PROBE) + 4):
        # audio only, reported on every third second
        link.second(48_000, remb=169_000, report=False, audio=48_000, audio_report=second % 3 == 1)
        assert link.estimate.padding_bps == 0
    assert link.estimate.estimate is not None and link.estimate.estimate >= 200_000


def test_a_subscriber_sent_no_video_that_reports_every_second_is_probed_with_padding():
    # aiortc reports on its audio every second: the padding's queue and loss show there
    link = Link(capacity=10_000_000)
    link.estimate.can_pad = True
    assert link.second(250_000, fraction_lost=0.0, remb=169_000, audio=48_000) == 169_000
    link.estimate.probe_budget = 200_000
    link.estimate.probe_ceiling = 900_000
    padded = []
    for _ in range(int(HOLD_AFTER_FAILED_PROBE) + 2):
        link.second(48_000, remb=169_000, report=False, audio=48_000)
        padded.append(link.estimate.padding_bps)
    assert any(padded), padded
