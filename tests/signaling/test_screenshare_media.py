"""Screen sharing end to end with aiortc peers on the signaling socket: the relay forwards
a second video as `source: "screen"` only while rooms/ says that person shares."""

import asyncio

from tests.media.media_peers import COUNTER_RANGE, SCREEN_OFFSET, wait_for


def screen_of(viewer, sharer) -> list[int]:
    base = sharer.number * COUNTER_RANGE + SCREEN_OFFSET
    return [c for c in viewer.screens.get(sharer.id, []) if base <= c < base + SCREEN_OFFSET]


async def test_a_facilitators_screen_reaches_a_peer_as_screen(room, media):
    _peer_socket, fern, heron = await media.facilitator_and_peer(room, facilitator={"screen": True})
    await wait_for(lambda: len(heron.counters_from(fern.id)) > 5, timeout=10)
    assert heron.mid_of(fern.id, "screen") is None  # sent by the browser, not shared yet

    await room.facilitator.send({"type": "screen.start"})
    await wait_for(lambda: len(screen_of(heron, fern)) > 5, timeout=10)
    info = heron.mids[heron.mid_of(fern.id, "screen")]
    assert info == {"participant": fern.id, "kind": "video", "source": "screen"}


async def test_a_peers_screen_is_not_forwarded_until_a_facilitator_allows_it(room, media):
    peer_socket, fern, heron = await media.facilitator_and_peer(room, peer={"screen": True})
    await wait_for(lambda: len(fern.counters_from(heron.id)) > 10, timeout=10)

    await peer_socket.send({"type": "screen.start"})
    await heron.expect("error", code="share_not_permitted")
    await asyncio.sleep(1.0)
    assert fern.screens == {} and fern.mid_of(heron.id, "screen") is None

    await room.facilitator.send(
        {"type": "screen.allow", "participant_id": heron.id, "allowed": True}
    )
    await heron.expect("screenshare.updated")
    await peer_socket.send({"type": "screen.start"})
    await wait_for(lambda: len(screen_of(fern, heron)) > 5, timeout=10)

    await room.facilitator.send({"type": "screen.stop", "participant_id": heron.id})
    await heron.expect("screenshare.stopped", reason="facilitator")
    await wait_for(lambda: fern.mid_of(heron.id, "screen") is None, timeout=5)
    seen = len(fern.screens[heron.id])
    await asyncio.sleep(1.0)
    assert len(fern.screens[heron.id]) <= seen + 1  # at most a frame still in the jitter buffer
