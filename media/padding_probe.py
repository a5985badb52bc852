"""Probing a subscriber's link with padding: the part of its estimate
(``media.bandwidth.BandwidthEstimate``) that asks for more room with padding-only
packets before any video is resumed or raised (plain Python, no sockets).

Where the connection can carry them (``can_pad``: a video sender with RTX;
``media.padding`` sends them) the probe is padding-only packets, as LiveKit and
libwebrtc probe, not a layer. The estimate stays while the relay pads up to
``PADDING_GROWTH`` x it, more after probes that fitted (or the next step's goal, if more;
at most ``probe_ceiling``, every video on its top layer, but never less than
``PADDING_GROWTH`` x), for a second; if the reports on packets sent meanwhile show
neither a queue nor loss, the estimate becomes that, the allocator resumes and raises on
it (several steps at once), and the next probe starts. A queue that rose but stays under
the one that stops a probe makes it wait for the next reports (at most ``UNANSWERED``
s): a loaded receiver answers late now and then. A subscriber sent no video at all that
does not report every second (Chromium on audio alone) gets the step as the probe: its
receiver tells too little for padding to be judged by.
A report showing a queue or heavy loss stops the padding at once, the estimate stays,
and the loss and queue of the next ``PADDING_TAIL`` s are the probe's. Its queue is
read off reports whose last packet was sent during it, its loss only off reports all of
whose packets were: reports lag, and the loss of a limit just lifted is not the probe's.
So under a limit no layer is tried and undone (what a person sees does not change), and
a lifted limit is found in a few seconds whatever the steps to the top are: 300k to 2M
is three probes, not five steps.
"""

from __future__ import annotations

from collections import deque

from .rtp_sequence import at_or_after

PADDING_GROWTH = 1.5  # a padding probe asks for this many times the estimate, to the power
# of one more than the probes in a row that fitted (1.5x, 2.25x, 3.4x: a lifted limit in
# three), or the next step, if more
PADDING_SECONDS = 0.9  # a padding probe runs at least this long, with reports, before it counts
PADDING_TAIL = 2.0  # seconds after a failed padding probe whose loss and queue were its own
PADDING_STOP_LOSS = 0.10  # one report on the probe's packets losing more stops it at once
UNANSWERED = 3.0  # seconds of padding with no report on its packets: it failed


class PaddingProbe:
    """The padding probe's state and steps; ``BandwidthEstimate`` decides when."""

    estimate: int | None
    probe_budget: int | None
    probe_ceiling: int | None
    _probe: tuple[int, float] | None
    _sent_sequences: dict[int, deque[tuple[float, int]]]

    def __init__(self) -> None:
        self.can_pad = False  # the connection carries padding-only packets (RTX)
        self.padding_bps = 0  # what the relay pads with now: a probe under way
        self._padding: tuple[int, float] | None = None  # the estimate it probes, since
        self._padded_reports = 0  # reports on packets sent while it ran
        self._padded_loss = [0.0, 0]  # of those all sent during it: lost, expected
        self._padding_from: dict[int, int] = {}  # per stream: the last packet sent before it
        self._padding_streak = 0  # padding probes in a row that fitted
        self._padding_stopped = False  # a report showed its queue or loss
        self._padding_failed_at = -1e9

    def goal(self, video_budget: int) -> int:
        raise NotImplementedError

    def _padded_report(
        self, ssrc: int, previous: int, expected: int, fraction_lost: int, queue_full: bool
    ) -> None:
        """A report whose last packet was sent while a padding probe ran: it tells of
        the probe's queue (``queue_full``: it stops the probe at once); its loss counts
        only if all its packets were sent during the probe (the loss of a limit just
        lifted is not the probe's)."""
        self._padded_reports += 1
        if queue_full:
            self._stop_padding()
        start = self._padding_from.get(ssrc)
        if start is None or not at_or_after(previous, start):
            return
        self._padded_loss[0] += expected * fraction_lost / 256
        self._padded_loss[1] += expected
        if fraction_lost > PADDING_STOP_LOSS * 256:
            self._stop_padding()

    def _stop_padding(self) -> None:
        self.padding_bps = 0  # a probe that fills a queue or loses stops at once
        self._padding_stopped = True

    def _padded_loss_rate(self, minimum_packets: int) -> float | None:
        lost, expected = self._padded_loss
        return lost / expected if expected >= minimum_packets else None

    def _end_padding(self, now: float) -> None:
        """A decrease: a probe under way failed, and the next starts from 1.5x again."""
        if self._padding is not None:
            self._padding, self.padding_bps = None, 0
            self._padding_failed_at = now
        self._padding_streak = 0

    def _padding_target(self) -> int | None:
        """The estimate a padding probe asks for: ``PADDING_GROWTH`` times this one (more
        after probes that fitted) or the next step's goal, at most what every video on
        its top layer needs but never less than ``PADDING_GROWTH`` times: a top layer the
        publisher is bringing back is measured as it ramps up, a ceiling just above the
        estimate that a probe of its own size would follow a few kbit/s a second; None:
        no padding (it cannot be sent, there is no limit, or nothing to gain)."""
        if not self.can_pad or self.estimate is None or self.probe_ceiling is None:
            return None
        ceiling = self.goal(self.probe_ceiling)
        if ceiling <= self.estimate:
            return None
        step = self.goal(self.probe_budget) if self.probe_budget is not None else 0
        growth = PADDING_GROWTH ** (1 + self._padding_streak)
        cap = max(ceiling, int(self.estimate * PADDING_GROWTH))
        return min(cap, max(step, int(self.estimate * growth)))

    def _probe_with_padding(self, target: int, sent: int, now: float) -> None:
        """Probe ``target`` with padding before any video is sent more: padding up to it
        for a second, and if its reports show neither queue nor loss the estimate
        becomes ``target`` (the allocator resumes and raises on it, several steps at
        once) and the next probe starts on top of it. One that does not fit costs a
        second of loss, and no picture changes (``_decrease`` ends it)."""
        padding = self._padding
        if padding is not None and not self._padded_reports and now - padding[1] >= UNANSWERED:
            self._stop_padding()  # no report on its packets for seconds: it did not fit
            return
        confirmed = 0
        if padding is not None and now - padding[1] >= PADDING_SECONDS and self._padded_reports:
            self.estimate = confirmed = padding[0]
            self._padding_streak += 1
            target = self._padding_target() or confirmed
            padding = None
        if padding is None:
            if target <= (self.estimate or 0):
                self._padding, self.padding_bps = None, 0
                return
            self._padding = padding = (target, now)
            self._padded_reports, self._padding_stopped = 0, False
            self._padded_loss = [0.0, 0]
            self._padding_from = {ssrc: s[-1][1] for ssrc, s in self._sent_sequences.items() if s}
        # media rises to a confirmed estimate within a second: the padding is what is
        # left over it
        self.padding_bps = max(0, padding[0] - max(sent, confirmed))
        self._probe = (self.estimate or 0, now)  # a failure goes back to where it began
