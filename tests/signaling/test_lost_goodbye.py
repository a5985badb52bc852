"""A goodbye that never runs, or fails, still ends with the person reconnecting and then left:
the process sweeps people recorded online on a socket it no longer holds (on the in-memory
layer too, where there is no other process to notice)."""

import asyncio
import contextlib

import pytest
from django.db import OperationalError

from signaling import consumers, presence
from signaling.consumers import MeetingConsumer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def quick_sweep(monkeypatch):
    # as in a served process (shutdown.on_server_start), beating faster
    monkeypatch.setattr(presence, "local_sweep", True)
    monkeypatch.setattr(presence, "BEAT_SECONDS", 0.2)


def _goodbye_never_runs(monkeypatch, participant_id):
    real = MeetingConsumer.disconnect

    async def no_goodbye(self, code):
        if self.participant_id != participant_id:
            await real(self, code)
        # else: as if the server cancelled the consumer before its goodbye

    monkeypatch.setattr(MeetingConsumer, "disconnect", no_goodbye)


def _goodbye_fails(monkeypatch, participant_id):
    real = consumers.participant_disconnect

    async def locked(**kwargs):
        if kwargs["participant_id"] == participant_id:
            raise OperationalError("database is locked")
        return await real(**kwargs)

    monkeypatch.setattr(consumers, "participant_disconnect", locked)


@pytest.mark.parametrize("lose_goodbye", [_goodbye_never_runs, _goodbye_fails])
async def test_a_lost_goodbye_still_shows_reconnecting_then_left(
    quick_sweep, room, fast_timers, monkeypatch, lose_goodbye
):
    peer = await room.admitted_peer("Lost Heron")
    await peer.send({"type": "hand.raise"})
    await room.facilitator.expect("hands.updated", queue=[peer.participant_id])
    lose_goodbye(monkeypatch, peer.participant_id)

    await peer.ws.disconnect(timeout=3)  # the failing goodbye takes 1.2 s to give up
    # the sweep beats every 0.2 s
    dropped = await room.facilitator.expect("participant.updated", timeout=3)
    assert dropped["participant"]["id"] == peer.participant_id
    assert dropped["participant"]["connection"] == "reconnecting"
    left = await room.facilitator.expect("participant.left", timeout=3)
    assert (left["participant_id"], left["reason"]) == (peer.participant_id, "timeout")
    hands = await room.facilitator.expect("hands.updated", timeout=1)
    assert hands["queue"] == []


@pytest.fixture
def no_sweep(monkeypatch):
    monkeypatch.setattr(presence, "start", lambda: None)


async def test_a_goodbye_outlives_the_server_cancelling_its_consumer(
    no_sweep, room, fast_timers, monkeypatch
):
    """daphne cancels a consumer still running 10 s after its socket closed; a goodbye
    waiting that long (SQLite's write lock, say) is still written, without any sweep."""
    peer = await room.admitted_peer("Slow Goodbye")
    real = consumers.participant_disconnect

    async def slow(**kwargs):
        if kwargs["participant_id"] == peer.participant_id:
            await asyncio.sleep(1)
        return await real(**kwargs)

    monkeypatch.setattr(consumers, "participant_disconnect", slow)
    with contextlib.suppress(BaseException):
        await peer.ws.disconnect(timeout=0.2)  # the test's server gives up and cancels it
    room._clients.remove(peer)  # nothing left to close
    dropped = await room.facilitator.expect("participant.updated", timeout=3)
    assert (dropped["participant"]["id"], dropped["participant"]["connection"]) == (
        peer.participant_id,
        "reconnecting",
    )
    left = await room.facilitator.expect("participant.left", timeout=3)
    assert left["participant_id"] == peer.participant_id
