"""A subscriber's loss as the relay's estimate sees it: only what the relay sent and the
subscriber did not get. Packets a publisher lost on its way up are gaps in the numbers
the relay forwards, and every subscriber's receiver report counts them as lost."""

from __future__ import annotations

import random

from media.downstream_loss import DownstreamLoss

RING = 1024


class Stream:
    """The relay's sends of one outgoing stream and what the subscriber's receiver
    counts, as aiortc's receiver statistics count them."""

    def __init__(self) -> None:
        self.ring: list[tuple[int, object]] = [(-1, None)] * RING  # as Egress.send_times
        self.received: set[int] = set()
        self.duplicates = 0
        self.highest = 999
        self.loss = DownstreamLoss(RING)

    def send(self, seq: int, arrives: bool = True) -> None:
        self.ring[seq % RING] = (seq & 0xFFFF, None)
        if arrives:
            self.arrive(seq)

    def arrive(self, seq: int) -> None:
        if seq in self.received:
            self.duplicates += 1
        self.received.add(seq)
        self.highest = max(self.highest, seq)

    def report(self) -> int:
        expected = self.highest - 1000 + 1
        cumulative_lost = expected - len(self.received) - self.duplicates
        return self.loss.fraction_lost(self.highest, cumulative_lost, 99, self.ring)


def _second(stream: Stream, first: int, up: float, down: float, rng: random.Random) -> int:
    """100 packets from ``first``: ``up`` of them lost before the relay, ``down`` of what it
    sent lost on the way to the subscriber; the fraction the next report gives."""
    for seq in range(first, first + 100):
        if rng.random() >= up:
            stream.send(seq, arrives=rng.random() >= down)
    return stream.report()


def test_a_lossy_publisher_is_no_loss_on_a_clean_subscribers_link():
    rng = random.Random(1)
    stream = Stream()
    stream.send(1000)
    assert stream.report() == 99  # the first report: nothing to compare with yet
    fractions = [_second(stream, 1001 + 100 * i, up=0.2, down=0.0, rng=rng) for i in range(20)]
    assert fractions == [0] * 20


def test_loss_on_the_subscribers_own_link_is_counted_whatever_the_publisher_lost():
    rng = random.Random(2)
    for up in (0.0, 0.2):
        stream = Stream()
        stream.send(1000)
        stream.report()
        fractions = [_second(stream, 1001 + 100 * i, up, down=0.1, rng=rng) for i in range(50)]
        mean = sum(fractions) / len(fractions) / 256
        assert 0.07 < mean < 0.13, (up, mean)


def test_a_hole_the_publisher_repairs_late_is_neither_lost_nor_sent_twice():
    stream = Stream()
    stream.send(1000)
    stream.report()
    for seq in range(1001, 1101):
        if seq != 1050:
            stream.send(seq)
    assert stream.report() == 0  # 1050 never reached the relay (yet)
    stream.send(1050)  # its retransmission did, and went on to the subscriber
    for seq in range(1101, 1201):
        stream.send(seq)
    assert stream.report() == 0


def test_a_packet_counted_lost_while_still_on_its_way_is_given_back():
    stream = Stream()
    stream.send(1000)
    stream.report()
    for seq in range(1001, 1101):
        stream.send(seq, arrives=seq != 1099)  # sent late, after 1100: still on its way
    counted = stream.report()
    assert 0 < counted < 5  # one of 100, taken as lost for now
    stream.arrive(1099)
    for seq in range(1101, 1201):
        stream.send(seq, arrives=seq != 1150)  # one really lost
    assert stream.report() == 0  # the first one given back against it


def test_a_subscriber_that_counts_duplicates_still_shows_real_loss():
    rng = random.Random(3)
    stream = Stream()
    stream.send(1000)
    stream.report()
    fractions = []
    for i in range(30):
        first = 1001 + 100 * i
        for seq in range(first, first + 100):
            stream.send(seq, arrives=rng.random() >= 0.1)
        stream.arrive(first)  # a resend of a packet it already had: counted as received
        stream.arrive(first + 1)
        fractions.append(stream.report())
    assert sum(fractions) / len(fractions) / 256 > 0.06
