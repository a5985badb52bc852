"""A page whose connection cannot carry everyone's video is told whose the relay paused."""

from signaling import media_bridge
from tests.media.media_peers import wait_for


async def test_the_page_learns_whose_video_is_paused_for_its_bandwidth_and_when_it_is_back(
    room, media, monkeypatch
):
    _peer_socket, fern, heron = await media.facilitator_and_peer(room, peer={"video": False})
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
