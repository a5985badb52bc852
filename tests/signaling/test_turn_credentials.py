"""TURN credentials: short-lived, renewed by asking, and never handed out after a removal."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest

from tests.signaling.client import Client

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "coturn-shared-secret-for-tests"


@pytest.fixture
def turn(settings):
    settings.TURN_URLS = ["turn:turn.example.org:3478?transport=udp"]
    settings.STUN_URLS = ["stun:turn.example.org:3478"]
    settings.TURN_SECRET = SECRET
    return settings


def _turn_entry(message: dict) -> dict:
    return next(s for s in message["ice_servers"] if "credential" in s)


async def test_fresh_credentials_last_ten_minutes_and_coturn_would_accept_them(room, turn):
    peer = await room.admitted_peer("Patient Otter")
    before = int(time.time())
    await peer.send({"type": "media.ice"})
    answer = await peer.expect("media.ice")
    assert answer["ice_ttl_seconds"] == 600
    entry = _turn_entry(answer)
    expires = int(entry["username"])
    assert before + 600 <= expires <= int(time.time()) + 600
    expected = hmac.new(SECRET.encode(), entry["username"].encode(), hashlib.sha1).digest()
    assert base64.b64decode(entry["credential"]) == expected
    assert SECRET not in str(answer) and peer.participant_id not in entry["username"]


async def test_someone_still_in_the_lobby_gets_no_credentials(room, turn):
    waiting = await room.connect("Waiting Wren")
    await waiting.expect("lobby.waiting")
    await waiting.send({"type": "media.ice"})
    assert (await waiting.expect("error"))["code"] == "not_admitted"


async def test_no_credentials_after_a_removal(room, turn):
    peer = await room.admitted_peer("Removed Rook")
    await room.facilitator.send(
        {"type": "participant.remove", "participant_id": peer.participant_id}
    )
    assert await peer.expect_close() == 4411
    again = Client(room.meeting.id, peer.token)
    await again.open()
    assert await again.expect_close() == 4401  # the token opens no socket to ask on


async def test_without_turn_nothing_expires(room, settings):
    settings.TURN_URLS, settings.TURN_SECRET = [], ""
    peer = await room.admitted_peer("Plain Pipit")
    await peer.send({"type": "media.ice"})
    answer = await peer.expect("media.ice")
    assert "ice_ttl_seconds" not in answer and answer["ice_servers"] == [
        {"urls": list(settings.STUN_URLS)}
    ] * bool(settings.STUN_URLS)
