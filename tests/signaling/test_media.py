"""Media through the signaling socket: aiortc peers negotiate as docs/protocol.md says,
and the relay in the server process forwards what room state allows."""

import asyncio

from signaling import media_bridge
from tests.media.media_peers import wait_for


async def test_two_people_see_each_other_through_the_relay(room, media):
    _peer_socket, fern, heron = await media.facilitator_and_peer(room)

    assert fern.ready["publish_video"] and fern.ready["ice_servers"] == []
    # pictures decode to the counters their sender drew
    await wait_for(lambda: len(fern.counters_from(heron.id)) > 5, timeout=10)
    await wait_for(lambda: len(heron.counters_from(fern.id)) > 5, timeout=10)
    assert fern.mislabelled == heron.mislabelled == 0
    await fern.expect("media.track", participant_id=heron.id, kind="video")
    stats = media_bridge.local_worker().relay.stats()
    assert (stats.encoder_calls, stats.decoder_calls) == (0, 0)


async def test_text_only_participant_may_listen_but_is_never_forwarded(room, media):
    # a text-only page that (wrongly or maliciously) sends a camera anyway
    _listener_socket, fern, wren = await media.facilitator_and_peer(
        room, "Quiet Wren", media="text_only", peer={"receive_video": False}
    )

    assert wren.ready["publish_audio"] is False and wren.ready["publish_video"] is False
    await wait_for(lambda: wren.mid_of(fern.id, "audio"), timeout=10)
    audio_mid = wren.mid_of(fern.id, "audio")
    await wait_for(lambda: wren.packets_on_mid(audio_mid), timeout=10)
    await asyncio.sleep(1.0)
    assert wren.mid_of(fern.id, "video") is None  # audio-only: no video at all
    assert fern.mid_of(wren.id, "video") is None and fern.mid_of(wren.id, "audio") is None
    assert not fern.counters_from(wren.id)


async def test_lobby_member_cannot_start_media(room, media):
    waiting = await room.connect("Eager Lark")
    await waiting.expect("lobby.waiting")
    await waiting.send({"type": "media.join"})
    error = await waiting.expect("error")
    assert error["code"] == "not_admitted"


async def test_bad_negotiation_gets_typed_errors_and_leaves_others_flowing(room, media):
    peer_socket = await room.admitted_peer("Calm Heron")
    await peer_socket.send({"type": "media.offer", "sdp": "v=0\r\n"})
    assert (await peer_socket.expect("error"))["code"] == "media_not_started"

    fern = media.add(room.facilitator)
    heron = media.add(peer_socket)
    await fern.join()
    await heron.join()
    await wait_for(lambda: len(fern.counters_from(heron.id)) > 3, timeout=10)

    await peer_socket.send({"type": "media.offer", "sdp": "this is not sdp"})
    assert (await heron.expect("error"))["code"] == "bad_sdp"
    await peer_socket.send(
        {"type": "media.candidate", "candidate": {"candidate": "nonsense", "sdpMid": "0"}}
    )
    assert (await heron.expect("error"))["code"] == "bad_candidate"
    await peer_socket.send({"type": "media.answer", "sdp": "v=0\r\n"})
    assert (await heron.expect("error"))["code"] in {"unexpected_answer", "bad_sdp"}

    before = len(fern.counters_from(heron.id))
    await wait_for(lambda: len(fern.counters_from(heron.id)) > before + 10, timeout=15)
    await wait_for(lambda: len(heron.counters_from(fern.id)) > 10, timeout=15)


async def test_leaving_the_meeting_takes_the_leavers_media_away(room, media):
    peer_socket, fern, heron = await media.facilitator_and_peer(room)
    await wait_for(lambda: fern.mid_of(heron.id, "video") and fern.counters_from(heron.id), 10)

    await peer_socket.send({"type": "leave"})
    # the relay's next offer to the facilitator no longer carries the leaver's media
    await wait_for(lambda: fern.mid_of(heron.id, "video") is None, timeout=15)
    await wait_for(lambda: fern.mid_of(heron.id, "audio") is None, timeout=15)
    assert media_bridge.local_worker().relay.stats().participants == 1


async def test_joining_media_again_starts_a_fresh_connection(room, media):
    """A reloaded page (or an audio-only switch) sends media.join again."""
    peer_socket, fern, heron = await media.facilitator_and_peer(room)
    await wait_for(lambda: fern.counters_from(heron.id), timeout=10)

    await heron.close()  # the old page is gone; its socket stays with the new one
    media.peers.remove(heron)
    again = media.add(peer_socket)
    await again.join()
    count = len(fern.counters_from(again.id))
    await wait_for(lambda: len(fern.counters_from(again.id)) > count + 5, timeout=10)
    assert media_bridge.local_worker().relay.stats().participants == 2


async def test_media_stop_leaves_chat_working(room, media):
    peer_socket = await room.admitted_peer("Calm Heron")
    heron = media.add(peer_socket)
    await heron.join()
    await peer_socket.send({"type": "media.leave"})
    await heron.expect("media.stopped")
    assert media_bridge.local_worker().relay.stats().participants == 0
    await peer_socket.send({"type": "chat.send", "text": "I'll stay on text tonight"})
    message = await heron.expect("chat.message")
    assert message["message"]["text"] == "I'll stay on text tonight"


async def test_everyone_in_the_room_learns_who_is_speaking(room, media):
    _peer_socket, fern, heron = await media.facilitator_and_peer(
        room,
        facilitator={"amplitude": 0.0, "video": False},
        peer={"amplitude": 0.5, "video": False},
    )
    await fern.expect("media.speaker", timeout=10, participant_id=heron.id)
    await heron.expect("media.speaker", timeout=10, participant_id=heron.id)


async def test_a_muted_peers_audio_stops_at_the_relay_and_flows_again_when_they_accept(room, media):
    peer_socket, fern, heron = await media.facilitator_and_peer(room)

    def heard() -> int:
        received = fern.received.get(heron.id)
        return received.audio_frames if received else 0

    await wait_for(lambda: heard() > 20, timeout=10)
    await room.facilitator.send({"type": "mute", "kind": "audio", "participant_id": heron.id})
    await heron.expect("muted")
    await asyncio.sleep(0.5)  # what was already in flight or in the jitter buffer
    before, pictures = heard(), len(fern.counters_from(heron.id))
    await asyncio.sleep(1.5)
    assert heard() - before <= 2  # the browser still sends; the relay drops it
    assert len(fern.counters_from(heron.id)) > pictures + 10  # video goes on

    await room.facilitator.send({"type": "unmute.ask", "kind": "audio", "participant_id": heron.id})
    await heron.expect("unmute.requested")
    await peer_socket.send({"type": "unmute.answer", "kind": "audio", "accept": True})
    silent = heard()
    await wait_for(lambda: heard() > silent + 20, timeout=15)


async def test_breakout_members_hear_only_their_breakout_and_get_the_main_room_back(room, media):
    heron_socket = await room.admitted_peer("Calm Heron")
    wren_socket = await room.admitted_peer("Bold Wren")
    fern = media.add(room.facilitator)
    heron = media.add(heron_socket)
    wren = media.add(wren_socket)
    for peer in (fern, heron, wren):
        await peer.join()
    await wait_for(lambda: len(heron.counters_from(fern.id)) > 5, timeout=10)
    await wait_for(lambda: len(fern.counters_from(wren.id)) > 5, timeout=10)

    await room.facilitator.send({"type": "breakout.create", "count": 1})
    created = await heron.expect("breakouts.updated")
    breakout = created["rooms"][0]["id"]
    for socket in (heron_socket, wren_socket):
        await room.facilitator.send(
            {
                "type": "breakout.move",
                "participant_id": socket.participant_id,
                "breakout_id": breakout,
            }
        )
    # the relay's next offers take the main room's media away, both ways
    await wait_for(lambda: heron.mid_of(fern.id, "audio") is None, timeout=10)
    await wait_for(lambda: heron.mid_of(fern.id, "video") is None, timeout=10)
    await wait_for(lambda: fern.mid_of(heron.id, "audio") is None, timeout=10)
    await wait_for(lambda: fern.mid_of(wren.id, "video") is None, timeout=10)
    together = len(heron.counters_from(wren.id))
    await wait_for(lambda: len(heron.counters_from(wren.id)) > together + 10, timeout=10)
    from_fern = len(heron.counters_from(fern.id))

    await room.facilitator.send({"type": "breakout.close_all"})
    await heron.expect("breakouts.closed")
    # back in the main room on the same connection: nobody reloads
    await wait_for(lambda: len(heron.counters_from(fern.id)) > from_fern + 10, timeout=10)
    await wait_for(lambda: fern.mid_of(heron.id, "audio") is not None, timeout=10)
    heard = fern.received[heron.id].audio_frames
    await wait_for(lambda: fern.received[heron.id].audio_frames > heard + 20, timeout=10)


async def test_a_text_only_peer_switches_to_video_and_back_and_the_relay_follows(room, media):
    """media.set: the server decides, everyone sees it, the relay forwards only what it allows."""
    # a text-only page that sends a camera anyway
    wren_socket, fern, wren = await media.facilitator_and_peer(
        room, "Quiet Wren", media="text_only"
    )
    assert wren.ready["publish_video"] is False

    await wren_socket.send({"type": "media.set", "mode": "video"})
    seen = await fern.expect("participant.updated")
    assert seen["participant"]["id"] == wren.id
    assert (seen["participant"]["media"], seen["participant"]["video"]) == ("camera_mic", "on")
    # what a page does after the switch: a new connection, which may publish now
    await wren.close()
    media.peers.remove(wren)
    wren = media.add(wren_socket)
    await wren.join()
    assert wren.ready["publish_audio"] is True and wren.ready["publish_video"] is True
    await wait_for(lambda: len(fern.counters_from(wren.id)) > 5, timeout=10)

    # back to text only: the relay stops forwarding at once, before the page leaves media
    await wren_socket.send({"type": "media.set", "mode": "text_only"})
    seen = await fern.expect("participant.updated")
    assert seen["participant"]["media"] == "text_only"
    await asyncio.sleep(0.5)  # frames already in flight
    pictures = len(fern.counters_from(wren.id))
    await asyncio.sleep(1.5)
    assert len(fern.counters_from(wren.id)) <= pictures + 1


async def test_switching_to_audio_keeps_a_facilitators_mute_when_self_unmute_is_off(room):
    heron = await room.admitted_peer("Calm Heron", media="text_only")
    wren = await room.admitted_peer("Bold Wren")
    fac = room.facilitator
    await fac.send({"type": "room.configure", "allow_self_unmute": False})
    await fac.send({"type": "mute.all"})  # text-only Heron has no microphone to mute
    await fac.send({"type": "mute", "kind": "audio", "participant_id": heron.participant_id})
    await heron.expect("muted")
    for client in (heron, wren, fac):
        await client.drain()

    await heron.send({"type": "media.set", "mode": "audio"})
    for client in (heron, wren, fac):
        seen = await client.expect("participant.updated")
        assert seen["participant"]["id"] == heron.participant_id
        assert seen["participant"]["media"] == "camera_mic"
        assert seen["participant"]["audio"] == "off_by_facilitator"
        assert seen["participant"]["video"] == "off_by_self"
    await heron.send({"type": "unmute", "kind": "audio"})
    assert (await heron.expect("error"))["code"] == "self_unmute_disabled"

    # the same choice again changes nothing and sends nothing; a bad mode is refused
    await heron.send({"type": "media.set", "mode": "audio"})
    await heron.send({"type": "media.set", "mode": "camera"})
    assert (await heron.expect("error"))["code"] == "invalid_message"
    await wren.nothing_more()


async def test_a_lobby_member_cannot_change_how_they_take_part(room):
    waiting = await room.connect("Eager Lark", media="text_only")
    await waiting.expect("lobby.waiting")
    await waiting.send({"type": "media.set", "mode": "video"})
    assert (await waiting.expect("error"))["code"] == "not_admitted"


async def test_a_facilitator_who_enters_sees_the_share_of_voice_within_seconds(
    room, media, monkeypatch
):
    from media import worker

    monkeypatch.setattr(worker, "SPEAKING_REFRESH_REPORTS", 1000)  # no periodic resend
    _peer_socket, fern, heron = await media.facilitator_and_peer(
        room,
        facilitator={"amplitude": 0.0, "video": False},
        peer={"amplitude": 0.5, "video": False},
    )
    await fern.expect("media.speaker", timeout=10, participant_id=heron.id)
    heron.audio.amplitude = 0.0  # Heron has said their piece: the totals stop changing
    await asyncio.sleep(2 * worker.SPEAKING_REPORT_SECONDS)

    fox = await room.connect("Facilitator Fox", role="facilitator")
    await fox.expect("room.state")
    shown = await fox.expect("voice.share", timeout=worker.SPEAKING_REPORT_SECONDS + 1)
    assert shown["seconds"][heron.id] > 0
