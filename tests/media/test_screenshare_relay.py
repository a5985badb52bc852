"""A shared screen through the relay: a second video per publisher, labelled `screen`, and
forwarded only while the server says that person shares (`set_forwarding(screen=...)`, which
the worker takes from `MediaPlan.screen`)."""

import asyncio
import dataclasses

from tests.media.media_peers import COUNTER_RANGE, SCREEN_OFFSET, wait_for


def _screen_content(client, owner):
    """Counters drawn by `owner`'s screen track (not its camera) seen on screen MIDs."""
    base = owner.number * COUNTER_RANGE + SCREEN_OFFSET
    return [c for c in client.screens.get(owner.id, []) if base <= c < base + SCREEN_OFFSET]


async def test_a_facilitators_screen_reaches_others_as_screen_beside_the_camera(room, make_client):
    sam = await make_client("sam", screen=True)
    bob = await make_client("bob")
    await wait_for(lambda: len(bob.counters_from("sam")) > 5)
    assert bob.mid_of("sam", "screen") is None  # nobody shares yet: no screen is offered

    room.relay.set_forwarding("sam", screen=True)  # the server: sam shares now
    await wait_for(lambda: len(_screen_content(bob, sam)) > 10, timeout=6)
    screen_mid, camera_mid = bob.mid_of("sam", "screen"), bob.mid_of("sam", "video")
    assert screen_mid and camera_mid and screen_mid != camera_mid
    assert bob.mids[screen_mid] == {"participant": "sam", "kind": "video", "source": "screen"}
    assert bob.mids[camera_mid]["source"] == "camera"
    # the camera still carries the camera's pictures, the screen only the screen's
    assert all(c < sam.number * COUNTER_RANGE + SCREEN_OFFSET for c in bob.counters_from("sam"))
    assert _screen_content(bob, sam) == bob.screens["sam"]


async def test_a_screen_the_server_does_not_allow_never_reaches_anyone(room, make_client):
    bob = await make_client("bob")
    pia = await make_client("pia", screen=True)  # a peer whose browser sends a screen anyway
    await wait_for(lambda: len(bob.counters_from("pia")) > 10)
    await asyncio.sleep(1.0)
    assert bob.mid_of("pia", "screen") is None
    assert bob.screens == {}
    assert room.relay._participants["pia"].publications["screen"].packets_in > 0  # it did send

    room.relay.set_forwarding("pia", screen=True)  # a facilitator allowed pia, who shares
    await wait_for(lambda: len(_screen_content(bob, pia)) > 5, timeout=6)
    screen_mid = bob.mid_of("pia", "screen")

    room.relay.set_forwarding("pia", screen=False)  # a facilitator stopped the share
    await asyncio.sleep(0.3)  # packets already in flight
    stopped_at = await bob.packets_on_mid(screen_mid)
    await asyncio.sleep(1.0)
    assert await bob.packets_on_mid(screen_mid) == stopped_at
    await wait_for(lambda: bob.mid_of("pia", "screen") is None)  # offered no longer
    # pia's camera carries on
    seen = len(bob.counters_from("pia"))
    await wait_for(lambda: len(bob.counters_from("pia")) > seen + 5)


async def test_camera_and_screen_are_stopped_separately(room, make_client):
    sam = await make_client("sam", screen=True)
    bob = await make_client("bob")
    room.relay.set_forwarding("sam", screen=True)
    await wait_for(lambda: len(_screen_content(bob, sam)) > 5, timeout=6)

    room.relay.set_forwarding("sam", video=False)  # camera off: the share goes on
    await asyncio.sleep(0.3)
    camera = len(bob.counters_from("sam"))
    screen = len(bob.screens["sam"])
    await asyncio.sleep(0.8)
    assert len(bob.counters_from("sam")) == camera
    assert len(bob.screens["sam"]) > screen + 5

    room.relay.set_forwarding("sam", video=True, screen=False)  # share stopped, camera back
    await wait_for(lambda: len(bob.counters_from("sam")) > camera + 5)
    await wait_for(lambda: bob.mid_of("sam", "screen") is None)


async def test_a_screen_is_not_left_out_by_last_n(room, make_client):
    room.relay.config = dataclasses.replace(room.relay.config, last_n=1)
    sam = await make_client("sam", screen=True, audio=False)
    await make_client("ana", audio=False)
    bob = await make_client("bob", video=False, audio=False)
    room.relay.set_forwarding("sam", screen=True)
    await wait_for(lambda: len(_screen_content(bob, sam)) > 5, timeout=6)
    cameras = [m for m, i in bob.mids.items() if i["source"] == "camera"]
    assert len(cameras) == 1
