import pytest

pytestmark = pytest.mark.django_db(transaction=True)


async def test_peer_waits_in_lobby_until_facilitator_admits(room):
    peer = await room.connect("Calm Heron")
    waiting = await peer.expect("lobby.waiting")
    assert "lobby" in waiting["message"]
    lobby = await room.facilitator.expect("lobby.updated")
    assert [p["name"] for p in lobby["lobby"]] == ["Calm Heron"]

    await room.facilitator.send({"type": "lobby.admit", "participant_id": peer.participant_id})

    await peer.expect("lobby.admitted")
    state = await peer.expect("room.state")
    assert {p["name"] for p in state["participants"]} == {"Facilitator Fern", "Calm Heron"}
    assert "lobby" not in state  # peers never see who is waiting
    joined = await room.facilitator.expect("participant.joined")
    assert joined["participant"]["name"] == "Calm Heron"


async def test_facilitator_admits_everyone_waiting_at_once(room):
    first = await room.connect("Calm Heron")
    await first.expect("lobby.waiting")
    await room.facilitator.expect("lobby.updated")
    second = await room.connect("Quiet Lark")
    await second.expect("lobby.waiting")
    await room.facilitator.expect("lobby.updated")

    await room.facilitator.send({"type": "lobby.admit_all"})

    assert (await room.facilitator.expect("lobby.updated"))["lobby"] == []
    for peer in (first, second):
        await peer.expect("lobby.admitted")
        state = await peer.expect("room.state")
        names = {p["name"] for p in state["participants"]}
        assert {"Calm Heron", "Quiet Lark"} <= names


async def test_peer_cannot_admit_everyone_and_nothing_changes(room):
    first = await room.admitted_peer("Bold Wren")
    waiting = await room.connect("Quiet Lark")
    await waiting.expect("lobby.waiting")
    await room.facilitator.expect("lobby.updated")

    await first.send({"type": "lobby.admit_all"})

    assert (await first.expect("error"))["code"] == "forbidden"
    await waiting.nothing_more()


async def test_peer_cannot_admit_and_nothing_changes(room):
    first = await room.admitted_peer("Bold Wren")
    waiting = await room.connect("Quiet Lark")
    await waiting.expect("lobby.waiting")
    await room.facilitator.expect("lobby.updated")
    await room.facilitator.expect("attention.item")  # the knock, in the attention queue

    await first.send({"type": "lobby.admit", "participant_id": waiting.participant_id})

    error = await first.expect("error")
    assert error["code"] == "forbidden"
    await waiting.nothing_more()
    await room.facilitator.nothing_more()


async def test_turned_away_peer_gets_kind_message_and_is_closed(room):
    peer = await room.connect("Open Tide")
    await peer.expect("lobby.waiting")
    await room.facilitator.expect("lobby.updated")

    await room.facilitator.send({"type": "lobby.deny", "participant_id": peer.participant_id})

    denied = await peer.expect("lobby.denied")
    assert "welcome to try" in denied["message"]
    assert await peer.expect_close() == 4403
    lobby = await room.facilitator.expect("lobby.updated")
    assert lobby["lobby"] == []


async def test_text_only_participant_is_marked_for_everyone(room):
    await room.admitted_peer("Still Fern", media="text_only")
    other = await room.connect("Warm Maple")
    await other.expect("lobby.waiting")
    await room.facilitator.send({"type": "lobby.admit", "participant_id": other.participant_id})
    state = await other.expect("room.state")
    listed = {p["name"]: p["media"] for p in state["participants"]}
    assert listed == {
        "Facilitator Fern": "camera_mic",
        "Still Fern": "text_only",
        "Warm Maple": "camera_mic",
    }


async def test_promoted_cofacilitator_can_admit_and_demoted_cannot(room):
    peer = await room.admitted_peer("Kind Otter")

    await room.facilitator.send(
        {"type": "role.set", "participant_id": peer.participant_id, "role": "cofacilitator"}
    )
    updated = await peer.expect("participant.updated")
    assert updated["participant"]["role"] == "cofacilitator"
    fresh = await peer.expect("room.state")
    assert fresh["lobby"] == []  # now sees the lobby

    newcomer = await room.connect("Brave Aspen")
    await newcomer.expect("lobby.waiting")
    await peer.expect("lobby.updated")
    await peer.send({"type": "lobby.admit", "participant_id": newcomer.participant_id})
    await newcomer.expect("room.state")

    await room.facilitator.send(
        {"type": "role.set", "participant_id": peer.participant_id, "role": "peer"}
    )
    await peer.expect("participant.updated")
    state = await peer.expect("room.state")
    assert "lobby" not in state
    await peer.send({"type": "hand.lower", "participant_id": newcomer.participant_id})
    assert (await peer.expect("error"))["code"] == "forbidden"


async def test_nobody_can_demote_the_meeting_facilitator(room):
    cofac = await room.connect("Clear Birch", role="cofacilitator")
    await cofac.expect("room.state")
    await cofac.send(
        {"type": "role.set", "participant_id": room.facilitator.participant_id, "role": "peer"}
    )
    assert (await cofac.expect("error"))["code"] == "cannot_change_owner"


async def test_the_facilitator_hands_over_to_a_peer_who_then_runs_the_group(room):
    heron = await room.admitted_peer("Calm Heron")
    wren = await room.admitted_peer("Bold Wren")
    fac = room.facilitator
    await heron.drain()
    await wren.drain()

    # a peer cannot hand anything over, and stays
    await wren.send({"type": "leave", "hand_over_to": heron.participant_id})
    assert (await wren.expect("error"))["code"] == "forbidden"
    await heron.nothing_more()

    await fac.send({"type": "leave", "hand_over_to": heron.participant_id})
    promoted = await wren.expect("participant.updated")
    assert promoted["participant"]["id"] == heron.participant_id
    assert promoted["participant"]["role"] == "cofacilitator"
    left = await wren.expect("participant.left")
    assert left == {
        "type": "participant.left",
        "participant_id": fac.participant_id,
        "reason": "left",
    }
    assert await fac.expect_close() == 4410
    # Heron sees the room afresh as co-facilitator, and can end the meeting
    state = await heron.expect("room.state")
    assert "lobby" in state
    await heron.send({"type": "meeting.end"})
    await wren.expect("meeting.ended")
    assert await wren.expect_close() == 4412
