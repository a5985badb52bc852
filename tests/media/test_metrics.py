"""The relay's metrics, read at scrape time from counters it keeps (media/metrics.py)."""

import asyncio

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from media import metrics
from tests.media.media_peers import wait_for


async def scrape() -> dict[tuple[str, tuple], float]:
    """A scrape as Prometheus makes it: from the listener's own thread, not the relay's loop."""
    registry = CollectorRegistry()
    registry.register(metrics.RelayCollector())
    text = (await asyncio.to_thread(generate_latest, registry)).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


async def test_a_scrape_counts_what_the_relay_moved_and_keeps_it_after_people_leave(
    room, make_client
):
    metrics.watch(room.relay)
    before = await scrape()
    alice = await make_client("alice")
    bob = await make_client("bob")
    await wait_for(lambda: len(bob.counters_from("alice")) >= 20, timeout=8)
    await wait_for(lambda: len(alice.counters_from("bob")) >= 20, timeout=8)

    during = await scrape()
    assert (
        value(during, "meetings_media_peer_connections", state="connected")
        - value(before, "meetings_media_peer_connections", state="connected")
        == 2
    )
    assert value(during, "meetings_media_forwarded_streams", kind="video") >= 2
    assert value(during, "meetings_media_published_tracks", kind="audio") >= 2
    for direction in ("in", "out"):
        moved = value(during, "meetings_media_packets_total", direction=direction) - value(
            before, "meetings_media_packets_total", direction=direction
        )
        sent = value(during, "meetings_media_bytes_total", direction=direction) - value(
            before, "meetings_media_bytes_total", direction=direction
        )
        assert moved > 40 and sent > 40 * 20, direction

    # a late subscriber's first picture needs a keyframe the relay asks the publisher for
    # (aiortc publishers send one only every 100 s unless asked)
    await asyncio.sleep(1.5)
    asked = value(await scrape(), "meetings_media_plis_total", direction="sent")
    carol = await make_client("carol", video=False, audio=False)
    await wait_for(lambda: carol.counters_from("alice"), timeout=5)
    assert value(await scrape(), "meetings_media_plis_total", direction="sent") > asked

    present = await scrape()
    await room.relay.leave("bob")
    after = await scrape()
    assert (
        value(after, "meetings_media_peer_connections")
        == value(present, "meetings_media_peer_connections") - 1
    )
    # counters never go back when a connection closes: the relay keeps its totals
    for name in ("meetings_media_packets_total", "meetings_media_bytes_total"):
        for direction in ("in", "out"):
            assert value(after, name, direction=direction) >= value(
                present, name, direction=direction
            ), (name, direction)


async def test_a_scrape_shows_the_estimate_towards_a_subscriber_that_met_a_limit(room, make_client):
    metrics.watch(room.relay)
    alice = await make_client("alice")
    bob = await make_client("bob")
    await wait_for(lambda: len(bob.counters_from("alice")) >= 20, timeout=8)
    await wait_for(lambda: len(alice.counters_from("bob")) >= 20, timeout=8)
    name = "meetings_media_subscriber_estimate_bits_per_second_gcount"
    assert value(await scrape(), name) == 0  # nobody has met a limit
    # what bob's receiver reports would say if half of a 600 kbit/s second was lost
    estimate = next(p for p in room.relay.connections() if p.id == "bob").bandwidth
    estimate.update(0, now=100.0)
    estimate.on_report(1, 0, 1000, now=100.0)
    estimate.on_report(1, 128, 1100, sent=(100.95, 40_000), now=101.0)  # back in 50 ms
    estimate.update(600_000, now=101.0)
    assert room.relay.bandwidth_of("bob")["estimate_bps"] == 300_000
    assert room.relay.bandwidth_of("bob")["queued_ms"] == 0  # the fastest trip yet
    samples = await scrape()
    assert value(samples, name) == 1
    bucket = "meetings_media_subscriber_estimate_bits_per_second_bucket"
    assert value(samples, bucket, le="200000.0") == 0
    assert value(samples, bucket, le="300000.0") == 1
    # a report whose newest packet took 300 ms: 250 ms of it in a queue on the way
    estimate.on_report(1, 0, 1200, sent=(101.7, 80_000), now=102.0)
    estimate.update(900_000, now=102.0)
    assert room.relay.bandwidth_of("bob")["queued_ms"] == 250
