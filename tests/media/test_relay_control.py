"""Commands signaling will send: mute, breakout moves, people coming and going, last-N."""

import asyncio

from media import ActiveSpeaker, Relay, RelayConfig
from media.aiortc_private.ice import restore_host_addresses
from tests.media.media_peers import wait_for


async def _increases(client, mid, seconds=0.6):
    before = await client.packets_on_mid(mid)
    await asyncio.sleep(seconds)
    return await client.packets_on_mid(mid) > before


async def test_muted_publishers_audio_stops_reaching_others(room, make_client):
    alice = await make_client("alice")
    bob = await make_client("bob")
    await wait_for(lambda: bob.mid_of("alice", "audio") and alice.mid_of("bob", "audio"))
    alice_audio = bob.mid_of("alice", "audio")
    await wait_for(lambda: bob.packets_on_mid(alice_audio))

    room.relay.set_forwarding("alice", audio=False)
    await asyncio.sleep(0.2)  # packets already in flight
    assert not await _increases(bob, alice_audio, 1.0)
    # alice's video and bob's audio are untouched
    video_frames = len(bob.counters_from("alice"))
    assert await _increases(alice, alice.mid_of("bob", "audio"))
    assert len(bob.counters_from("alice")) > video_frames

    room.relay.set_forwarding("alice", audio=True)
    await asyncio.sleep(0.2)
    assert await _increases(bob, alice_audio)


async def test_stopped_video_is_not_forwarded(room, make_client):
    await make_client("alice")
    bob = await make_client("bob")
    await wait_for(lambda: len(bob.counters_from("alice")) > 5)
    room.relay.set_forwarding("alice", video=False)
    await asyncio.sleep(0.3)
    count = len(bob.counters_from("alice"))
    await asyncio.sleep(0.8)
    assert len(bob.counters_from("alice")) == count
    room.relay.set_forwarding("alice", video=True)
    # resumed video starts on a keyframe, so it decodes at once (the deadline is for a busy
    # machine, not a target)
    await wait_for(lambda: len(bob.counters_from("alice")) > count + 5, timeout=15)


async def test_moved_participant_only_gets_its_new_rooms_media(room, make_client):
    alice = await make_client("alice", audio=False)
    await make_client("bob", audio=False)
    carol = await make_client("carol", audio=False)
    await wait_for(lambda: carol.counters_from("alice") and carol.counters_from("bob"))
    await wait_for(lambda: alice.counters_from("carol"))

    await room.relay.move("carol", "breakout-1")
    dave = await make_client("dave", "breakout-1", audio=False)
    await wait_for(lambda: carol.counters_from("dave") and dave.counters_from("carol"), timeout=6)
    # pictures are attributed by the counter range drawn into them, not by labels
    seen = {who: len(carol.counters_from(who)) for who in ("alice", "bob")}
    from_carol = len(alice.counters_from("carol"))
    await asyncio.sleep(0.6)
    assert {who: len(carol.counters_from(who)) for who in ("alice", "bob")} == seen
    assert len(alice.counters_from("carol")) == from_carol
    assert "dave" not in alice.received and "alice" not in dave.received
    # the main room carries on
    before = len(alice.counters_from("bob"))
    await asyncio.sleep(0.5)
    assert len(alice.counters_from("bob")) > before

    await room.relay.move("carol", "r1")
    await wait_for(lambda: alice.mid_of("carol", "video") and carol.mid_of("alice", "video"))
    count = len(carol.counters_from("alice"))
    await wait_for(lambda: len(carol.counters_from("alice")) > count + 5)
    assert carol.mislabelled == 0 and alice.mislabelled == 0


async def test_new_publishers_appear_and_leavers_free_their_sender(room, make_client):
    alice = await make_client("alice", audio=False)
    bob = await make_client("bob", audio=False)
    await wait_for(lambda: alice.counters_from("bob"))
    bob_mid = alice.mid_of("bob", "video")
    transceivers = len(alice.pc.getTransceivers())

    await room.relay.leave("bob")
    await bob.close()
    await wait_for(lambda: alice.mid_of("bob", "video") is None)
    assert [t.currentDirection for t in alice.pc.getTransceivers() if t.mid == bob_mid] == [
        "inactive"
    ]

    await make_client("carol", audio=False)
    await wait_for(lambda: alice.counters_from("carol"), timeout=5)
    # carol arrived on the sender bob left: no new m-line for each newcomer
    assert alice.mid_of("carol", "video") == bob_mid
    assert len(alice.pc.getTransceivers()) == transceivers
    bob_frames = len(alice.counters_from("bob"))
    await asyncio.sleep(0.3)
    assert len(alice.counters_from("bob")) == bob_frames
    assert alice.mislabelled == 0


async def test_last_n_follows_the_active_speaker(make_client, room):
    await room.relay.close()
    restore_host_addresses()
    room.relay = Relay(RelayConfig(host_addresses=["127.0.0.1"], last_n=1), room.on_event)

    viewer = await make_client("viewer", video=False, amplitude=0.0)
    await make_client("quiet", amplitude=0.0)
    await make_client("talker", amplitude=0.0)
    # with nobody speaking, the first publisher to join holds the one video slot
    await wait_for(lambda: viewer.counters_from("quiet"))
    assert viewer.mid_of("talker", "video") is None

    room.clients["talker"].audio.amplitude = 0.5
    await wait_for(
        lambda: any(isinstance(e, ActiveSpeaker) and e.participant == "talker" for e in room.events)
    )
    await wait_for(lambda: viewer.counters_from("talker"), timeout=15)
    assert viewer.mid_of("quiet", "video") is None
    # audio is not subject to last-N
    assert viewer.mid_of("quiet", "audio") and viewer.mid_of("talker", "audio")
    assert room.relay.stats().encoder_calls == 0
