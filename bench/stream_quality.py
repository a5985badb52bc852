"""What a person would see and hear of one received stream, judged from RTP alone.

``VideoQuality`` puts VP8 frames back together from their packets, in order, the way a
browser's jitter buffer does before decoding: a frame counts once all its packets are
there (NACK/RTX may bring missing ones late); a frame still incomplete after
``GIVE_UP_SECONDS`` is lost, and then nothing is shown until the next keyframe (VP8
inter frames need the one before), which it asks for as a browser does (PLI). A whole
keyframe is shown as soon as it is there, whatever is missing before it: it needs no
earlier picture, and a browser's frame buffer drops the older frames it can no longer
decode.
``AudioQuality`` finds the longest run of missing Opus packets: the silence a person
hears when in-band FEC or concealment cannot help.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiortc.codecs.vpx import VpxPayloadDescriptor

GIVE_UP_SECONDS = 2.0  # about as long as libwebrtc waits before asking for a keyframe
KEYFRAME_REQUEST_INTERVAL = 0.5
AUDIO_PACKET_MS = 20


class Unwrapper:
    """16-bit RTP sequence numbers to an ever-increasing count."""

    def __init__(self) -> None:
        self.last: int | None = None

    def __call__(self, seq: int) -> int:
        if self.last is None:
            self.last = seq + 0x10000
            return self.last
        ext = self.last + ((seq - self.last + 0x8000) & 0xFFFF) - 0x8000
        self.last = max(self.last, ext)
        return ext


@dataclass
class _Packet:
    start: bool
    marker: bool
    keyframe: bool


class VideoQuality:
    def __init__(self, request_keyframe: Callable[[], None]) -> None:
        self.request_keyframe = request_keyframe
        self.ssrc: int | None = None
        self.frames = 0  # complete frames a decoder could show
        self.lost_frames = 0  # given up, or undecodable while waiting for a keyframe
        self.keyframe_requests = 0
        self.first_frame_wall: float | None = None
        self._reset()

    def _reset(self) -> None:
        self.unwrap = Unwrapper()
        self.packets: dict[int, _Packet] = {}
        self.next_seq: int | None = None
        self.decodable = False
        self.waiting_since: float | None = None
        self.last_request = 0.0

    def mark(self) -> None:
        self.frames = self.lost_frames = self.keyframe_requests = 0
        self.first_frame_wall = None

    def add(self, ssrc: int, seq: int, marker: bool, payload: bytes) -> None:
        if ssrc != self.ssrc:  # a new sender for this publisher (it joined again)
            self.ssrc = ssrc
            self.first_frame_wall = None  # what counts is the new sender's first frame
            self._reset()
        ext = self.unwrap(seq)
        if ext in self.packets or (self.next_seq is not None and ext < self.next_seq):
            return  # a duplicate, or too late
        try:
            descriptor, rest = VpxPayloadDescriptor.parse(payload)
        except ValueError:
            return
        start = bool(descriptor.partition_start) and descriptor.partition_id == 0
        keyframe = start and bool(rest) and not rest[0] & 1
        self.packets[ext] = _Packet(start, marker, keyframe)
        if self.next_seq is None and start:
            self.next_seq = ext
        self._assemble(time.monotonic())

    def _assemble(self, now: float) -> None:
        while self.next_seq is not None:
            end = self._complete_frame_end(self.next_seq)
            if end is not None:
                self._decode(self.next_seq, end, now)
                continue
            # A complete keyframe further on needs nothing before it: a decoder shows it
            # at once and drops what is older.
            keyframe = self._later_keyframe(complete=True)
            waited_for = self.decodable  # the frame at next_seq was to be shown
            if keyframe is None and self.decodable:
                if self.waiting_since is None:
                    self.waiting_since = now
                if now - self.waiting_since < GIVE_UP_SECONDS:
                    break  # NACK/RTX may still fill the hole
                self.decodable = False
            if keyframe is None:
                # undecodable until a keyframe: wait for one that has begun to arrive
                first = self.packets.get(self.next_seq)
                if first is not None and first.keyframe:
                    if self.waiting_since is None:
                        self.waiting_since = now
                    if now - self.waiting_since >= GIVE_UP_SECONDS:
                        self._ask_keyframe(now)  # for a later one: this will not complete
                    break
                self._ask_keyframe(now)
                keyframe = self._later_keyframe(complete=False)
                if keyframe is None:
                    if self.packets:
                        self._drop_before(max(self.packets) + 1, waited_for)
                    break
            self._drop_before(keyframe, waited_for)

    def _decode(self, start: int, end: int, now: float) -> None:
        if self.packets[start].keyframe:
            self.decodable = True
        if self.decodable:
            self.frames += 1
            if self.first_frame_wall is None:
                self.first_frame_wall = time.time()
        else:
            self.lost_frames += 1  # whole, but it needs the picture that was lost
            self._ask_keyframe(now)
        for seq in range(start, end + 1):
            self.packets.pop(seq, None)
        self.next_seq = end + 1
        self.waiting_since = None

    def _complete_frame_end(self, seq: int) -> int | None:
        packet = self.packets.get(seq)
        if packet is None or not packet.start:
            return None
        while not packet.marker:
            seq += 1
            packet = self.packets.get(seq)
            if packet is None:
                return None
        return seq

    def _later_keyframe(self, complete: bool) -> int | None:
        """The first keyframe start after next_seq (only whole keyframes if ``complete``)."""
        assert self.next_seq is not None
        for seq in sorted(s for s, p in self.packets.items() if p.keyframe and s > self.next_seq):
            if not complete or self._complete_frame_end(seq) is not None:
                return seq
        return None

    def _drop_before(self, seq: int, waited_for: bool) -> None:
        """Frames before ``seq`` will never be shown: lost (with the one at next_seq if
        it was ``waited_for`` and not even its first packet came)."""
        assert self.next_seq is not None
        first = self.packets.get(self.next_seq)
        dropped = [s for s in self.packets if s < seq]
        self.lost_frames += sum(1 for s in dropped if self.packets[s].start)
        if waited_for and (first is None or not first.start):
            self.lost_frames += 1
        for s in dropped:
            del self.packets[s]
        self.next_seq = seq
        self.waiting_since = None

    def _ask_keyframe(self, now: float) -> None:
        if now - self.last_request >= KEYFRAME_REQUEST_INTERVAL:
            self.last_request = now
            self.keyframe_requests += 1
            self.request_keyframe()


class AudioQuality:
    def __init__(self) -> None:
        self.ssrc: int | None = None
        self.unwrap = Unwrapper()
        self.received: set[int] = set()
        self.first_packet_wall: float | None = None

    def mark(self) -> None:
        self.received.clear()
        self.first_packet_wall = None

    def add(self, ssrc: int, seq: int) -> None:
        if ssrc != self.ssrc:
            self.ssrc = ssrc
            self.unwrap = Unwrapper()
            self.received.clear()
            self.first_packet_wall = None
        self.received.add(self.unwrap(seq))
        if self.first_packet_wall is None:
            self.first_packet_wall = time.time()

    def longest_gap_ms(self) -> int:
        ordered = sorted(self.received)
        runs = [b - a - 1 for a, b in itertools.pairwise(ordered)]
        return max(runs, default=0) * AUDIO_PACKET_MS

    def lost_percent(self) -> float:
        if not self.received:
            return 100.0
        span = max(self.received) - min(self.received) + 1
        return round(100 * (1 - len(self.received) / span), 2)
