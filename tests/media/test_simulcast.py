"""Simulcast through the relay, with real aiortc peers that decode what they get.

One publisher sends three VP8 layers (160x96, 320x192, 640x384) as Chromium does; each
subscriber's page says how large it shows the publisher, and the relay forwards the layer
that fits, switching at a keyframe so the subscriber keeps decoding one stream.
"""

from __future__ import annotations

import itertools
import time

from media import Relay
from tests.media.media_peers import joined, wait_for
from tests.media.simulcast_peers import LayerWatcher, SimulcastPublisher

RELAY_OPTIONS = {"keyframe_min_interval": 0.3}


def _counters_rise(pictures) -> bool:
    """In order, none skipped backwards; at a switch the picture both layers carry of the
    same moment may show twice (the old layer's, then the new layer's keyframe)."""
    counters = [c for _, _, _, c in pictures if c is not None]
    return len(counters) > 5 and all(b >= a for a, b in itertools.pairwise(counters))


def _longest_gap(pictures, since: float) -> float:
    times = [t for t, _, _, _ in pictures if t >= since]
    return max((b - a for a, b in itertools.pairwise(times)), default=0.0)


async def test_each_subscriber_gets_the_layer_its_tile_needs_and_switches_without_a_break(room):
    relay = room.relay
    publisher = await joined(room, SimulcastPublisher(relay, "pub", "r1", number=1))
    assert "a=simulcast:recv q;h;f" in publisher.answer_sdp
    small = await joined(room, LayerWatcher(relay, "small", "r1", number=2))
    large = await joined(room, LayerWatcher(relay, "large", "r1", number=3))
    relay.set_tiles("small", {"pub": (160, 96)})
    relay.set_tiles("large", {"pub": (640, 384)})

    await wait_for(lambda: small.last_width() == 160 and large.last_width() == 640, timeout=10)
    assert relay.layer_of("small", "pub") == "q"
    assert relay.layer_of("large", "pub") == "f"
    start = time.monotonic()
    await wait_for(lambda: len(small.widths_since(start)) >= 15, timeout=5)
    assert set(small.widths_since(start)) == {160}
    assert set(large.widths_since(start)) == {640}

    # the large tile becomes a thumbnail, the thumbnail becomes the speaker view
    switched = time.monotonic()
    relay.set_tiles("large", {"pub": (160, 96)})
    relay.set_tiles("small", {"pub": (600, 360)})
    await wait_for(lambda: small.last_width() == 640 and large.last_width() == 160, timeout=5)
    assert relay.layer_of("small", "pub") == "f"
    assert relay.layer_of("large", "pub") == "q"
    settled = time.monotonic()
    await wait_for(lambda: len(large.widths_since(settled)) >= 15, timeout=5)

    for watcher in (small, large):
        # one continuous stream: the decoder never stopped and the pictures kept their order
        assert _longest_gap(watcher.pictures, switched) < 1.0
        assert _counters_rise(watcher.pictures)
        assert set(watcher.widths_since(settled + 0.2)) <= {160, 640}
    assert relay.simulcast_stats()["layer_switches"] >= 2
    # the switch up asked the publisher for a keyframe of the top layer
    assert publisher.keyframe_requests >= 1


async def test_a_budget_caps_the_layer_and_lifting_it_restores_it(room):
    relay = room.relay
    await joined(room, SimulcastPublisher(relay, "pub", "r1", number=1))
    watcher = await joined(room, LayerWatcher(relay, "sub", "r1", number=2))
    await wait_for(lambda: watcher.last_width() == 640, timeout=10)  # no tile said: the top

    await wait_for(lambda: _bitrates(relay, "pub")["f"] > 0, timeout=15)
    rates = _bitrates(relay, "pub")
    # the counter picture compresses well: the layers take ~10, ~20 and ~40 kbit/s
    relay.set_subscriber_budget("sub", (rates["q"] + rates["f"]) // 2)
    await wait_for(lambda: watcher.last_width() in (160, 320), timeout=5)
    relay.set_subscriber_budget("sub", None)
    await wait_for(lambda: watcher.last_width() == 640, timeout=5)


def _bitrates(relay: Relay, publisher: str) -> dict[str, int]:
    publication = relay._participants[publisher].publications["video"]
    return {layer.rid: layer.bitrate for layer in publication.layers}


async def test_a_publisher_without_simulcast_still_reaches_a_subscriber_that_sent_tiles(
    room,
):
    from tests.media.media_peers import Client

    relay = room.relay
    publisher = await joined(room, Client(relay, "plain", "r1", number=1))
    watcher = await joined(room, LayerWatcher(relay, "sub", "r1", number=2))
    relay.set_tiles("sub", {"plain": (160, 96)})
    await wait_for(lambda: len(watcher.pictures) >= 10, timeout=10)
    assert relay.layer_of("sub", "plain") is None
    assert publisher.pc.connectionState == "connected"


async def test_a_simulcast_publisher_joining_a_room_with_others_reaches_them(room):
    # the relay already sends the newcomer others' media when its layers start: their
    # SSRCs were never announced and the payload type is shared, so only the MID tells
    relay = room.relay
    early = await joined(room, LayerWatcher(relay, "early", "r1", number=1))
    await joined(room, SimulcastPublisher(relay, "other", "r1", number=2))
    await wait_for(lambda: early.last_width() == 640, timeout=10)
    late = await joined(room, SimulcastPublisher(relay, "late", "r1", number=3))
    await wait_for(lambda: relay.layer_of("early", "late") == "f", timeout=10)
    await wait_for(lambda: relay.layer_of("other", "late") == "f", timeout=5)
    await wait_for(lambda: relay.layer_of("late", "other") == "f", timeout=5)
    assert late.keyframe_requests >= 1


async def test_layers_arrive_next_to_a_second_video_on_the_same_codec(room):
    # a screen share beside the camera: two m-lines share VP8's payload type, and the
    # layers' SSRCs were never announced, so only their MID says where they belong
    relay = room.relay
    await joined(room, SimulcastPublisher(relay, "pub", "r1", number=1, second_video=True))
    watcher = await joined(room, LayerWatcher(relay, "sub", "r1", number=2))
    await wait_for(lambda: watcher.last_width() == 640, timeout=10)
    assert relay.layer_of("sub", "pub") == "f"
