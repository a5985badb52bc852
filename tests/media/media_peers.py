"""aiortc test clients that talk to an in-process Relay over loopback.

A client publishes a video whose frames carry a 16-bit frame counter drawn as
black/white blocks, and an audio tone (or silence), and decodes what it receives
so tests can check the content that arrives, not just that bytes moved.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import math
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcconfiguration import RTCBundlePolicy
from av import AudioFrame, VideoFrame

from media import Relay, RelayConfig, RelayEvent, Renegotiate
from media.aiortc_private.ice import restore_host_addresses

WIDTH, HEIGHT = 160, 96
BITS = 16
BLOCK = WIDTH // BITS


def draw_counter(counter: int) -> np.ndarray:
    """A YUV420 frame whose luma shows ``counter`` as 16 black/white blocks."""
    image = np.full((HEIGHT * 3 // 2, WIDTH), 128, dtype=np.uint8)
    luma = image[:HEIGHT]
    for bit in range(BITS):
        value = 235 if counter >> bit & 1 else 16
        luma[:, bit * BLOCK : (bit + 1) * BLOCK] = value
    return image


def add_noise(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random luma under the counter's band (``read_counter`` reads the middle half): a
    picture that costs an encoder about its target bitrate instead of a few kbit/s."""
    image[3 * HEIGHT // 4 + 2 : HEIGHT] = rng.integers(16, 235, (HEIGHT // 4 - 2, WIDTH))
    return image


def read_counter(frame: VideoFrame) -> int | None:
    if frame.width != WIDTH or frame.height != HEIGHT:
        return None
    luma = frame.to_ndarray(format="gray")
    counter = 0
    for bit in range(BITS):
        value = luma[HEIGHT // 4 : 3 * HEIGHT // 4, bit * BLOCK + 2 : (bit + 1) * BLOCK - 2]
        mean = float(value.mean())
        if 60 < mean < 190:
            return None  # not our picture
        if mean >= 190:
            counter |= 1 << bit
    return counter


class CounterVideoTrack(MediaStreamTrack):
    kind = "video"

    def __init__(self, first: int = 0, fps: int = 30, noisy: bool = False) -> None:
        super().__init__()
        self.fps = fps
        self.noise = np.random.default_rng(first) if noisy else None
        self.first = first
        self.counter = first
        self._start: float | None = None

    async def recv(self) -> VideoFrame:
        if self._start is None:
            self._start = time.monotonic()
        self.counter += 1
        wait = self._start + (self.counter - self.first) / self.fps - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        image = draw_counter(self.counter)
        if self.noise is not None:
            image = add_noise(image, self.noise)
        frame = VideoFrame.from_ndarray(image, format="yuv420p")
        frame.pts = (self.counter - self.first) * (90000 // self.fps)
        frame.time_base = fractions.Fraction(1, 90000)
        return frame


class ToneAudioTrack(MediaStreamTrack):
    """20 ms frames of a 440 Hz tone at ``amplitude`` (0 gives digital silence)."""

    kind = "audio"

    def __init__(self, amplitude: float = 0.3) -> None:
        super().__init__()
        self.amplitude = amplitude
        self.samples = 0
        self._start: float | None = None

    async def recv(self) -> AudioFrame:
        if self._start is None:
            self._start = time.monotonic()
        wait = self._start + self.samples / 48000 - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        t = (np.arange(960) + self.samples) / 48000
        wave = (self.amplitude * 32767 * np.sin(2 * math.pi * 440 * t)).astype(np.int16)
        frame = AudioFrame.from_ndarray(wave.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = 48000
        frame.pts = self.samples
        frame.time_base = fractions.Fraction(1, 48000)
        self.samples += 960
        return frame


@dataclass
class Received:
    """What a client got from one publisher."""

    counters: list[tuple[float, int]] = field(default_factory=list)
    audio_frames: int = 0


COUNTER_RANGE = 8000  # each client draws counters from its own range: content names its sender
SCREEN_OFFSET = COUNTER_RANGE // 2


class Client:
    def __init__(
        self,
        relay: Relay | None,
        participant_id: str,
        room: str,
        video: bool = True,
        audio: bool = True,
        amplitude: float = 0.3,
        receive_video: bool = True,
        number: int = 0,
        screen: bool = False,
    ) -> None:
        self.relay = relay
        self.number = number
        self.id = participant_id
        self.room = room
        self.receive_video = receive_video
        self.pc = self._new_pc()
        self.video = CounterVideoTrack(first=number * COUNTER_RANGE) if video else None
        self.owner_of: Callable[[int], str | None] = lambda counter: None
        # pictures that arrived on a MID the relay had labelled as someone else's
        self.mislabelled = 0
        self._previous: dict[str, str] = {}
        self.audio = ToneAudioTrack(amplitude) if audio else None
        # a shared screen: a second video, its counters in the upper half of the range
        self.screen = (
            CounterVideoTrack(first=number * COUNTER_RANGE + SCREEN_OFFSET) if screen else None
        )
        self.screens: dict[str, list[int]] = {}  # counters that came on a "screen" MID
        self.mids: dict[str, dict[str, str]] = {}
        self.received: dict[str, Received] = {}
        self.offers = 0
        self.answered_at: list[float] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._renegotiations: asyncio.Queue[Renegotiate] = asyncio.Queue()

    def _new_pc(self) -> RTCPeerConnection:
        pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        pc.on("track", self._on_track)
        return pc

    async def join(self) -> None:
        await self._join_relay()
        for track in (self.audio, self.video, self.screen):
            if track is not None:
                self.pc.addTransceiver(track, direction="sendonly")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        answer = await self._offer(self.pc.localDescription.sdp)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        self._tasks.append(asyncio.ensure_future(self._answer_forever()))

    # How this client reaches the relay; tests/signaling overrides these to use the socket.
    async def _join_relay(self) -> None:
        await self.relay.join(
            self.id,
            self.room,
            publish_audio=self.audio is not None,
            publish_video=self.video is not None,
            receive_video=self.receive_video,
        )

    async def _offer(self, sdp: str) -> str:
        return await self.relay.offer(self.id, sdp)

    async def _answer(self, sdp: str) -> None:
        await self.relay.answer(self.id, sdp)

    def on_event(self, event: RelayEvent) -> None:
        if isinstance(event, Renegotiate) and event.participant == self.id:
            self._renegotiations.put_nowait(event)

    async def _answer_forever(self) -> None:
        while True:
            event = await self._renegotiations.get()
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=event.sdp, type="offer"))
            for mid, info in self.mids.items():
                if event.tracks.get(mid) != info:
                    self._previous[mid] = info["participant"]
            self.mids = dict(event.tracks)
            await self.pc.setLocalDescription(await self.pc.createAnswer())
            await self._answer(self.pc.localDescription.sdp)
            self.answered_at.append(time.monotonic())
            self.offers += 1

    def counters_from(self, publisher: str) -> list[int]:
        return [c for _, c in self.received.get(publisher, Received()).counters]

    def _held_back(self, track: MediaStreamTrack, owner: str) -> bool:
        """aiortc's jitter buffer releases a frame only when the next frame starts, so
        the previous sender's last picture comes out after a MID changes hands."""
        for transceiver in self.pc.getTransceivers():
            mid = transceiver.mid or ""
            if transceiver.receiver.track is track and self._previous.get(mid) == owner:
                del self._previous[mid]
                return True
        return False

    def publisher_of(self, track: MediaStreamTrack) -> str | None:
        info = self._info_of(track)
        return info["participant"] if info else None

    def _info_of(self, track: MediaStreamTrack) -> dict[str, str] | None:
        for transceiver in self.pc.getTransceivers():
            if transceiver.receiver.track is track and transceiver.mid in self.mids:
                return self.mids[transceiver.mid]
        return None

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._tasks.append(asyncio.ensure_future(self._consume(track)))

    async def _consume(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                publisher = self.publisher_of(track)
                if publisher is None:
                    continue
                received = self.received.setdefault(publisher, Received())
                if track.kind == "audio":
                    received.audio_frames += 1
                    continue
                counter = read_counter(frame)
                if counter is None:
                    continue
                info = self._info_of(track)
                if info is not None and info.get("source") == "screen":
                    self.screens.setdefault(publisher, []).append(counter)
                    continue
                # attribute by content, so a frame forwarded to the wrong place is caught
                owner = self.owner_of(counter)
                if owner is None:
                    continue
                if owner != publisher and not self._held_back(track, owner):
                    self.mislabelled += 1
                received = self.received.setdefault(owner, Received())
                received.counters.append((time.monotonic(), counter))

    async def packets_received(self, publisher: str, kind: str) -> int:
        """inbound-rtp packetsReceived of the receiver currently carrying ``publisher``."""
        total = 0
        for transceiver in self.pc.getTransceivers():
            info = self.mids.get(transceiver.mid or "")
            if not _carries(info, publisher, kind):
                continue
            report = await transceiver.receiver.getStats()
            total += sum(s.packetsReceived for s in report.values() if s.type == "inbound-rtp")
        return total

    def mid_of(self, publisher: str, kind: str) -> str | None:
        """The MID of ``publisher``'s microphone or camera (``kind``), or its "screen"."""
        for mid, info in self.mids.items():
            if _carries(info, publisher, kind):
                return mid
        return None

    async def packets_on_mid(self, mid: str) -> int:
        for transceiver in self.pc.getTransceivers():
            if transceiver.mid == mid:
                report = await transceiver.receiver.getStats()
                return sum(s.packetsReceived for s in report.values() if s.type == "inbound-rtp")
        return 0

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.pc.close()


def _carries(info: dict[str, str] | None, publisher: str, kind: str) -> bool:
    if info is None or info["participant"] != publisher:
        return False
    if kind == "screen":
        return info.get("source") == "screen"
    return info["kind"] == kind and info.get("source") != "screen"


class Room:
    """Routes relay events to the clients of a test."""

    def __init__(self) -> None:
        self.clients: dict[str, Client] = {}
        self.events: list[RelayEvent] = []

    def on_event(self, event: RelayEvent) -> None:
        self.events.append(event)
        client = self.clients.get(event.participant)
        if client is not None:
            client.on_event(event)

    def add(self, client: Client) -> Client:
        self.clients[client.id] = client
        client.owner_of = self.owner_of
        return client

    def owner_of(self, counter: int) -> str | None:
        for client in self.clients.values():
            if client.number == counter // COUNTER_RANGE:
                return client.id
        return None


@contextlib.asynccontextmanager
async def relay_room(*, estimate_bandwidth: bool = True, **config) -> AsyncIterator[Room]:
    """A relay on 127.0.0.1 (``config`` overrides ``RelayConfig``) and a Room routing its
    events; closes every client and the relay afterwards. ``estimate_bandwidth=False`` leaves
    subscriber budgets to the test (the estimator, media/bandwidth.py, would overwrite them)."""
    room = Room()
    room.relay = Relay(RelayConfig(host_addresses=["127.0.0.1"], **config), room.on_event)
    if not estimate_bandwidth:
        room.relay._update_budgets = lambda: None
    try:
        yield room
    finally:
        for client in room.clients.values():
            await client.close()
        await room.relay.close()
        restore_host_addresses()


async def joined(room: Room, client):
    """``client`` added to ``room`` and joined to its relay."""
    room.add(client)
    await client.join()
    return client


async def wait_for(predicate, timeout: float = 5.0, interval: float = 0.05) -> float:
    """Wait until ``predicate()`` is true; return the seconds it took. Fails on timeout."""
    start = time.monotonic()
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)
