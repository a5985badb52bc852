"""The receive bookkeeping's short path says what aiortc's own would: same NACKs, same
receiver-report numbers (lost, jitter, highest sequence), over reordering, loss and wrap."""

from __future__ import annotations

import random
from unittest import mock

from aiortc.rtcrtpreceiver import NackGenerator, StreamStatistics
from aiortc.rtp import RtpPacket

from media.aiortc_private.receive_stats import (
    NextPacketNackGenerator,
    NextPacketStreamStatistics,
)


def arrivals(seed: int) -> list[RtpPacket]:
    """Sequence numbers across the 16-bit wrap, with drops, duplicates and reordering."""
    rng = random.Random(seed)
    packets = []
    seq = 65000
    for i in range(3000):
        seq = (seq + 1) & 0xFFFF
        roll = rng.random()
        if roll < 0.03:
            continue  # lost
        number = seq
        if roll < 0.05 and packets:
            number = packets[-1].sequence_number  # duplicate
        elif roll < 0.07:
            number = (seq - rng.randint(2, 40)) & 0xFFFF  # late retransmission
        packets.append(RtpPacket(sequence_number=number, timestamp=(i // 3) * 3000 & 0xFFFFFFFF))
    return packets


def test_nacks_match_aiortc() -> None:
    for seed in range(5):
        theirs, ours = NackGenerator(), NextPacketNackGenerator()
        for packet in arrivals(seed):
            assert ours.add(packet) == theirs.add(packet)
            assert (ours.max_seq, ours.missing) == (theirs.max_seq, theirs.missing)


def test_receiver_report_numbers_match_aiortc() -> None:
    for seed in range(5):
        theirs, ours = StreamStatistics(90000), NextPacketStreamStatistics(90000)
        now = [0.0]
        with mock.patch("time.time", lambda now=now: now[0]):
            for packet in arrivals(seed):
                now[0] += random.Random(packet.sequence_number).uniform(0.001, 0.02)
                theirs.add(packet)
                ours.add(packet)
                assert (ours.max_seq, ours.cycles, ours.packets_received) == (
                    theirs.max_seq,
                    theirs.cycles,
                    theirs.packets_received,
                )
                assert ours.jitter == theirs.jitter
        assert ours.packets_lost == theirs.packets_lost
        assert ours.fraction_lost == theirs.fraction_lost
