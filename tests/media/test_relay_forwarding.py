"""Media flows through the relay as forwarded packets: content intact, nothing transcoded."""

import asyncio

from tests.media.media_peers import wait_for


async def test_video_frames_arrive_with_the_content_that_was_sent(room, make_client):
    alice = await make_client("alice")
    bob = await make_client("bob")

    await wait_for(lambda: len(bob.counters_from("alice")) >= 30, timeout=8)
    await wait_for(lambda: len(alice.counters_from("bob")) >= 30, timeout=8)

    counters = bob.counters_from("alice")
    # decoded pictures carry the counters alice drew, in order, and recent ones
    assert counters == sorted(counters)
    assert all(alice.video.first < c <= alice.video.counter for c in counters)
    assert alice.video.counter - counters[-1] < 30
    # ~30 fps in, ~30 fps out: no frames dropped on the way
    assert counters[-1] - counters[0] + 1 - len(counters) <= 3
    stats = room.relay.stats()
    assert stats.encoder_calls == 0
    assert stats.decoder_calls == 0
    assert stats.packets_out > 0


async def test_audio_reaches_the_others(room, make_client):
    alice = await make_client("alice", video=False)
    bob = await make_client("bob", video=False)
    await wait_for(lambda: bob.received.get("alice") and bob.received["alice"].audio_frames > 25)
    await wait_for(lambda: alice.received.get("bob") and alice.received["bob"].audio_frames > 25)
    assert room.relay.stats().decoder_calls == 0


async def test_late_subscriber_gets_a_keyframe_within_one_second(room, make_client):
    await make_client("alice", audio=False)
    bob = await make_client("bob", video=False, audio=False)
    await wait_for(lambda: len(bob.counters_from("alice")) >= 10, timeout=8)
    # aiortc publishers send a keyframe only every 100 s unless asked: by now the
    # stream is well past its first one
    await asyncio.sleep(1.5)

    carol = await make_client("carol", video=False, audio=False)
    await wait_for(lambda: carol.answered_at and carol.counters_from("alice"), timeout=5)
    first_picture = carol.received["alice"].counters[0][0]
    assert first_picture - carol.answered_at[0] < 1.0
    assert room.relay.stats().encoder_calls == 0


async def test_audio_only_subscriber_gets_no_video(room, make_client):
    alice = await make_client("alice")
    listener = await make_client("listener", video=False, receive_video=False)
    await wait_for(
        lambda: listener.received.get("alice") and listener.received["alice"].audio_frames > 10
    )
    assert all(info["kind"] == "audio" for info in listener.mids.values())
    assert not listener.counters_from("alice")
    # the listener's own audio still reaches alice
    await wait_for(
        lambda: alice.received.get("listener") and alice.received["listener"].audio_frames > 10
    )
