import json

import pytest

from tests.signaling.client import Client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_json"),
        (json.dumps({"type": "teleport"}), "unknown_type"),
        (json.dumps({"text": "no type"}), "unknown_type"),
        (
            json.dumps({"type": "chat.send", "text": "hi", "client_id": "c1", "colour": "red"}),
            "invalid_message",
        ),
        (json.dumps({"type": "lobby.admit", "participant_id": "not-a-uuid"}), "invalid_message"),
        (json.dumps({"type": "chat.send", "text": "x" * 70000}), "frame_too_large"),
        (
            json.dumps({"type": "chat.send", "text": "x" * 2001, "client_id": "c2"}),
            "message_too_long",
        ),
        (json.dumps({"type": "chat.send", "text": "   ", "client_id": "c3"}), "empty_message"),
        (json.dumps({"type": "hello", "version": 1, "token": "again"}), "already_handshaken"),
        (
            json.dumps(
                {"type": "lobby.admit", "participant_id": "00000000-0000-0000-0000-000000000000"}
            ),
            "not_found",
        ),
    ],
)
async def test_bad_frame_gets_typed_error_and_socket_stays_usable(room, frame, code, caplog):
    peer = await room.admitted_peer("Honest Comet")
    # not_found needs someone allowed to admit, so the facilitator sends that one.
    frame_owner = room.facilitator if code == "not_found" else peer

    await frame_owner.send_raw(frame)

    error = await frame_owner.expect("error")
    assert error["code"] == code and error["message"]
    await frame_owner.send({"type": "chat.send", "text": "still works"})
    assert (await room.facilitator.expect("chat.message"))["message"]["text"] == "still works"
    assert "x" * 100 not in caplog.text  # message text never reaches the log


async def test_flood_is_rate_limited_and_others_unaffected(room, settings):
    # a slow refill, so that how fast this machine handles 25 frames does not matter
    settings.CHAT_PER_SECOND = 0.2
    peer = await room.admitted_peer("Flood Falcon")
    for i in range(25):
        await peer.send({"type": "chat.send", "text": f"spam {i}"})
    received = []
    while sum(m["type"] in ("chat.message", "error") for m in received) < 25:
        received.append(await peer.next(timeout=10))
    codes = [m["code"] for m in received if m["type"] == "error"]
    delivered = [m for m in received if m["type"] == "chat.message"]
    assert codes.count("rate_limited") >= 14
    assert 10 <= len(delivered) <= 11
    await room.facilitator.send({"type": "chat.send", "text": "calm again"})
    assert (await peer.expect("chat.message"))["message"]["text"] == "calm again"


async def test_unknown_token_is_closed_with_4401(room):
    stranger = Client(room.meeting.id, "made-up-token")
    await stranger.open()
    assert await stranger.expect_close() == 4401


async def test_wrong_meeting_id_is_closed_with_4404(room):
    for meeting_id in ("00000000-0000-0000-0000-000000000000", "nope"):
        lost = Client(meeting_id, "anything")
        await lost.open(hello=False)
        assert await lost.expect_close() == 4404


async def test_token_of_another_meeting_is_refused(room):
    peer = await room.admitted_peer("Curious Maple")
    from asgiref.sync import sync_to_async

    from tests.factories import make_meeting

    other = await sync_to_async(make_meeting)()
    crossing = Client(other.id, peer.token)
    await crossing.open()
    assert await crossing.expect_close() == 4401


async def test_messages_before_hello_are_refused_then_socket_times_out(room, fast_timers):
    early = Client(room.meeting.id)
    await early.open(hello=False)
    await early.send({"type": "chat.send", "text": "let me in"})
    assert (await early.expect("error"))["code"] == "handshake_required"
    assert await early.expect_close(timeout=3) == 4400


async def test_wrong_protocol_version_is_explained(room):
    client = Client(room.meeting.id, "whatever")
    await client.open(hello=False)
    await client.send({"type": "hello", "version": 99, "token": "whatever"})
    assert (await client.expect("error"))["code"] == "unsupported_version"
    assert await client.expect_close() == 4400
