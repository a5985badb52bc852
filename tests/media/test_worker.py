"""The media actor on its own: commands in over a channel, outcomes out, with fake ports."""

import asyncio

import pytest

from media import RelayConfig
from media.aiortc_private.ice import restore_host_addresses
from media.commands import command_message
from media.routing import choose_router, worker_channel
from media.worker import Failed, MediaWorker, Restart, Stopped
from tests.fakes import FakeChannels, FakeOutbox, FakePlans, Plan

MEETING = "6f1c3e4a-0000-4000-8000-000000000001"


@pytest.fixture
async def running():
    channels, plans, outbox = FakeChannels(), FakePlans(), FakeOutbox()
    worker = MediaWorker(
        ["media-relay-0"],
        RelayConfig(host_addresses=["127.0.0.1"]),
        plans=plans,
        outbox=outbox,
        receive=channels.receive,
    )
    worker.start()
    yield channels, plans, outbox, worker
    await worker.stop()
    restore_host_addresses()
    assert plans.closed


@pytest.fixture
def setup(running):
    return running[:3]


async def test_someone_without_a_plan_is_refused_media(setup):
    channels, plans, outbox = setup
    plans.by_meeting[MEETING] = {"fern": Plan(room=f"{MEETING}/main")}
    await channels.send("media-relay-0", command_message(MEETING, "join", "lark"))
    assert await outbox.wait_for(1) == [("lark", Failed("not_admitted"))]


async def test_a_participants_commands_run_in_order_and_others_do_not_wait(setup):
    channels, plans, outbox = setup
    plans.hold()  # lark's join is stuck reading plans
    await channels.send("media-relay-0", command_message(MEETING, "join", "lark"))
    await channels.send("media-relay-0", command_message(MEETING, "leave", "lark"))
    await channels.send("media-relay-0", command_message(MEETING, "offer", "wren", sdp="v=0"))
    assert await outbox.wait_for(1) == [("wren", Failed("media_not_started"))]
    await asyncio.sleep(0.05)
    assert len(outbox.sent) == 1  # lark's leave waits for lark's join
    plans.release()
    assert (await outbox.wait_for(3))[1:] == [("lark", Failed("not_admitted")), ("lark", Stopped())]


async def test_the_router_is_chosen_once_from_plain_values():
    channels = FakeChannels()
    started = []
    registries = []
    off = choose_router(
        enabled=False,
        in_process=True,
        workers=2,
        send=channels.send,
        start_worker=started.append,
        registry=lambda: registries.append("made"),
    )
    await off.command(MEETING, "join", "lark")
    local = choose_router(
        enabled=True,
        in_process=True,
        workers=2,
        send=channels.send,
        start_worker=started.append,
        registry=None,  # no Redis: one process
    )
    await local.sync(MEETING)  # no relay started here: nobody has media to change
    assert started == [] and registries == [] and channels.queues == {}
    await local.command(MEETING, "join", "lark")
    assert len(started) == 1
    assert channels.queues[worker_channel(MEETING, 2)].get_nowait()["op"] == "join"


async def test_a_meeting_moved_here_tells_its_people_to_join_media_again(setup):
    channels, plans, outbox = setup
    plans.by_meeting[MEETING] = {
        "fern": Plan(room=f"{MEETING}/main"),
        "lark": Plan(f"{MEETING}/main"),
    }
    await channels.send("media-relay-0", command_message(MEETING, "rejoin"))
    assert sorted(await outbox.wait_for(2), key=lambda sent: sent[0]) == [
        ("fern", Restart()),
        ("lark", Restart()),
    ]


async def test_a_draining_worker_sends_a_join_elsewhere(running):
    channels, plans, outbox, worker = running
    plans.by_meeting[MEETING] = {"fern": Plan(room=f"{MEETING}/main")}
    worker.draining = True
    await channels.send("media-relay-0", command_message(MEETING, "join", "fern"))
    assert await outbox.wait_for(1) == [("fern", Restart())]
    assert worker.meetings == {}


async def test_a_meeting_handed_over_closes_here_without_a_word_to_its_people(running):
    channels, plans, outbox, worker = running
    plans.by_meeting[MEETING] = {"fern": Plan(room=f"{MEETING}/main")}
    await channels.send("media-relay-0", command_message(MEETING, "join", "fern"))
    await outbox.wait_for(1)
    await worker.release(MEETING)
    await channels.send("media-relay-0", command_message(MEETING, "offer", "fern", sdp="v=0"))
    await asyncio.sleep(0.3)
    # no "closed" and no error from here: fern's page is joining the meeting's new worker
    assert [type(outcome).__name__ for _, outcome in outbox.sent] == ["Ready"]
    assert worker.meetings == {}


async def test_the_tile_sizes_a_page_reports_reach_its_relay_connection(running):
    channels, plans, outbox, worker = running
    plans.by_meeting[MEETING] = {"fern": Plan(room=f"{MEETING}/main")}
    await channels.send("media-relay-0", command_message(MEETING, "join", "fern"))
    tiles = {"lark": [640, 360], "wren": [160, 90]}
    await channels.send("media-relay-0", command_message(MEETING, "tiles", "fern", tiles=tiles))
    # someone without media: nothing to tell them, nothing fails
    await channels.send("media-relay-0", command_message(MEETING, "tiles", "lark", tiles=tiles))
    await channels.send("media-relay-0", command_message(MEETING, "leave", "lark"))
    await channels.send("media-relay-0", command_message(MEETING, "offer", "fern", sdp="v=0"))
    sent = await outbox.wait_for(3)
    # lark's and fern's commands run side by side: compare without their interleaving
    assert sorted((pid, type(o).__name__) for pid, o in sent) == [
        ("fern", "Answered"),  # the offer after the tiles: they were taken first
        ("fern", "Ready"),
        ("lark", "Stopped"),
    ]
    assert worker.relay._participants["fern"].tiles == {"lark": (640, 360), "wren": (160, 90)}


async def test_who_shares_their_screen_follows_the_plan_on_join_and_on_every_sync(running):
    channels, plans, outbox, worker = running
    plans.by_meeting[MEETING] = {"fern": Plan(room=f"{MEETING}/main", screen=True)}
    await channels.send("media-relay-0", command_message(MEETING, "join", "fern"))
    await outbox.wait_for(1)
    forwarding = worker.relay._participants["fern"].forwarding
    assert forwarding["screen"] is True
    plans.by_meeting[MEETING] = {"fern": Plan(room=f"{MEETING}/main", screen=False)}
    await channels.send("media-relay-0", command_message(MEETING, "sync"))
    for _ in range(50):
        if forwarding["screen"] is False:
            break
        await asyncio.sleep(0.02)
    assert forwarding["screen"] is False and forwarding["video"] is True
