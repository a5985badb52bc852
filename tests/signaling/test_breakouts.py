"""Breakout rooms as the sockets see them: membership, per-room chat, timer, help, close."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def room_of(update: dict, participant_id: str) -> str | None:
    for breakout in update["rooms"]:
        if participant_id in breakout["members"]:
            return breakout["id"]
    return None


async def _chat(client, text):
    await client.send({"type": "chat.send", "text": text})


async def test_breakouts_keep_chat_per_room_and_close_all_brings_main_history_back(room):
    fac = room.facilitator
    heron = await room.admitted_peer("Calm Heron")
    wren = await room.admitted_peer("Bold Wren", media="text_only")
    await heron.drain()
    await _chat(fac, "Welcome to the main room")
    for client in (fac, heron, wren):
        await client.expect("chat.message")

    await fac.send({"type": "breakout.create", "names": ["Sharing", "Listening"]})
    created = await heron.expect("breakouts.updated")
    assert [r["name"] for r in created["rooms"]] == ["Sharing", "Listening"]
    await fac.send({"type": "breakout.assign"})
    assigned = await heron.expect("breakouts.updated")
    heron_room, wren_room = (
        room_of(assigned, heron.participant_id),
        room_of(assigned, wren.participant_id),
    )
    assert {heron_room, wren_room} == {r["id"] for r in created["rooms"]}  # one each
    assert room_of(assigned, fac.participant_id) is None

    # whoever moved gets the room as seen from inside: that room's (empty) chat
    inside = await heron.expect("room.state")
    assert inside["chat"] == []
    assert room_of(inside["breakouts"], heron.participant_id) == heron_room
    await wren.expect("room.state")
    await fac.drain()

    await _chat(heron, "Only Sharing hears this")
    said = await heron.expect("chat.message")
    assert said["message"]["text"] == "Only Sharing hears this"
    await _chat(fac, "Main room only")
    await fac.expect("chat.message")
    await wren.nothing_more()
    await heron.nothing_more()

    # a facilitator visits Sharing, reads its chat, and returns
    await fac.send({"type": "breakout.join", "breakout_id": heron_room})
    visiting = await fac.expect("room.state")
    assert [m["text"] for m in visiting["chat"]] == ["Only Sharing hears this"]
    await fac.send({"type": "breakout.join", "breakout_id": None})
    back = await fac.expect("room.state")
    assert [m["text"] for m in back["chat"]] == ["Welcome to the main room", "Main room only"]

    await fac.send({"type": "breakout.close_all"})
    closed = await heron.expect("breakouts.closed")
    assert closed["reason"] == "facilitator"
    home = await heron.expect("room.state")
    assert [m["text"] for m in home["chat"]] == ["Welcome to the main room", "Main room only"]
    assert home["breakouts"]["rooms"] == []
    await wren.expect("room.state")
    await _chat(wren, "Back together")
    await heron.expect("chat.message")

    await fac.send({"type": "breakout.close_all"})  # again: nothing to do, nothing sent
    await fac.send(
        {"type": "breakout.move", "participant_id": heron.participant_id, "breakout_id": heron_room}
    )
    assert (await fac.expect("error"))["code"] == "breakout_closed"
    await heron.nothing_more()


async def test_timer_warns_every_room_then_closes_them_by_itself(room):
    fac = room.facilitator
    heron = await room.admitted_peer("Calm Heron")
    wren = await room.admitted_peer("Bold Wren")
    await heron.drain()
    await fac.send({"type": "breakout.create", "count": 2})
    await fac.send({"type": "breakout.assign"})
    await heron.expect("room.state")
    await wren.expect("room.state")

    await fac.send({"type": "breakout.timer", "seconds": 5, "warn_seconds": 4})
    timed = await heron.expect("breakouts.updated")
    assert timed["ends_at"] > timed["warn_at"]
    for client in (heron, wren, fac):
        warning = await client.expect("breakout.warning", timeout=4)
        assert warning["ends_at"] == timed["ends_at"] and 0 < warning["seconds_left"] <= 4
    for client in (heron, wren, fac):
        closed = await client.expect("breakouts.closed", timeout=6)
        assert closed["reason"] == "timer"
    home = await heron.expect("room.state")
    assert room_of(home["breakouts"], heron.participant_id) is None
    await heron.nothing_more(1.0)


async def test_help_broadcast_self_select_and_refusals(room):
    fac = room.facilitator
    cofac = await room.connect("Co Otter", role="cofacilitator")
    await cofac.expect("room.state")
    heron = await room.admitted_peer("Calm Heron")
    await heron.drain()

    await heron.send({"type": "breakout.create", "count": 2})
    assert (await heron.expect("error"))["code"] == "forbidden"
    await heron.send({"type": "breakout.help"})
    assert (await heron.expect("error"))["code"] == "not_in_breakout"

    await fac.send({"type": "breakout.create", "count": 2, "self_select": True})
    rooms = (await heron.expect("breakouts.updated"))["rooms"]
    await heron.send({"type": "breakout.join", "breakout_id": rooms[1]["id"]})
    await heron.expect("room.state")

    await heron.send({"type": "breakout.help"})
    for client in (fac, cofac, heron):
        alert = await client.expect("breakout.help_requested")
        assert (alert["name"], alert["breakout_name"]) == ("Calm Heron", "Room 2")

    await fac.send({"type": "breakout.broadcast", "text": "Two minutes, everyone"})
    for client in (heron, cofac, fac):
        said = await client.expect("breakout.broadcast")
        assert said["text"] == "Two minutes, everyone" and said["sender_name"] == "Facilitator Fern"

    await fac.send({"type": "breakout.close", "breakout_id": rooms[1]["id"]})
    await heron.expect("room.state")
    await fac.send({"type": "breakout.close", "breakout_id": rooms[1]["id"]})  # double close
    await fac.send({"type": "breakout.join", "breakout_id": rooms[1]["id"]})
    assert (await fac.expect("error"))["code"] == "breakout_closed"
    await fac.send({"type": "breakout.timer", "seconds": 1})
    assert (await fac.expect("error"))["code"] == "invalid_message"
    await fac.send({"type": "breakout.create", "count": 2, "names": ["A"]})
    assert (await fac.expect("error"))["code"] == "invalid_message"
    await heron.nothing_more()
