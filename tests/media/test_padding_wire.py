"""Padding through a real relay to a real aiortc subscriber (media/padding.py): it reaches
the subscriber as its own RTX stream and changes nothing it sees or asks for."""

import asyncio

from media.padding import pad
from tests.media.media_peers import wait_for

RELAY_OPTIONS = {"estimate_bandwidth": False}  # the test sets the padding itself


def _rtx_packets(client) -> int:
    """Packets the client's receivers counted on streams that carry no media (RTX)."""
    total = 0
    for transceiver in client.pc.getTransceivers():
        receiver = transceiver.receiver
        rtx = receiver._RTCRtpReceiver__rtx_ssrc
        streams = receiver._RTCRtpReceiver__remote_streams
        total += sum(s.packets_received for ssrc, s in streams.items() if ssrc in rtx)
    return total


async def test_padding_at_a_rate_reaches_the_subscriber_and_no_picture_changes(room, make_client):
    alice = await make_client("alice")
    bob = await make_client("bob", video=False)
    await wait_for(lambda: len(bob.counters_from("alice")) >= 30, timeout=8)
    participant = room.relay._participants["bob"]
    egress = next(e for e in participant.egresses if e.can_pad)
    nacks, plis = egress.nacks_received, egress.plis_received
    seen = len(bob.counters_from("alice"))

    participant.bandwidth.padding_bps = 400_000
    task = asyncio.ensure_future(pad(participant))
    await asyncio.sleep(2.0)
    participant.bandwidth.padding_bps = 0
    await asyncio.wait_for(task, 1.0)  # it stops when asked for none

    # about the rate asked for, and all of it reached bob as packets on an RTX stream
    assert 600_000 <= egress.padding_bits <= 1_000_000
    await wait_for(lambda: _rtx_packets(bob) > 0, timeout=2)
    assert _rtx_packets(bob) >= egress.padding_bits / 8 / (255 + 50) * 0.9
    # while alice's video went on, whole and in order, with nothing asked again
    await asyncio.sleep(0.5)
    counters = bob.counters_from("alice")
    assert len(counters) - seen >= 50
    assert counters == sorted(counters)
    assert (egress.nacks_received, egress.plis_received) == (nacks, plis)
    assert bob.mislabelled == 0 and alice.video is not None
