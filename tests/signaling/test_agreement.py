"""The group agreement and muted on entry over the socket."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from rooms.models import Meeting
from rooms.services import meetings as meeting_services

pytestmark = pytest.mark.django_db(transaction=True)


async def _set_agreement(meeting, text: str) -> None:
    await sync_to_async(meeting_services.meeting_update)(
        meeting=meeting, title=meeting.title, starts_at=None, lobby_enabled=True,
        agreement_text=text,
    )  # fmt: skip


async def test_show_agreement_reaches_everyone_text_only_and_breakouts_included(room):
    await _set_agreement(room.meeting, "What is shared here stays here.\nNo recording.")
    heron = await room.admitted_peer("Calm Heron")
    reader = await room.admitted_peer("Quiet Reader", media="text_only")
    await room.facilitator.send({"type": "breakout.create", "count": 1})
    await room.facilitator.send({"type": "breakout.assign"})
    await heron.expect("room.state")  # heron is in the breakout now
    await room.facilitator.send({"type": "agreement.show"})
    for client in (heron, reader, room.facilitator):
        shown = await client.expect("agreement.shown")
        assert shown["text"] == "What is shared here stays here.\nNo recording."
        assert shown["by_name"] == "Facilitator Fern" and shown["by_role"] == "facilitator"


async def test_a_peer_cannot_show_the_agreement(room):
    heron = await room.admitted_peer("Calm Heron")
    wren = await room.admitted_peer("Bold Wren")
    await heron.send({"type": "agreement.show"})
    assert (await heron.expect("error"))["code"] == "forbidden"
    await wren.nothing_more()
    await room.facilitator.drain()
    assert not any(m["type"] == "agreement.shown" for m in room.facilitator.seen)


async def test_peer_joins_muted_and_can_unmute_themselves(room):
    await room.facilitator.send({"type": "room.configure", "muted_on_entry": True})
    settings = await room.facilitator.expect("room.settings")
    assert settings["muted_on_entry"] is True
    heron = await room.admitted_peer("Calm Heron")
    joined = [m for m in room.facilitator.seen if m["type"] == "participant.joined"][-1]
    assert joined["participant"]["audio"] == "off_by_self"
    state = next(m for m in heron.seen if m["type"] == "room.state")
    assert state["settings"]["muted_on_entry"] is True
    me = next(p for p in state["participants"] if p["id"] == heron.participant_id)
    assert me["audio"] == "off_by_self"
    await heron.send({"type": "unmute", "kind": "audio"})
    updated = await room.facilitator.expect("participant.updated")
    assert updated["participant"]["audio"] == "on"


async def test_turning_muted_on_entry_off_lets_the_next_peer_in_unmuted(room):
    await room.facilitator.send({"type": "room.configure", "muted_on_entry": True})
    await room.facilitator.expect("room.settings")
    await room.facilitator.send({"type": "room.configure", "muted_on_entry": False})
    await room.facilitator.expect("room.settings", muted_on_entry=False)
    assert (await sync_to_async(Meeting.objects.get)(id=room.meeting.id)).muted_on_entry is False
    await room.admitted_peer("Calm Heron")
    joined = [m for m in room.facilitator.seen if m["type"] == "participant.joined"][-1]
    assert joined["participant"]["audio"] == "on"


async def test_a_peer_cannot_change_muted_on_entry(room):
    heron = await room.admitted_peer("Calm Heron")
    await heron.send({"type": "room.configure", "muted_on_entry": False})
    assert (await heron.expect("error"))["code"] == "forbidden"
    await heron.send({"type": "room.configure", "muted_on_entry": "no"})
    assert (await heron.expect("error"))["code"] == "invalid_message"
