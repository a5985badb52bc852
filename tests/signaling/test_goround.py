"""The go-round over real sockets: everyone sees the turns, peers can only pass their own."""

import pytest

from tests.signaling.client import Client

pytestmark = pytest.mark.django_db(transaction=True)


async def updated(*clients: Client) -> list[dict]:
    return [(await c.expect("goround.updated")).get("goround") for c in clients]


async def three(room):
    heron = await room.admitted_peer("Calm Heron")
    wren = await room.admitted_peer("Bold Wren", media="text_only")
    lark = await room.admitted_peer("Quiet Lark")
    return heron, wren, lark


async def test_a_go_round_of_three_with_one_pass(room):
    heron, wren, lark = await three(room)
    everyone = (room.facilitator, heron, wren, lark)
    order = [heron.participant_id, wren.participant_id, lark.participant_id]
    await room.facilitator.send({"type": "goround.start", "order": order, "seconds": 120})
    for shown in await updated(*everyone):
        assert (shown["current"], shown["next"]) == (heron.participant_id, wren.participant_id)
        assert shown["seconds"] == 120
        assert [t["name"] for t in shown["turns"]] == ["Calm Heron", "Bold Wren", "Quiet Lark"]

    await heron.send({"type": "goround.pass"})  # passing your own turn is always allowed
    for shown in await updated(*everyone):
        assert shown["current"] == wren.participant_id
        assert shown["turns"][0]["outcome"] == "passed"
        assert shown["turns"][1]["text_only"] is True

    await room.facilitator.send({"type": "goround.next"})
    await updated(*everyone)
    await room.facilitator.send({"type": "goround.next"})
    for shown in await updated(*everyone):
        assert shown["finished"] is True
        assert [t["outcome"] for t in shown["turns"]] == ["passed", "spoke", "spoke"]

    await room.facilitator.send({"type": "goround.end"})
    assert await updated(*everyone) == [None] * 4


async def test_peers_cannot_run_the_go_round_and_nothing_changes(room):
    heron, _wren, lark = await three(room)
    await lark.send({"type": "goround.start"})
    await lark.expect("error", code="forbidden")
    await room.facilitator.send({"type": "goround.start", "order": [heron.participant_id]})
    await updated(room.facilitator, lark)
    for message in (
        {"type": "goround.next"},
        {"type": "goround.previous"},
        {"type": "goround.end"},
        {"type": "goround.reorder", "order": [lark.participant_id]},
    ):
        await lark.send(message)
        await lark.expect("error", code="forbidden")
    await lark.send({"type": "goround.pass"})
    await lark.expect("error", code="not_your_turn")
    await room.facilitator.nothing_more()
    await heron.send({"type": "goround.pass"})
    assert (await updated(lark))[0]["finished"] is True


async def test_bad_go_round_messages_are_refused(room):
    heron = await room.admitted_peer("Calm Heron")
    for message, code in (
        ({"type": "goround.start", "seconds": "120"}, "invalid_message"),
        ({"type": "goround.start", "order": ["not-a-uuid"]}, "invalid_message"),
        ({"type": "goround.start", "seconds": 3}, "invalid_goround"),
        ({"type": "goround.next"}, "no_goround"),
        ({"type": "goround.pass", "extra": 1}, "invalid_message"),
    ):
        await room.facilitator.send(message)
        await room.facilitator.expect("error", code=code)
    await heron.nothing_more()


async def test_a_latecomer_is_added_and_sees_the_go_round_on_entering(room):
    heron = await room.admitted_peer("Calm Heron")
    await room.facilitator.send({"type": "goround.start"})
    await updated(room.facilitator, heron)
    lark = await room.connect("Quiet Lark")
    await lark.expect("lobby.waiting")
    await room.facilitator.send({"type": "lobby.admit", "participant_id": lark.participant_id})
    state = await lark.expect("room.state")
    assert state["goround"]["current"] == room.facilitator.seen[0]["participant_id"]
    order = [heron.participant_id, lark.participant_id]
    await room.facilitator.send({"type": "goround.reorder", "order": order})
    shown = (await updated(lark))[0]
    assert [t["participant_id"] for t in shown["turns"]][-1] == lark.participant_id


async def test_share_of_voice_reaches_facilitators_and_never_peers(room):
    from channels.layers import get_channel_layer

    from media.worker import SpeakingSeconds
    from signaling.media_bridge import GroupOutbox

    heron = await room.admitted_peer("Calm Heron")
    report = SpeakingSeconds(str(room.meeting.id), {heron.participant_id: 4.2})
    await GroupOutbox(get_channel_layer()).to_facilitators(report.meeting_id, report)
    shown = await room.facilitator.expect("voice.share")
    assert shown["seconds"] == {heron.participant_id: 4.2}
    await heron.nothing_more()


async def test_previous_and_a_facilitators_pass_reach_everyone(room):
    heron = await room.admitted_peer("Calm Heron")
    lark = await room.admitted_peer("Quiet Lark")
    order = [heron.participant_id, lark.participant_id]
    await room.facilitator.send({"type": "goround.start", "order": order})
    await updated(room.facilitator, heron, lark)
    await room.facilitator.send({"type": "goround.pass"})  # marked for Heron
    shown = (await updated(heron, lark))[1]
    assert (shown["current"], shown["turns"][0]["outcome"]) == (lark.participant_id, "passed")
    await room.facilitator.send({"type": "goround.previous"})
    shown = (await updated(lark))[0]
    assert (shown["current"], shown["next"]) == (heron.participant_id, lark.participant_id)
