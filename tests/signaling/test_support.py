"""The attention queue, "I need support", reports and knocks, as the sockets see them."""

import logging

import pytest
from asgiref.sync import sync_to_async

from rooms.models import AttentionItem, Meeting
from rooms.services import invites
from rooms.services import meetings as meeting_services
from tests.signaling.client import Client

pytestmark = pytest.mark.django_db(transaction=True)


async def test_need_support_reaches_facilitators_only_and_can_be_withdrawn(room, caplog):
    caplog.set_level(logging.DEBUG)
    heron = await room.admitted_peer("Calm Heron", media="text_only")
    wren = await room.admitted_peer("Bold Wren")
    await heron.drain()

    await heron.send({"type": "support.request", "note": "dark thoughts today"})

    item = (await room.facilitator.expect("attention.item"))["item"]
    assert (item["kind"], item["name"], item["note"], item["state"]) == (
        "support", "Calm Heron", "dark thoughts today", "open",
    )  # fmt: skip
    status = await heron.expect("support.status")
    assert status["support"] == {"state": "open", "note": "dark thoughts today"}
    await wren.nothing_more()

    await heron.send({"type": "support.cancel"})
    assert (await room.facilitator.expect("attention.item"))["item"]["state"] == "cancelled"
    assert (await heron.expect("support.status"))["support"]["state"] == "cancelled"
    await heron.send({"type": "support.cancel"})
    assert (await heron.expect("error"))["code"] == "no_support_request"
    await wren.nothing_more()
    # nothing about it in the logs beyond an id: no name, no note, not even the participant
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for trace in ("dark thoughts", "Calm Heron", heron.participant_id):
        assert trace not in logged


async def test_a_facilitator_handles_it_and_every_facilitator_sees_it(room):
    cora = await room.connect("Cora", role="cofacilitator")
    await cora.expect("room.state")
    heron = await room.admitted_peer("Calm Heron")
    await cora.drain()
    await heron.send({"type": "support.request"})
    item = (await cora.expect("attention.item"))["item"]
    await room.facilitator.expect("attention.item")
    assert (await heron.expect("support.status"))["support"]["state"] == "open"

    await cora.send({"type": "attention.handle", "item_id": item["id"]})

    for client in (cora, room.facilitator):
        handled = (await client.expect("attention.item"))["item"]
        assert (handled["state"], handled["handled_by_name"]) == ("handled", "Cora")
    assert (await heron.expect("support.status"))["support"]["state"] == "handled"

    # a facilitator who reloads finds it, handled
    again = await room.connect("Owner Again", role="facilitator")
    queue = (await again.expect("room.state"))["attention"]
    # Heron's wait in the lobby came first, settled when they were let in
    assert [(i["kind"], i["state"]) for i in queue] == [
        ("knock", "handled"),
        ("support", "handled"),
    ]


async def test_a_peer_can_neither_read_nor_handle_the_queue(room):
    heron = await room.admitted_peer("Calm Heron")
    wren = await room.admitted_peer("Bold Wren")
    await heron.send({"type": "support.request"})
    item = (await room.facilitator.expect("attention.item"))["item"]
    await wren.drain()

    await wren.send({"type": "attention.handle", "item_id": item["id"]})

    assert (await wren.expect("error"))["code"] == "forbidden"
    state = await sync_to_async(AttentionItem.objects.get)(kind="support")
    assert state.state == "open"
    # the peer's own room.state never carries the queue
    assert all("attention" not in m for m in wren.seen if m["type"] == "room.state")
    await wren.send({"type": "attention.handle", "item_id": "not-a-uuid"})
    assert (await wren.expect("error"))["code"] == "invalid_message"


async def test_help_request_is_an_item_of_the_queue(room):
    heron = await room.admitted_peer("Calm Heron")
    await heron.send({"type": "help.request", "note": "stuck"})
    item = (await room.facilitator.expect("attention.item"))["item"]
    assert (item["kind"], item["note"]) == ("help", "stuck")
    assert item["message_id"] == (await heron.expect("chat.message"))["message"]["id"]


async def test_report_a_message_and_a_person(room):
    heron = await room.admitted_peer("Calm Heron")
    wren = await room.admitted_peer("Bold Wren")
    await wren.send({"type": "chat.send", "text": "nobody cares"})
    message = (await heron.expect("chat.message"))["message"]
    await room.facilitator.drain()
    await wren.drain()

    await heron.send(
        {"type": "report.send", "reason": "hurtful", "note": "twice", "message_id": message["id"]}
    )
    item = (await room.facilitator.expect("attention.item"))["item"]
    assert (item["kind"], item["name"], item["subject_name"], item["message_text"]) == (
        "report", "Calm Heron", "Bold Wren", "nobody cares",
    )  # fmt: skip
    assert (await heron.expect("report.received"))["report_id"] == item["id"]

    await heron.send(
        {"type": "report.send", "reason": "harassment", "participant_id": wren.participant_id}
    )
    assert (await room.facilitator.expect("attention.item"))["item"]["subject_name"] == "Bold Wren"
    await wren.nothing_more()  # the reported person learns nothing

    for bad, code in [
        ({"reason": "meh", "participant_id": wren.participant_id}, "invalid_reason"),
        ({"reason": "spam"}, "nothing_to_report"),
        ({"reason": "spam", "participant_id": heron.participant_id}, "cannot_report_self"),
        ({"reason": "spam", "message_id": 999999}, "message_not_found"),
        ({"reason": "spam", "message_id": "1"}, "invalid_message"),
        ({"reason": "spam", "note": "x" * 501, "message_id": message["id"]}, "note_too_long"),
    ]:
        await heron.send({"type": "report.send", **bad})
        assert (await heron.expect("error"))["code"] == code
    assert await sync_to_async(AttentionItem.objects.filter(kind="report").count)() == 2


async def test_a_latecomer_knocks_on_a_locked_meeting(room):
    await room.facilitator.send({"type": "room.configure", "locked": True})
    await room.facilitator.expect("room.settings")
    meeting = await sync_to_async(Meeting.objects.get)(id=room.meeting.id)
    lark, token = await sync_to_async(meeting_services.participant_create)(
        meeting=meeting,
        display_name="Late Lark",
        media="text_only",
        role="peer",
        knock=True,
        agreement_accepted=True,
    )
    client = Client(room.meeting.id, token)
    room.track(client)
    await client.open()
    waiting = await client.expect("lobby.waiting")
    assert "knocked" in waiting["message"]
    lobby = (await room.facilitator.expect("lobby.updated"))["lobby"]
    assert lobby[0]["latecomer"] is True
    knock = (await room.facilitator.expect("attention.item"))["item"]
    assert (knock["kind"], knock["name"]) == ("knock", "Late Lark")

    await room.facilitator.send({"type": "lobby.admit", "participant_id": str(lark.id)})
    assert (await room.facilitator.expect("attention.item"))["item"]["state"] == "handled"
    await client.expect("room.state")


async def test_everyone_waiting_in_the_lobby_knocks_and_admit_all_settles_it(room):
    wren = await room.admitted_peer("Bold Wren")
    await wren.drain()
    knocks = []
    for name in ("Calm Heron", "Quiet Lark"):
        waiting = await room.connect(name)
        await waiting.expect("lobby.waiting")
        await room.facilitator.expect("lobby.updated")
        knocks.append((await room.facilitator.expect("attention.item"))["item"])
    assert [(k["kind"], k["name"], k["state"], k["latecomer"]) for k in knocks] == [
        ("knock", "Calm Heron", "open", False),
        ("knock", "Quiet Lark", "open", False),
    ]
    assert knocks[0]["seq"] < knocks[1]["seq"]

    await room.facilitator.send({"type": "lobby.admit_all"})

    settled = [(await room.facilitator.expect("attention.item"))["item"] for _ in knocks]
    assert {(k["id"], k["state"], k["handled_by_name"]) for k in settled} == {
        (k["id"], "handled", "Facilitator Fern") for k in knocks
    }
    # the admitted peer learns nothing of the queue
    assert all(m["type"] != "attention.item" for m in await wren.drain())


async def test_the_cofacilitator_link_knock_waits_for_the_owner(room):
    link = await sync_to_async(invites.link_new)(meeting=room.meeting, role="cofacilitator")
    participant, token = await sync_to_async(meeting_services.participant_create)(
        meeting=room.meeting, display_name="Cora", media="text_only",
        role="cofacilitator", agreement_accepted=True, link=link,
    )  # fmt: skip
    cora = Client(room.meeting.id, token)
    room.track(cora)
    await cora.open()
    await cora.expect("lobby.waiting")
    await room.facilitator.expect("lobby.updated")
    knock = (await room.facilitator.expect("attention.item"))["item"]
    assert (knock["kind"], knock["cofacilitator_link"]) == ("knock", True)

    await room.facilitator.send({"type": "lobby.admit_all"})
    await room.facilitator.expect("lobby.updated")
    await room.facilitator.nothing_more()  # still waiting: the knock stays open

    await room.facilitator.send({"type": "lobby.admit", "participant_id": str(participant.id)})
    settled = (await room.facilitator.expect("attention.item"))["item"]
    assert (settled["id"], settled["state"]) == (knock["id"], "handled")
