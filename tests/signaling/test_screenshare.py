"""Screen sharing over real sockets: who may share, everyone told, refusals change nothing."""

import pytest

from tests.signaling.client import Client

pytestmark = pytest.mark.django_db(transaction=True)


async def updated(*clients: Client) -> list[dict]:
    return [await c.expect("screenshare.updated") for c in clients]


async def test_a_peer_shares_once_allowed_and_a_facilitator_stops_it(room):
    heron = await room.admitted_peer("Calm Heron")
    wren = await room.admitted_peer("Bold Wren", media="text_only")
    everyone = (room.facilitator, heron, wren)

    await heron.send({"type": "screen.start"})
    await heron.expect("error", code="share_not_permitted")

    await room.facilitator.send(
        {"type": "screen.allow", "participant_id": heron.participant_id, "allowed": True}
    )
    for shown in await updated(*everyone):
        assert shown.get("sharer") is None and shown["allowed"] == [heron.participant_id]

    await heron.send({"type": "screen.start"})
    for shown in await updated(*everyone):  # the text-only person is told too
        assert shown["sharer"] == heron.participant_id

    await room.facilitator.send({"type": "screen.stop", "participant_id": heron.participant_id})
    for shown in await updated(*everyone):
        assert shown.get("sharer") is None
    stopped = await heron.expect("screenshare.stopped")
    assert (stopped["reason"], stopped["by_role"]) == ("facilitator", "facilitator")
    await wren.nothing_more()


async def test_refusals_change_nothing(room):
    heron = await room.admitted_peer("Calm Heron")
    wren = await room.admitted_peer("Bold Wren", media="text_only")
    await room.facilitator.send({"type": "screen.start"})
    await updated(room.facilitator, heron, wren)

    await heron.send({"type": "screen.stop", "participant_id": room.facilitator.participant_id})
    await heron.expect("error", code="forbidden")
    await heron.send(
        {"type": "screen.allow", "participant_id": wren.participant_id, "allowed": True}
    )
    await heron.expect("error", code="forbidden")
    await room.facilitator.send(
        {"type": "screen.allow", "participant_id": wren.participant_id, "allowed": True}
    )
    await updated(room.facilitator, heron, wren)
    await wren.send({"type": "screen.start"})
    await wren.expect("error", code="share_needs_media")
    await room.facilitator.send(
        {"type": "screen.allow", "participant_id": heron.participant_id, "allowed": True}
    )
    await updated(room.facilitator, heron, wren)
    await heron.send({"type": "screen.start"})
    await heron.expect("error", code="share_busy")
    for message in (
        {"type": "screen.allow", "participant_id": heron.participant_id, "allowed": "true"},
        {"type": "screen.allow", "participant_id": "not-a-uuid", "allowed": True},
        {"type": "screen.stop", "participant_id": 5},
        {"type": "screen.start", "extra": 1},
    ):
        await room.facilitator.send(message)
        await room.facilitator.expect("error", code="invalid_message")
    await heron.nothing_more()
    await wren.nothing_more()


async def test_a_late_joiner_sees_who_is_sharing(room):
    await room.facilitator.send({"type": "screen.start"})
    await updated(room.facilitator)
    heron = await room.connect("Calm Heron")
    await heron.expect("lobby.waiting")
    await room.facilitator.send({"type": "lobby.admit", "participant_id": heron.participant_id})
    state = await heron.expect("room.state")
    assert state["screenshare"] == {"sharer": room.facilitator.participant_id, "allowed": []}
