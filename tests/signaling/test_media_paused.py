"""A page whose connection cannot carry everyone's video is told whose the relay paused."""

import logging

import pytest

from signaling import media_bridge
from tests.media.media_peers import wait_for
from tests.signaling.media_peer import MediaMeeting

logging.getLogger("aiortc").setLevel(logging.ERROR)


@pytest.fixture
async def media():
    meeting = MediaMeeting()
    yield meeting
    await meeting.close()


async def test_the_page_learns_whose_video_is_paused_for_its_bandwidth_and_when_it_is_back(
    room, media, monkeypatch
):
    peer_socket = await room.admitted_peer("Calm Heron")
    fern = media.add(room.facilitator)
    heron = media.add(peer_socket, video=False)
    await fern.join()
    await heron.join()
    await wait_for(lambda: len(heron.counters_from(fern.id)) > 3, timeout=10)
    relay = media_bridge.local_worker().relay
    # the budget is the test's to set, not the bandwidth estimator's (media/bandwidth.py)
    monkeypatch.setattr(relay, "_update_budgets", lambda: None)
    camera = relay._participants[fern.id].publications["video"]
    await wait_for(lambda: camera.bitrate > 0, timeout=3)  # measured once a second

    relay.set_subscriber_budget(heron.id, camera.bitrate // 4)  # not even Fern's camera fits
    paused = await heron.expect("media.paused", timeout=5)
    assert paused == {
        "type": "media.paused",
        "participant_ids": [fern.id],
        "screens": [],
        "reason": "bandwidth",
    }
    relay.set_subscriber_budget(heron.id, None)
    await heron.expect("media.paused", timeout=8, participant_ids=[], screens=[])
    # Fern was never told anything: her own connection is fine
    assert "media.paused" not in fern.seen
