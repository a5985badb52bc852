"""The relay's metrics for Prometheus, read at scrape time: nothing runs per packet.

The forwarding path keeps plain integer counters on the objects it already has
(media/traffic.py); a scrape asks each relay of this process for a ``Snapshot`` on the
relay's own event loop (its state is only touched there) and reports the sums. No label
holds a participant or meeting: only a direction, a media kind or a connection state.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.registry import REGISTRY

from .traffic import Traffic

if TYPE_CHECKING:
    from .relay import Relay

log = logging.getLogger(__name__)

SNAPSHOT_TIMEOUT_SECONDS = 2.0
CONNECTION_STATES = ("new", "connecting", "connected", "failed", "closed")
KINDS = ("audio", "video")
RTT_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 1.0)
LOSS_BUCKETS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
ESTIMATE_BUCKETS = (100_000.0, 200_000.0, 300_000.0, 500_000.0, 1e6, 2e6, 5e6)

# relay -> the event loop it runs on; a relay that is gone drops out by itself
_relays: weakref.WeakKeyDictionary[Relay, asyncio.AbstractEventLoop] = weakref.WeakKeyDictionary()


@dataclass
class Snapshot:
    connections: Counter[str] = field(default_factory=Counter)  # by connection state
    published: Counter[str] = field(default_factory=Counter)  # tracks, by kind
    forwarded: Counter[str] = field(default_factory=Counter)  # subscriber streams, by kind
    packets_in: int = 0
    packets_out: int = 0
    traffic: Traffic = field(default_factory=Traffic)
    rtts: list[float] = field(default_factory=list)  # one per subscriber stream reporting
    losses: list[float] = field(default_factory=list)
    reported_lost: int = 0
    estimates: list[float] = field(default_factory=list)  # subscribers with a limit seen

    def add(self, other: Snapshot) -> None:
        self.connections.update(other.connections)
        self.published.update(other.published)
        self.forwarded.update(other.forwarded)
        self.packets_in += other.packets_in
        self.packets_out += other.packets_out
        self.traffic += other.traffic
        self.rtts += other.rtts
        self.losses += other.losses
        self.reported_lost += other.reported_lost
        self.estimates += other.estimates


def watch(relay: Relay) -> None:
    """Reports `relay` in this process's metrics (call it on the relay's event loop)."""
    _relays[relay] = asyncio.get_running_loop()


def snapshot(relay: Relay) -> Snapshot:
    """What `relay` holds and has moved; on its event loop."""
    stats = relay.stats()
    found = Snapshot(packets_in=stats.packets_in, packets_out=stats.traffic.packets_out)
    found.traffic = stats.traffic
    for participant in relay.connections():
        found.connections[participant.pc.connectionState] += 1
        if participant.bandwidth.estimate is not None:
            found.estimates.append(participant.bandwidth.estimate)
        for publication in participant.publications.values():  # a shared screen is a video
            found.published[publication.kind] += 1
            found.forwarded[publication.kind] += sum(
                1 for d in publication.downtracks.values() if d.ready
            )
        for slot in participant.slots.values():
            rtt, loss, lost = slot.egress.receiver_report()
            if rtt is not None:
                found.rtts.append(rtt)
            if loss is not None:
                found.losses.append(loss)
            found.reported_lost += lost
    return found


def _snapshot_on_its_loop(relay: Relay, loop: asyncio.AbstractEventLoop) -> Snapshot | None:
    if loop.is_closed():
        return None
    try:
        here = asyncio.get_running_loop()
    except RuntimeError:
        here = None
    if here is loop:  # a scrape from the relay's own loop (tests): no hop, or it would wait
        return snapshot(relay)

    async def take() -> Snapshot:
        return snapshot(relay)

    try:
        return asyncio.run_coroutine_threadsafe(take(), loop).result(SNAPSHOT_TIMEOUT_SECONDS)
    except Exception as exc:  # a loop stopped or too busy: this scrape goes without it
        log.warning("relay metrics snapshot failed", extra={"error": type(exc).__name__})
        return None


def _buckets(values: list[float], bounds: tuple[float, ...]) -> list[tuple[str, float]]:
    counts = [(str(b), float(sum(1 for v in values if v <= b))) for b in bounds]
    return [*counts, ("+Inf", float(len(values)))]


class RelayCollector:
    def collect(self) -> Iterator[Metric]:
        total = Snapshot()
        for relay, loop in list(_relays.items()):
            found = _snapshot_on_its_loop(relay, loop)
            if found is not None:
                total.add(found)
        yield from _families(total)


def _families(s: Snapshot) -> Iterator[Metric]:
    connections = GaugeMetricFamily(
        "meetings_media_peer_connections",
        "Peer connections the relay holds, by ICE/DTLS connection state.",
        labels=["state"],
    )
    for state in sorted({*CONNECTION_STATES, *s.connections}):
        connections.add_metric([state], s.connections[state])
    yield connections
    for name, doc, counts in (
        ("meetings_media_published_tracks", "Tracks published to the relay.", s.published),
        (
            "meetings_media_forwarded_streams",
            "Streams the relay forwards to subscribers (one per subscriber and track).",
            s.forwarded,
        ),
    ):
        streams = GaugeMetricFamily(name, doc, labels=["kind"])
        for kind in KINDS:
            streams.add_metric([kind], counts[kind])
        yield streams
    t = s.traffic
    for name, doc, values in (
        ("meetings_media_packets", "RTP packets in from publishers, out to subscribers.",
         (s.packets_in, s.packets_out)),
        ("meetings_media_bytes", "RTP payload bytes in from publishers, out to subscribers.",
         (t.bytes_in, t.bytes_out)),
    ):  # fmt: skip
        family = CounterMetricFamily(name, doc, labels=["direction"])
        family.add_metric(["in"], values[0])
        family.add_metric(["out"], values[1])
        yield family
    for name, doc, values in (
        ("meetings_media_nacks",
         "NACKs: sent to publishers (packets), received from subscribers (sequence numbers).",
         (t.nacks_sent, t.nacks_received)),
        ("meetings_media_plis", "Keyframe requests: sent to publishers, received from subscribers.",
         (t.plis_sent, t.plis_received)),
    ):  # fmt: skip
        family = CounterMetricFamily(name, doc, labels=["direction"])
        family.add_metric(["sent"], values[0])
        family.add_metric(["received"], values[1])
        yield family
    yield GaugeHistogramMetricFamily(
        "meetings_media_rtt_seconds",
        "Round-trip time to subscribers, per forwarded stream, from their RTCP receiver reports.",
        buckets=_buckets(s.rtts, RTT_BUCKETS),
        gsum_value=sum(s.rtts),
    )
    yield GaugeHistogramMetricFamily(
        "meetings_media_fraction_lost",
        "Fraction of packets lost (0..1) per forwarded stream, from the last receiver report.",
        buckets=_buckets(s.losses, LOSS_BUCKETS),
        gsum_value=sum(s.losses),
    )
    yield GaugeHistogramMetricFamily(
        "meetings_media_subscriber_estimate_bits_per_second",
        "The relay's bandwidth estimate towards each subscriber that has met a limit "
        "(the others have none); it caps the simulcast layers they get.",
        buckets=_buckets(s.estimates, ESTIMATE_BUCKETS),
        gsum_value=sum(s.estimates),
    )
    yield GaugeMetricFamily(
        "meetings_media_reported_packets_lost",
        "Packets subscribers reported lost, over the streams forwarded now (cumulative per stream).",
        value=s.reported_lost,
    )


_collector = RelayCollector()
REGISTRY.register(_collector)
