"""Share of voice: seconds of speech per person from RTP audio levels, nothing decoded."""

import asyncio

from media.speaker import SpeakingClock
from tests.media.media_peers import wait_for

LOUD, QUIET = 20, 127  # -dBov: 0 is the loudest


def test_loud_packets_count_the_time_between_them():
    clock = SpeakingClock()
    for i in range(51):  # one second of 20 ms packets
        clock.add("heron", LOUD, now=i * 0.02)
        clock.add("lark", QUIET, now=i * 0.02)
    taken = clock.take()
    assert abs(taken["heron"] - 1.0) < 1e-6
    assert "lark" not in taken
    assert clock.take() == {}  # handed out once, then forgotten here


def test_a_pause_in_the_packets_is_not_speech():
    clock = SpeakingClock()
    clock.add("heron", LOUD, now=0.0)
    clock.add("heron", LOUD, now=30.0)  # DTX: nothing sent for half a minute
    assert clock.take()["heron"] == clock.max_gap


def test_someone_who_left_starts_again_from_their_next_packet():
    clock = SpeakingClock()
    clock.add("heron", LOUD, now=0.0)
    clock.remove("heron")
    clock.add("heron", LOUD, now=0.05)
    assert clock.take() == {}


async def test_the_relay_counts_who_speaks_from_their_audio_levels(room, make_client):
    await make_client("talker", video=False, amplitude=0.5)
    await make_client("quiet", video=False, amplitude=0.0)
    spoken: dict[str, float] = {}

    def counted() -> bool:
        for pid, seconds in room.relay.take_speaking_seconds().items():
            spoken[pid] = spoken.get(pid, 0.0) + seconds
        return spoken.get("talker", 0.0) > 1.0

    await wait_for(counted, timeout=6)
    assert "quiet" not in spoken
    stats = room.relay.stats()
    assert (stats.decoder_calls, stats.encoder_calls) == (0, 0)


async def test_a_muted_person_is_not_counted(room, make_client):
    await make_client("talker", video=False, amplitude=0.5)
    await make_client("listener", video=False, amplitude=0.0)
    heard = [0.0]

    def talking() -> bool:  # first make sure the talker's levels do reach the relay
        heard[0] += room.relay.take_speaking_seconds().get("talker", 0.0)
        return heard[0] > 0.3

    await wait_for(talking)
    room.relay.set_forwarding("talker", audio=False)  # a facilitator's mute: nobody hears it
    room.relay.take_speaking_seconds()
    await asyncio.sleep(1.0)
    assert room.relay.take_speaking_seconds() == {}


async def test_the_worker_adds_up_per_meeting_and_forgets_a_meeting_nobody_is_in():
    from media import RelayConfig
    from media.aiortc_private.ice import restore_host_addresses
    from media.worker import MediaWorker, SpeakingSeconds
    from tests.fakes import FakeChannels, FakeOutbox, FakePlans

    outbox = FakeOutbox()
    worker = MediaWorker(
        ["media-relay-0"],
        RelayConfig(host_addresses=["127.0.0.1"]),
        plans=FakePlans(),
        outbox=outbox,
        receive=FakeChannels().receive,
    )
    try:
        worker.meetings = {"heron": "m1", "lark": "m1", "otter": "m2"}
        counts = iter([{"heron": 2.0, "otter": 1.0}, {"heron": 1.5}, {}, {}])
        worker.relay.take_speaking_seconds = lambda: next(counts)  # type: ignore[method-assign]
        await worker.report_speaking()
        await worker.report_speaking()
        reports = dict(outbox.reports)  # the latest report of each meeting
        assert reports == {
            "m1": SpeakingSeconds("m1", {"heron": 3.5}),
            "m2": SpeakingSeconds("m2", {"otter": 1.0}),
        }
        sent = len(outbox.reports)
        await worker.report_speaking()
        assert len(outbox.reports) == sent  # nothing changed: nothing sent until the refresh
        worker.meetings = {"otter": "m2"}  # everyone of m1 has gone: its seconds go too
        await worker.report_speaking()
        assert set(worker.speaking) == {"m2"}
    finally:
        await worker.stop()
        restore_host_addresses()


async def test_a_facilitator_who_enters_gets_unchanged_figures_on_the_next_report():
    from media import RelayConfig
    from media.aiortc_private.ice import restore_host_addresses
    from media.worker import MediaWorker, SpeakingSeconds
    from tests.fakes import FakeChannels, FakeOutbox, FakePlans, Plan

    outbox = FakeOutbox()
    worker = MediaWorker(
        ["media-relay-0"],
        RelayConfig(host_addresses=["127.0.0.1"]),
        plans=FakePlans({"m1": {"heron": Plan("m1/main")}}),
        outbox=outbox,
        receive=FakeChannels().receive,
    )
    try:
        worker.meetings = {"heron": "m1", "otter": "m2"}
        counts = iter([{"heron": 2.0, "otter": 1.0}, {}, {}, {}])
        worker.relay.take_speaking_seconds = lambda: next(counts)  # type: ignore[method-assign]
        await worker.report_speaking()
        await worker.report_speaking()
        sent = len(outbox.reports)
        # a facilitator enters m1: signaling asks the worker to sync the meeting
        await worker.run({"op": "sync", "meeting_id": "m1"})
        await worker.report_speaking()
        assert outbox.reports[sent:] == [("m1", SpeakingSeconds("m1", {"heron": 2.0}))]
        await worker.report_speaking()
        assert len(outbox.reports) == sent + 1  # once: then only changes or the refresh
    finally:
        await worker.stop()
        restore_host_addresses()
