"""The cap (REMB) the relay sends a publisher follows what its subscribers watch: no
allowance for a full layer that nobody watches, and the allowance back when someone does."""

from __future__ import annotations

from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media import Relay
from media.forwarding import Downtrack
from media.publisher_rate import HEADROOM, simulcast_cap
from media.simulcast import SimulcastPublication
from tests.media.media_peers import Client, joined, wait_for
from tests.media.simulcast_peers import LayerWatcher, SimulcastPublisher

MAXIMUM = 2_500_000
RELAY_OPTIONS = {
    "keyframe_min_interval": 0.3,
    "simulcast_max_bitrate": MAXIMUM,
    "estimate_bandwidth": False,
}


def _record_rembs(relay: Relay, publisher: str, source: str = "video") -> list[int]:
    """The bitrates the relay sends ``publisher`` in REMB, as they are sent."""
    ingress = relay._participants[publisher].publications[source].ingress
    sent: list[int] = []
    send = ingress.send_remb

    async def recording(bitrate: int) -> None:
        sent.append(bitrate)
        await send(bitrate)

    ingress.send_remb = recording
    return sent


async def test_the_full_layer_is_not_paid_for_while_nobody_watches_it(room):
    relay = room.relay
    await joined(room, SimulcastPublisher(relay, "pub", "r1", number=1))
    small = await joined(room, LayerWatcher(relay, "small", "r1", number=2))
    large = await joined(room, LayerWatcher(relay, "large", "r1", number=3))
    relay.set_tiles("small", {"pub": (160, 96)})
    relay.set_tiles("large", {"pub": (640, 384)})
    rembs = _record_rembs(relay, "pub")
    await wait_for(lambda: small.last_width() == 160 and large.last_width() == 640, timeout=10)
    await wait_for(lambda: rembs[-2:] == [MAXIMUM, MAXIMUM], timeout=5)

    # the only full-size viewer leaves: the publisher may send the small layer, no more
    await large.close()
    await relay.leave("large")
    del room.clients["large"]
    await wait_for(lambda: len(rembs) > 2 and rembs[-1] < MAXIMUM, timeout=4)
    publication = relay._participants["pub"].publications["video"]
    q, h, f = publication.layers
    capped = rembs[-1]
    assert capped >= q.bitrate  # what is watched still fits
    assert capped < q.sent_bitrate + h.sent_bitrate + f.sent_bitrate
    assert capped < MAXIMUM // 4

    # someone shows it large again: the allowance comes back and they get the full layer
    back = await joined(room, LayerWatcher(relay, "back", "r1", number=4))
    relay.set_tiles("back", {"pub": (640, 384)})
    await wait_for(lambda: rembs[-1] == MAXIMUM, timeout=4)
    await wait_for(lambda: back.last_width() == 640, timeout=10)
    assert relay.layer_of("back", "pub") == "f"


async def test_a_single_layer_publisher_is_capped_at_its_best_connected_viewers_budget(room):
    relay = room.relay
    await joined(room, Client(relay, "plain", "r1", number=1))
    first = await joined(room, Client(relay, "first", "r1", number=2, video=False))
    await joined(room, Client(relay, "second", "r1", number=3, video=False))
    rembs = _record_rembs(relay, "plain")
    await wait_for(lambda: first.counters_from("plain"), timeout=10)
    await wait_for(lambda: rembs and rembs[-1] == relay.config.publisher_max_bitrate, timeout=3)

    relay.set_subscriber_budget("first", 300_000)
    relay.set_subscriber_budget("second", 400_000)
    await wait_for(lambda: rembs[-1] == 400_000, timeout=3)
    relay.set_subscriber_budget("second", None)  # no limit known for one viewer: no cap
    await wait_for(lambda: rembs[-1] == relay.config.publisher_max_bitrate, timeout=3)


def test_the_cap_covers_the_layers_up_to_the_highest_one_someone_wants():
    vp8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
    publication = SimulcastPublication("pub", ["q", "h", "f"], vp8, 0.0, lambda p: None)
    measured = {"q": (320, 180, 150_000), "h": (640, 360, 500_000), "f": (1280, 720, 1_500_000)}
    for layer in publication.layers:
        layer.width, layer.height, layer.sent_bitrate = measured[layer.rid]
    for subscriber in ("small", "large"):
        publication.add_downtrack(Downtrack(subscriber, None, 90000, True))  # type: ignore[arg-type]
    publication.choices["small"].tile = (320, 180)
    publication.choices["large"].tile = (1280, 720)
    assert simulcast_cap(publication, MAXIMUM) == MAXIMUM

    publication.downtracks["large"].paused = True  # paused for its bandwidth: not watched
    assert simulcast_cap(publication, MAXIMUM) == int(150_000 * HEADROOM)
    publication.downtracks["large"].paused = False
    publication.choices["large"].budget = 800_000  # the full layer does not fit its budget
    assert simulcast_cap(publication, MAXIMUM) == int((150_000 + 500_000) * HEADROOM)
    publication.remove_downtrack("small")
    publication.remove_downtrack("large")
    assert simulcast_cap(publication, MAXIMUM) == int(150_000 * HEADROOM)  # nobody: the lowest
