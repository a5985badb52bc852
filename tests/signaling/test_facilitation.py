"""Mute, ask to unmute, lock, remove and end, as the sockets see them."""

import pytest
from asgiref.sync import sync_to_async

from rooms.models import Meeting
from rooms.state import RoomError
from tests.factories import make_participant
from tests.signaling.client import Client

pytestmark = pytest.mark.django_db(transaction=True)


async def test_facilitator_mutes_a_peer_who_sees_it_and_cannot_unmute_when_not_allowed(room):
    heron = await room.admitted_peer("Calm Heron")
    wren = await room.admitted_peer("Bold Wren")
    await heron.drain()
    fac = room.facilitator

    await fac.send({"type": "room.configure", "allow_self_unmute": False})
    for client in (fac, heron, wren):
        settings = await client.expect("room.settings")
        assert settings == {
            "type": "room.settings",
            "locked": False,
            "allow_self_unmute": False,
            "muted_on_entry": False,
        }

    await fac.send(
        {
            "type": "mute",
            "kind": "audio",
            "participant_id": heron.participant_id,
            "show_name": False,
        }
    )
    notice = await heron.expect("muted")
    assert notice == {"type": "muted", "kind": "audio", "by_role": "facilitator"}
    seen = await wren.expect("participant.updated")
    assert seen["participant"]["id"] == heron.participant_id
    assert seen["participant"]["audio"] == "off_by_facilitator"

    await heron.send({"type": "unmute", "kind": "audio"})
    assert (await heron.expect("error"))["code"] == "self_unmute_disabled"
    await wren.nothing_more()

    # a peer has no power over another; nothing changes for anyone
    await heron.send({"type": "mute", "kind": "audio", "participant_id": wren.participant_id})
    assert (await heron.expect("error"))["code"] == "forbidden"
    await wren.nothing_more()

    # ask, and the peer says yes
    await fac.send({"type": "unmute.ask", "kind": "audio", "participant_id": heron.participant_id})
    asked = await heron.expect("unmute.requested")
    assert asked["by_name"] == "Facilitator Fern"
    await heron.send({"type": "unmute.answer", "kind": "audio", "accept": True})
    answered = await fac.expect("unmute.answered")
    assert answered["accepted"] is True and answered["participant_id"] == heron.participant_id
    on = await wren.expect("participant.updated")
    assert on["participant"]["audio"] == "on"
    await heron.send({"type": "unmute.answer", "kind": "audio", "accept": True})
    assert (await heron.expect("error"))["code"] == "no_request"


async def test_mute_all_and_self_mute_show_in_participant_objects(room):
    heron = await room.admitted_peer("Calm Heron")
    await room.admitted_peer("Still Fern", media="text_only")
    await heron.drain()
    await heron.send({"type": "mute", "kind": "video"})
    mine = await room.facilitator.expect("participant.updated")
    assert mine["participant"]["video"] == "off_by_self"

    await room.facilitator.send({"type": "mute.all"})
    notice = await heron.expect("muted")
    assert notice["by_name"] == "Facilitator Fern"
    await room.facilitator.expect("participant.updated")
    await room.facilitator.nothing_more()  # the text-only member has no microphone to mute

    # the facilitator's own state is untouched; a facilitator who mutes self can unmute
    await room.facilitator.send({"type": "mute", "kind": "audio"})
    muted = await heron.expect("participant.updated")
    assert muted["participant"]["audio"] == "off_by_self"
    await room.facilitator.send({"type": "unmute", "kind": "audio"})
    assert (await heron.expect("participant.updated"))["participant"]["audio"] == "on"


async def test_removed_peer_is_told_and_closed_and_others_see_why(room):
    heron = await room.admitted_peer("Calm Heron")
    wren = await room.admitted_peer("Bold Wren")
    await heron.drain()

    await room.facilitator.send(
        {"type": "participant.remove", "participant_id": heron.participant_id, "ban": True}
    )
    removed = await heron.expect("removed")
    assert removed["may_rejoin"] is False and "not rejoin" in removed["message"]
    assert await heron.expect_close() == 4411
    left = await wren.expect("participant.left")
    assert left == {
        "type": "participant.left",
        "participant_id": heron.participant_id,
        "reason": "removed",
    }

    again = Client(room.meeting.id, heron.token)
    await again.open()
    assert await again.expect_close() == 4401  # the token no longer works

    await room.facilitator.send(
        {"type": "participant.remove", "participant_id": heron.participant_id}
    )
    assert (await room.facilitator.expect("error"))["code"] == "not_found"
    await wren.send(
        {"type": "participant.remove", "participant_id": room.facilitator.participant_id}
    )
    assert (await wren.expect("error"))["code"] == "forbidden"


async def test_ending_the_meeting_closes_every_socket_and_late_arrivals_see_it_ended(room):
    heron = await room.admitted_peer("Calm Heron")
    waiting = await room.connect("Waiting Willow")
    await waiting.expect("lobby.waiting")
    await heron.drain()

    await heron.send({"type": "meeting.end"})
    assert (await heron.expect("error"))["code"] == "forbidden"

    await room.facilitator.send({"type": "meeting.end"})
    for client in (room.facilitator, heron, waiting):
        ended = await client.expect("meeting.ended")
        assert "has ended" in ended["message"]
        assert await client.expect_close() == 4412

    late = Client(room.meeting.id, heron.token)
    await late.open()
    assert await late.expect_close() == 4404
    meeting = await Meeting.objects.aget(id=room.meeting.id)
    with pytest.raises(RoomError) as refused:
        await sync_to_async(make_participant)(meeting, "Late Lark")
    assert refused.value.code == "meeting_ended"


async def test_bad_facilitation_frames_get_typed_errors_and_the_socket_stays_open(room):
    heron = await room.admitted_peer("Calm Heron")
    fac = room.facilitator
    await fac.send({"type": "room.configure"})
    assert (await fac.expect("error"))["code"] == "invalid_message"
    await fac.send({"type": "mute", "kind": "screen", "participant_id": heron.participant_id})
    assert (await fac.expect("error"))["code"] == "invalid_message"
    await fac.send(
        {"type": "mute", "kind": "audio", "participant_id": "00000000-0000-0000-0000-000000000000"}
    )
    assert (await fac.expect("error"))["code"] == "not_found"
    await fac.send({"type": "unmute.ask", "kind": "audio", "participant_id": heron.participant_id})
    assert (await fac.expect("error"))["code"] == "not_muted"
    await fac.send({"type": "mute", "kind": "audio", "participant_id": fac.participant_id})
    await heron.expect("participant.updated")
    await fac.send({"type": "ping"})
    await fac.expect("pong")


async def test_the_owner_ends_the_meeting_from_its_page_and_everyone_is_told(room):
    from django.test import AsyncClient

    heron = await room.admitted_peer("Calm Heron")
    waiting = await room.connect("Eager Lark")
    await waiting.expect("lobby.waiting")
    owner = await sync_to_async(lambda: room.meeting.owner)()
    page = AsyncClient()
    await page.aforce_login(owner)
    response = await page.post(f"/meetings/{room.meeting.id}/end/")
    assert response.status_code == 302
    for client in (heron, waiting, room.facilitator):
        await client.expect("meeting.ended")
        assert await client.expect_close() == 4412
    ended = await sync_to_async(Meeting.objects.get)(id=room.meeting.id)
    assert ended.ended_at is not None
