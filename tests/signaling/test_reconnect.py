import asyncio

import pytest

from tests.signaling.client import Client

pytestmark = pytest.mark.django_db(transaction=True)


async def test_reconnect_within_grace_keeps_identity_role_and_hand(room, fast_timers):
    peer = await room.admitted_peer("Steady Brook")
    other = await room.admitted_peer("Quiet Pebble")
    await peer.send({"type": "hand.raise"})
    # two sockets' messages have no order between them: the second hand waits for the first
    await room.facilitator.expect("hands.updated", queue=[peer.participant_id])
    await other.send({"type": "hand.raise"})
    await room.facilitator.expect(
        "hands.updated", queue=[peer.participant_id, other.participant_id]
    )

    await peer.close()
    dropped = await room.facilitator.expect("participant.updated")
    assert dropped["participant"]["connection"] == "reconnecting"

    back = Client(room.meeting.id, peer.token)
    await back.open()
    welcome = await back.expect("welcome")
    assert (welcome["participant_id"], welcome["role"]) == (peer.participant_id, "peer")
    state = await back.expect("room.state")
    assert state["hands"] == [peer.participant_id, other.participant_id]
    online = await room.facilitator.expect("participant.updated")
    assert online["participant"]["connection"] == "online"

    await asyncio.sleep(fast_timers.RECONNECT_GRACE_SECONDS + 0.3)
    await room.facilitator.nothing_more()
    await back.close()


async def test_after_grace_the_participant_counts_as_left(room, fast_timers):
    peer = await room.admitted_peer("Gone Juniper")
    await peer.close()
    await room.facilitator.expect("participant.updated")

    left = await room.facilitator.expect("participant.left", timeout=3)
    assert left["reason"] == "timeout"

    again = Client(room.meeting.id, peer.token)
    await again.open()
    assert await again.expect_close() == 4401


async def test_second_socket_with_same_token_replaces_the_first(room):
    peer = await room.admitted_peer("Twin Tide")
    second = Client(room.meeting.id, peer.token)
    await second.open()
    await second.expect("room.state")
    assert await peer.expect_close() == 4409
    await second.send({"type": "chat.send", "text": "still here"})
    assert (await room.facilitator.expect("chat.message"))["message"]["text"] == "still here"
    await room.facilitator.nothing_more(0.5)  # no "reconnecting" from the replaced socket
    await second.close()


async def test_silent_socket_is_pinged_then_dropped(room, fast_timers):
    peer = await room.admitted_peer("Silent Sparrow")
    assert (await peer.expect("ping", timeout=3))["type"] == "ping"
    assert await peer.expect_close(timeout=4) == 4408


async def test_a_hello_that_fails_for_a_moment_closes_with_the_retry_code_not_a_silent_socket(
    room, monkeypatch
):
    from django.db import OperationalError

    from signaling import consumers

    peer = await room.admitted_peer("Patient Wren")
    await peer.close()
    await room.facilitator.expect("participant.updated")
    real_connect = consumers.participant_connect
    failures = iter([OperationalError("the database went away")])

    async def connect_once_failing(**kwargs):
        for failure in failures:
            raise failure
        return await real_connect(**kwargs)

    monkeypatch.setattr(consumers, "participant_connect", connect_once_failing)

    first = Client(room.meeting.id, peer.token)
    await first.open()
    assert await first.expect_close() == 4500
    assert [m["type"] for m in first.seen] == []  # no welcome, no error: the page just retries

    again = Client(room.meeting.id, peer.token)
    await again.open()
    assert (await again.expect("welcome"))["participant_id"] == peer.participant_id
    await again.expect("room.state")
    await again.close()
