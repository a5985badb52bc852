"""A subscriber whose bandwidth cannot carry even the lowest layer of every video keeps its
audio and its most important videos; the relay pauses the rest for it and says so."""

from __future__ import annotations

import asyncio
import math
from types import SimpleNamespace

from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from media import ActiveSpeaker, Relay, VideosPaused
from media.forwarding import Downtrack
from media.simulcast import UPGRADE_MARGIN, SimulcastPublication
from media.video_priority import (
    CLEAR_HEADROOM,
    MAX_PAUSE,
    PROBE_MARGIN,
    RESUME_HEADROOM,
    Video,
    _ceiling,
    _probe_budget,
    pause_hold,
    videos_to_pause,
)
from tests.media.media_peers import (
    COUNTER_RANGE,
    Client,
    CounterVideoTrack,
    joined,
    wait_for,
)
from tests.media.simulcast_peers import SimulcastPublisher

PAUSE_MIN = 1.0
RELAY_OPTIONS = {
    "keyframe_min_interval": 0.3,
    "pause_min_seconds": PAUSE_MIN,
    "estimate_bandwidth": False,
}


def _lowest_rate(relay: Relay, publisher: str) -> int:
    publication = relay._participants[publisher].publications["video"]
    return publication.layers[0].bitrate  # q: what the relay keeps at the least


def _sent_to(relay: Relay, subscriber: str) -> dict[tuple[str, str], int]:
    slots = relay._participants[subscriber].slots
    return {key: slot.downtrack.packets_sent for key, slot in slots.items()}


async def _settled(client: Client, publishers: list[str]) -> bool:
    before = [await client.packets_received(p, "video") for p in publishers]
    await asyncio.sleep(1.0)
    return before == [await client.packets_received(p, "video") for p in publishers]


def _told(room, subscriber: str) -> list[VideosPaused]:
    return [e for e in room.events if isinstance(e, VideosPaused) and e.participant == subscriber]


async def _growth(client: Client, publishers: list[str], seconds: float) -> dict[str, tuple]:
    """Video packets and audio frames that arrived from each publisher in ``seconds``."""
    before = {p: await client.packets_received(p, "video") for p in publishers}
    audio = {p: client.received[p].audio_frames for p in publishers}
    await asyncio.sleep(seconds)
    return {
        p: (
            await client.packets_received(p, "video") - before[p],
            client.received[p].audio_frames - audio[p],
        )
        for p in publishers
    }


async def test_a_tiny_budget_pauses_thumbnails_keeps_the_speaker_and_audio_then_resumes(room):
    relay = room.relay
    await joined(room, SimulcastPublisher(relay, "speaker", "r1", number=1, amplitude=0.5))
    # the others' pictures are richer: a small budget has room for the speaker's alone
    await joined(room, SimulcastPublisher(relay, "thumb", "r1", number=2, amplitude=0, noisy=True))
    plain = Client(relay, "plain", "r1", number=3, amplitude=0.0)  # one layer only
    plain.video = CounterVideoTrack(first=3 * COUNTER_RANGE, noisy=True)
    await joined(room, plain)
    sub = await joined(room, Client(relay, "sub", "r1", number=4, video=False, amplitude=0.0))
    others = ["speaker", "thumb", "plain"]
    relay.set_tiles("sub", {"speaker": (640, 384), "thumb": (160, 96), "plain": (160, 96)})
    await wait_for(
        lambda: any(
            isinstance(e, ActiveSpeaker) and e.participant == "speaker" for e in room.events
        ),
        timeout=10,
    )
    await wait_for(lambda: all(sub.counters_from(p) for p in ["thumb", "plain"]), timeout=10)
    await wait_for(lambda: _lowest_rate(relay, "speaker") > 0, timeout=5)

    speaker_peak, others_least = 0, 10**9  # over three one-second measurements
    for _ in range(3):
        await asyncio.sleep(1.0)
        plain_rate = relay._participants["plain"].publications["video"].bitrate
        speaker_peak = max(speaker_peak, _lowest_rate(relay, "speaker"))
        others_least = min(others_least, _lowest_rate(relay, "thumb"), plain_rate)
    assert others_least > 2 * speaker_peak, "the test needs pictures that differ"
    # room for the speaker's lowest layer (and its ups and downs), not for a second video
    relay.set_subscriber_budget("sub", int(math.sqrt(speaker_peak * others_least)))
    await wait_for(lambda: _told(room, "sub"), timeout=3)
    assert _told(room, "sub")[-1].cameras == ("plain", "thumb")
    assert _told(room, "sub")[-1].reason == "bandwidth"
    # a loaded machine's client works through packets that arrived seconds ago: wait
    # until it has caught up with the pause, then watch
    await wait_for(lambda: _settled(sub, ["thumb", "plain"]), timeout=15, interval=0.2)
    sent = _sent_to(relay, "sub")
    paused = await _growth(sub, others, 3.0)
    assert paused["thumb"][0] == 0 and paused["plain"][0] == 0
    assert _sent_to(relay, "sub")[("thumb", "video")] == sent[("thumb", "video")]
    assert _sent_to(relay, "sub")[("plain", "video")] == sent[("plain", "video")]
    assert paused["speaker"][0] >= 5  # its pictures keep coming (~45 packets when idle)
    for publisher in others:  # everyone's audio, paused video or not (50 frames a second,
        assert paused[publisher][1] >= 10, publisher  # far fewer decoded on a busy machine)
    told = len(_told(room, "sub"))
    await asyncio.sleep(1.5)
    assert len(_told(room, "sub")) == told  # told once, not every second

    relay.set_subscriber_budget("sub", 10_000_000)
    await wait_for(lambda: _told(room, "sub")[-1].cameras == (), timeout=PAUSE_MIN + 3)
    thumb_pictures = len(sub.counters_from("thumb"))
    plain_pictures = len(sub.counters_from("plain"))
    # decoded again: the relay asked for a keyframe when it resumed them. On a loaded
    # machine an aiortc subscriber can hold a hole from before the pause in its jitter
    # buffer and decode nothing until 128 packets pass and it asks for a keyframe itself
    # (a browser skips to the keyframe): generous timeouts
    await wait_for(lambda: len(sub.counters_from("thumb")) > thumb_pictures + 10, timeout=30)
    await wait_for(lambda: len(sub.counters_from("plain")) > plain_pictures + 10, timeout=30)
    assert sub.mislabelled == 0


def _video(name, area=0, lowest=100, screen=False, speaker=False, order=0):
    return Video((name, "screen" if screen else "video"), screen, speaker, area, order, lowest)


def test_the_screen_then_the_speaker_then_the_largest_tiles_are_kept():
    videos = [
        _video("thumb-a", area=100, order=0),
        _video("big", area=10_000, order=1),
        _video("speaker", area=100, speaker=True, order=2),
        _video("thumb-b", area=100, order=3),
        _video("sharer", screen=True, lowest=300, order=4),
    ]
    paused = videos_to_pause(videos, 400, {}, now=10.0, min_pause=4.0)
    assert paused == {("thumb-a", "video"), ("big", "video"), ("thumb-b", "video")}
    paused = videos_to_pause(videos, 500, {}, now=10.0, min_pause=4.0)
    assert paused == {("thumb-a", "video"), ("thumb-b", "video")}
    paused = videos_to_pause(videos, 600, {}, now=10.0, min_pause=4.0)
    assert paused == {("thumb-b", "video")}  # equal tiles: the relay's order (recent speakers)


def test_a_video_that_does_not_fit_leaves_the_budget_to_smaller_ones_after_it():
    videos = [_video("big", area=10_000, lowest=900, order=0), _video("thumb", order=1)]
    assert videos_to_pause(videos, 500, {}, now=0.0, min_pause=4.0) == {("big", "video")}


def test_a_paused_video_resumes_only_with_room_to_spare_and_after_a_while():
    videos = [_video("speaker", speaker=True), _video("thumb", order=1)]
    thumb = ("thumb", "video")
    assert videos_to_pause(videos, 150, {}, now=0.0, min_pause=4.0) == {thumb}
    since = {thumb: 0.0}
    # the budget is back to just enough: it stays paused rather than flapping
    assert videos_to_pause(videos, 200, since, now=10.0, min_pause=4.0) == {thumb}
    room = int(100 + 100 * RESUME_HEADROOM)
    assert videos_to_pause(videos, room, since, now=2.0, min_pause=4.0) == {thumb}  # too soon
    assert videos_to_pause(videos, room, since, now=4.5, min_pause=4.0) == set()


def test_a_video_whose_resume_did_not_fit_waits_longer_each_time():
    thumb = ("thumb", "video")
    assert pause_hold(0, min_pause=4.0) == 4.0  # the first pause
    # paused again soon after resuming: the link could not carry it after all; once is
    # one probe of a limit that may have been lifted, each further time waits twice as long
    assert pause_hold(1, min_pause=4.0) == 4.0
    assert pause_hold(2, min_pause=4.0) == 8.0
    assert pause_hold(3, min_pause=4.0) == 16.0
    assert pause_hold(9, min_pause=4.0) == MAX_PAUSE

    videos = [_video("speaker", speaker=True), _video("thumb", order=1)]
    room = int(100 + 100 * RESUME_HEADROOM)
    since, holds = {thumb: 6.0}, {thumb: 8.0}
    assert videos_to_pause(videos, room, since, now=12.0, min_pause=4.0, holds=holds) == {thumb}
    assert videos_to_pause(videos, room, since, now=14.5, min_pause=4.0, holds=holds) == set()
    # the limit was lifted: a budget far above its need ends the longer hold early
    wide = 100 + 100 * CLEAR_HEADROOM
    assert videos_to_pause(videos, wide, since, now=9.0, min_pause=4.0, holds=holds) == {thumb}
    assert videos_to_pause(videos, wide, since, now=10.5, min_pause=4.0, holds=holds) == set()


def test_the_estimate_is_offered_one_paused_video_at_a_time_most_important_first():
    """What the subscriber's estimate may grow to (``probe_budget``): the kept video with a
    margin, plus one paused video's need once its hold is over; never both at once."""
    videos = [
        _video("speaker", speaker=True),
        _video("thumb", order=1, lowest=200),
        _video("other", order=2, lowest=50),
    ]
    paused = {("thumb", "video"), ("other", "video")}
    participant = SimpleNamespace(
        id="sub", paused_since=dict.fromkeys(paused, 0.0), failed_resumes={}, resumed_at={}
    )
    single_layer = {video.key: object() for video in videos}
    kept = int(100 * PROBE_MARGIN)

    def probe(now: float) -> int | None:
        return _probe_budget(participant, videos, single_layer, paused, now, min_pause=4.0)

    assert probe(now=2.0) == kept  # held: no step yet
    assert probe(now=5.0) == kept + int(200 * RESUME_HEADROOM)  # the more important one
    participant.failed_resumes = {("thumb", "video"): 2}  # its resumes failed: held longer
    assert probe(now=5.0) == kept + int(50 * RESUME_HEADROOM)
    # nothing paused and single-layer videos: no step left, the estimate grows freely
    assert _probe_budget(participant, videos, single_layer, set(), 5.0, min_pause=4.0) is None


def test_padding_probes_for_a_top_layer_the_publisher_stopped_sending():
    """A viewer on the low layer (its tile a thumbnail) lets the publisher stop its top
    layer; when the tile grows, the padding ceiling still counts that layer at what it
    took while sent, so the probe asks for room enough that the publisher sends it again
    (a ceiling of the flowing layers left a Chromium viewer on the low layer)."""
    vp8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
    now = 100.0
    publication = SimulcastPublication("pub", ["h", "f"], vp8, 0.0, lambda p: None)
    sizes = {"h": (320, 240, 200_000, now), "f": (640, 480, 900_000, now - 30)}  # f stopped
    for ssrc, layer in enumerate(publication.layers, start=1):
        layer.width, layer.height, layer.sent_bitrate, layer.last_packet = sizes[layer.rid]
        layer.ssrc, layer.bitrate = ssrc, 0 if layer.rid == "f" else 200_000
    publication.add_downtrack(Downtrack("sub", None, 90000, True))  # type: ignore[arg-type]
    video = _video("pub", area=587 * 330, lowest=200_000)
    publications = {video.key: publication}

    publication.choices["sub"].tile = (160, 120)  # a thumbnail: the low layer is its top
    assert _ceiling("sub", [video], publications) == int(200_000 * UPGRADE_MARGIN * PROBE_MARGIN)
    publication.choices["sub"].tile = (587, 330)  # grown: the stopped full layer
    assert _ceiling("sub", [video], publications) == int(900_000 * UPGRADE_MARGIN * PROBE_MARGIN)
