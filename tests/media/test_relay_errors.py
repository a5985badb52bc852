"""Bad input gives a typed error with a stable code; nobody else notices."""

import asyncio
import json

import pytest

from media import (
    ERROR_CODES,
    EVENT_TYPES,
    AlreadyJoined,
    BadCandidate,
    BadSdp,
    ConnectionClosed,
    NegotiationInProgress,
    UnexpectedAnswer,
    UnknownParticipant,
)
from tests.media.media_peers import wait_for

CANDIDATE = {
    "candidate": "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
}


async def _still_flowing(client, publisher):
    before = len(client.counters_from(publisher))
    # a deadline for a busy machine: at 30 frames a second, 5 more take a fraction of it
    await wait_for(lambda: len(client.counters_from(publisher)) > before + 5, timeout=15)


async def test_bad_input_gives_typed_errors_and_others_keep_going(room, make_client):
    alice = await make_client("alice")
    bob = await make_client("bob")
    await wait_for(lambda: bob.counters_from("alice") and alice.counters_from("bob"))
    relay = room.relay

    await relay.join("mallory", "r1")
    with pytest.raises(BadSdp) as bad:
        await relay.offer("mallory", "v=0\r\nthis is not sdp\r\n")
    assert bad.value.code == "bad_sdp" and bad.value.participant == "mallory"
    with pytest.raises(BadSdp):
        await relay.offer("mallory", "")
    with pytest.raises(UnknownParticipant) as unknown:
        await relay.offer("nobody", alice.pc.localDescription.sdp)
    assert unknown.value.code == "unknown_participant"
    with pytest.raises(UnknownParticipant):
        await relay.add_ice_candidate("nobody", CANDIDATE)
    with pytest.raises(UnknownParticipant):
        relay.set_forwarding("nobody", audio=False)
    with pytest.raises(UnknownParticipant):
        await relay.leave("nobody")
    with pytest.raises(AlreadyJoined):
        await relay.join("alice", "r1")
    with pytest.raises(BadCandidate):
        await relay.add_ice_candidate("alice", {"candidate": "candidate:garbage", "sdpMid": "0"})
    with pytest.raises(UnexpectedAnswer):
        await relay.answer("alice", alice.pc.localDescription.sdp)

    await _still_flowing(bob, "alice")
    await _still_flowing(alice, "bob")
    assert relay.stats().encoder_calls == 0


async def test_ice_candidate_for_a_closed_connection(room, make_client):
    alice = await make_client("alice")
    bob = await make_client("bob")
    await wait_for(lambda: bob.counters_from("alice"))
    # a connection the relay has given up on (what a failed connection ends as)
    await room.relay._get("bob").pc.close()
    with pytest.raises(ConnectionClosed) as closed:
        await room.relay.add_ice_candidate("bob", CANDIDATE)
    assert closed.value.code == "connection_closed"
    with pytest.raises(ConnectionClosed):
        await room.relay.offer("bob", bob.pc.localDescription.sdp)
    carol = await make_client("carol")
    await wait_for(lambda: carol.counters_from("alice") and alice.counters_from("carol"))
    await room.relay.leave("bob")
    await _still_flowing(carol, "alice")


async def test_client_offer_during_a_relay_offer_is_refused(room, make_client):
    alice = await make_client("alice")
    # hold alice's answers back so the relay's offer stays outstanding
    alice._tasks[0].cancel()
    await make_client("bob")
    await wait_for(lambda: not alice._renegotiations.empty())
    with pytest.raises(NegotiationInProgress):
        await room.relay.offer("alice", alice.pc.localDescription.sdp)


async def test_leaving_while_the_relay_makes_an_offer_is_not_an_error(room, make_client, caplog):
    alice = await make_client("alice")
    await make_client("bob")
    await wait_for(lambda: alice.counters_from("bob"))
    relay = room.relay
    pc = relay._participants["alice"].pc
    set_local = pc.setLocalDescription

    async def leave_first(description):
        await relay.leave("alice")  # alice closes her tab just as carol's arrival is offered
        return await set_local(description)

    pc.setLocalDescription = leave_first
    await make_client("carol")
    await wait_for(lambda: "alice" not in relay._participants)
    await asyncio.sleep(0.2)
    assert not [e for e in room.events if e.type == "error"], room.events
    assert "relay offer failed" not in caplog.text


def test_events_and_error_codes_are_json_safe_and_stable(room):
    from media import (
        ActiveSpeaker,
        ConnectionState,
        RelayErrorEvent,
        Renegotiate,
        TrackLive,
        VideosPaused,
    )

    samples = [
        TrackLive("a", "video"),
        ActiveSpeaker("a", "r1"),
        ConnectionState("a", "failed"),
        Renegotiate("a", "v=0", {"1": {"participant": "b", "kind": "audio"}}),
        RelayErrorEvent("a", "negotiation_failed", "x"),
        VideosPaused("a", cameras=("b",), screens=()),
    ]
    assert {type(s) for s in samples} == set(EVENT_TYPES)
    for sample in samples:
        data = json.loads(json.dumps(sample.to_dict()))
        assert data["participant"] == "a" and data["type"] == type(sample).type
    assert ERROR_CODES == [
        "already_joined",
        "bad_candidate",
        "bad_sdp",
        "connection_closed",
        "negotiation_in_progress",
        "relay_closed",
        "unexpected_answer",
        "unknown_participant",
    ]


async def test_track_live_and_connection_events(room, make_client):
    await make_client("alice")
    await wait_for(
        lambda: (
            {("alice", "audio"), ("alice", "video")}
            <= {(e.participant, e.kind) for e in room.events if e.type == "track_live"}
        )
    )
    states = [e.state for e in room.events if e.type == "connection_state"]
    assert "connected" in states
