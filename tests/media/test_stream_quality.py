"""bench/stream_quality.VideoQuality judges received video as a browser's decoder would:
these are the cases the network tests lean on (loss, retransmission, keyframes)."""

import pytest

from bench import stream_quality
from bench.stream_quality import GIVE_UP_SECONDS, VideoQuality

SSRC = 1234


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(stream_quality.time, "monotonic", clock)
    return clock


def frame(seq: int, packets: int, keyframe: bool = False) -> list[tuple[int, bool, bytes]]:
    """(sequence number, marker, VP8 payload) for one frame of ``packets`` packets."""
    first = b"\x10" + (b"\x00" if keyframe else b"\x01") + b"x" * 10  # S bit, partition 0
    rest = b"\x00" + b"y" * 10
    return [(seq + i, i == packets - 1, first if i == 0 else rest) for i in range(packets)]


def feed(video: VideoQuality, packets: list[tuple[int, bool, bytes]]) -> None:
    for seq, marker, payload in packets:
        video.add(SSRC, seq, marker, payload)


def stream(first_seq: int, frames: int, keyframe_first: bool = True, size: int = 3) -> list:
    packets = []
    for i in range(frames):
        packets += frame(first_seq + i * size, size, keyframe=keyframe_first and i == 0)
    return packets


def test_frames_whole_after_a_retransmission_are_all_shown(clock):
    requests = []
    video = VideoQuality(lambda: requests.append(1))
    packets = stream(1000, 10)
    late = packets.pop(10)  # a packet of the fourth frame, NACKed and resent later
    feed(video, packets)
    assert video.frames == 3  # the rest waits behind the hole, as a decoder would
    clock.now += 0.1
    feed(video, [late])
    assert (video.frames, video.lost_frames, requests) == (10, 0, [])


def test_a_frame_that_never_completes_stops_the_picture_until_a_keyframe(clock):
    requests = []
    video = VideoQuality(lambda: requests.append(1))
    packets = stream(1000, 10)
    del packets[10]
    feed(video, packets)
    clock.now += GIVE_UP_SECONDS + 0.1
    feed(video, stream(1030, 5, keyframe_first=False))  # inter frames need the lost one
    assert video.frames == 3
    assert video.lost_frames >= 1
    assert requests  # a keyframe was asked for
    feed(video, stream(1045, 5))  # the keyframe asked for, and what follows it
    assert video.frames == 8


def test_a_whole_keyframe_after_heavy_loss_is_shown_at_once(clock):
    """Many half-received frames (a layer that did not fit the link), then a keyframe:
    the picture moves again right away, not one given-up frame at a time."""
    video = VideoQuality(lambda: None)
    feed(video, stream(1000, 2))
    for i in range(40):  # every frame lost its middle packet
        broken = frame(1006 + i * 3, 3)
        feed(video, [broken[0], broken[2]])
    assert video.frames == 2
    clock.now += 0.05
    feed(video, stream(1126, 30, size=1))  # one-packet frames of the low layer
    assert video.frames == 32
    assert video.lost_frames == 40


def test_a_keyframe_that_arrives_incomplete_is_waited_for_and_then_shown(clock):
    video = VideoQuality(lambda: None)
    feed(video, stream(1000, 2))
    feed(video, frame(1006, 3)[:1])  # the rest of this frame never comes
    clock.now += GIVE_UP_SECONDS + 0.1
    keyframe = frame(1009, 3, keyframe=True)
    feed(video, keyframe[:2])
    assert video.frames == 2
    clock.now += 0.1
    feed(video, keyframe[2:] + stream(1012, 3, keyframe_first=False))
    assert video.frames == 6
