"""The media workers' registry on real Redis: leases, placement, lapses, draining."""

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from media.registry import Registry

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def registry():
    prefix = f"test-rel-media-{uuid.uuid4().hex[:8]}"
    made = Registry(lambda: Redis.from_url(REDIS_URL), prefix, lease_seconds=0.5)
    yield made
    client = Redis.from_url(REDIS_URL)
    keys = [key async for key in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()
    await made.close()


def meeting() -> str:
    return str(uuid.uuid4())


async def test_no_live_worker_means_no_placement(registry):
    assert await registry.place(meeting()) is None


async def test_a_meeting_stays_on_its_worker_and_new_ones_go_to_the_least_loaded(registry):
    await registry.refresh("a", "media-relay-a", load=0, hosting=[])
    assert await registry.place(meeting(), new=False) is None  # a room-state sync places nothing
    first = await registry.place(meeting_one := meeting())
    assert first is not None and (first.worker, first.channel) == ("a", "media-relay-a")
    await registry.refresh("b", "media-relay-b", load=0, hosting=[])
    # a has one meeting, b none: the next meeting goes to b, the one after to either
    second = await registry.place(meeting_two := meeting())
    assert second is not None and second.worker == "b" and not second.moved
    # a reports 5 people in its meeting, b 1 in its: b takes the next two
    await registry.refresh("a", "media-relay-a", load=5, hosting=[meeting_one])
    await registry.refresh("b", "media-relay-b", load=1, hosting=[meeting_two])
    assert [(await registry.place(meeting())).worker for _ in range(2)] == ["b", "b"]
    again = await registry.place(meeting_one)
    assert again is not None and again.worker == "a" and not again.moved


async def test_a_burst_of_new_meetings_spreads_evenly_while_their_people_still_join(registry):
    await registry.refresh("a", "media-relay-a", load=0, hosting=[])
    await registry.refresh("b", "media-relay-b", load=0, hosting=[])
    first, second = meeting(), meeting()
    assert [(await registry.place(m)).worker for m in (first, second)] == ["a", "b"]
    # a's three people have joined and a has said so; b's are still joining
    await registry.refresh("a", "media-relay-a", load=3, hosting=[first])
    placed = [(await registry.place(meeting())).worker for _ in range(2)]
    assert sorted(placed) == ["a", "b"]  # two meetings each, not one on a and three on b


async def test_a_meeting_of_a_lapsed_worker_moves_once_to_a_live_one(registry):
    await registry.refresh("a", "media-relay-a", load=0, hosting=[])
    placed = meeting()
    assert (await registry.place(placed)).worker == "a"
    await registry.refresh("b", "media-relay-b", load=3, hosting=[])
    # b keeps renewing, a goes silent
    for _ in range(4):
        await asyncio.sleep(0.2)
        await registry.refresh("b", "media-relay-b", load=3, hosting=[])
    assert await registry.claim_lapsed() == [placed]
    assert await registry.claim_lapsed() == []  # claimed once
    moves = [await registry.place(placed) for _ in range(3)]
    assert [(m.worker, m.moved) for m in moves] == [("b", True), ("b", False), ("b", False)]
    # a comes back from a freeze: told the meeting is b's now
    assert await registry.refresh("a", "media-relay-a", load=0, hosting=[placed]) == [placed]
    assert (await registry.place(placed)).worker == "b"


async def test_a_draining_worker_gets_no_meetings_and_hands_its_own_over(registry):
    await registry.refresh("a", "media-relay-a", load=0, hosting=[])
    placed = meeting()
    assert (await registry.place(placed)).worker == "a"
    await registry.refresh("b", "media-relay-b", load=50, hosting=[])
    await registry.refresh("a", "media-relay-a", load=0, hosting=[placed], draining=True)
    assert (await registry.place(meeting())).worker == "b"  # though b is far busier
    handed = await registry.place(placed, avoid="a")
    assert (handed.worker, handed.moved) == ("b", True)


async def test_a_worker_not_ready_keeps_its_meetings_but_gets_no_new_ones(registry):
    await registry.refresh("a", "media-relay-a", load=0, hosting=[])
    placed = meeting()
    assert (await registry.place(placed)).worker == "a"
    assert await registry.ready_workers() == 1
    await registry.refresh("a", "media-relay-a", load=0, hosting=[placed], ready=False)
    assert await registry.ready_workers() == 0
    assert await registry.place(meeting()) is None  # nobody to take a new meeting
    await registry.refresh("b", "media-relay-b", load=50, hosting=[])
    assert (await registry.place(meeting())).worker == "b"  # though b is far busier
    stays = await registry.place(placed)
    assert (stays.worker, stays.moved) == ("a", False)  # its people keep their media
    await registry.refresh("a", "media-relay-a", load=0, hosting=[placed], ready=True)
    assert await registry.ready_workers() == 2


async def test_an_expired_lease_is_swept_by_the_next_worker(registry):
    await registry.refresh("a", "media-relay-a", load=0, hosting=[])
    placed = meeting()
    await registry.place(placed)
    await registry.expire("a")
    assert await registry.place(meeting()) is None  # a takes nothing new
    await registry.refresh("c", "media-relay-c", load=0, hosting=[])
    assert await registry.claim_lapsed() == [placed]
    moved = await registry.place(placed)
    assert (moved.worker, moved.moved) == ("c", True)


async def test_a_redis_that_lost_its_data_gets_every_meeting_back_from_its_worker(registry):
    await registry.refresh("a", "media-relay-a", load=0, hosting=[])
    await registry.refresh("b", "media-relay-b", load=0, hosting=[])
    placed = {m: (await registry.place(m)).worker for m in (meeting(), meeting())}
    client = Redis.from_url(REDIS_URL)
    keys = [key async for key in client.scan_iter(f"{registry.prefix}:*")]
    await client.delete(*keys)  # what a Redis restart without persistence leaves
    await client.aclose()
    for worker in ("a", "b"):
        hosting = [m for m, w in placed.items() if w == worker]
        assert (
            await registry.refresh(worker, f"media-relay-{worker}", load=1, hosting=hosting) == []
        )
    for m, worker in placed.items():
        again = await registry.place(m)
        assert (again.worker, again.moved) == (worker, False)  # nobody's media restarts


async def test_a_claimed_meeting_whose_placement_expired_still_counts_as_moved(registry):
    registry.idle_meeting_seconds = 0.1  # placements last 0.2 s unless hosted
    await registry.refresh("a", "media-relay-a", load=0, hosting=[])
    placed = meeting()
    await registry.place(placed)
    await asyncio.sleep(0.7)  # a is gone for longer than its placement lasts
    await registry.refresh("b", "media-relay-b", load=0, hosting=[])
    assert await registry.claim_lapsed() == [placed]
    moved = await registry.place(placed, claimed=True)
    assert (moved.worker, moved.moved) == ("b", True)  # so its people are told to rejoin


async def test_a_snapshot_shows_each_workers_lease_and_load_and_each_meetings_worker(registry):
    await registry.refresh("a", "media-relay-a", load=4, hosting=[], streams=12)
    placed = meeting()
    assert (await registry.place(placed)).worker == "a"
    await registry.refresh("b", "media-relay-b", load=0, hosting=[], draining=True)
    await registry.refresh("c", "media-relay-c", load=0, hosting=[], ready=False)
    unplaced = meeting()

    workers, carriers = await registry.snapshot([placed, unplaced])

    by_id = {w.worker: w for w in workers}
    assert (by_id["a"].load, by_id["a"].meetings, by_id["a"].draining) == (4, 1, False)
    assert (by_id["a"].streams, by_id["b"].streams) == (12, 0)
    assert [w.ready for w in workers] == [True, True, False]
    assert by_id["b"].draining and by_id["b"].meetings == 0
    assert all(0 < w.lease_left_seconds <= 0.5 and w.alive for w in workers)
    assert carriers == ["a", ""]
    # reading moved nothing and placed nothing
    assert await registry.place(unplaced, new=False) is None

    await asyncio.sleep(0.6)  # neither renews: both lapse
    workers, _ = await registry.snapshot([])
    assert [w.alive for w in workers] == [False, False, False]
