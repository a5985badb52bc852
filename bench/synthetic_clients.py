"""Cheap benchmark participants: replay pre-encoded VP8/Opus, count packets, never decode.

One process runs several participants. Driven by the orchestrator over stdin/stdout:
prints "FLOWING" once every participant receives video and audio from all others,
then on "mark" starts a measuring window and on "report" prints one JSON line.
"network-changed ADDRESS" (bench/network.py: the host's address moved, as a browser's
`online` event says) makes each participant start a new peer connection from ADDRESS
under the same id, as the page does; the quality of what was received carries on.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.rtcconfiguration import RTCBundlePolicy
from encoded_media import FPS, load, load_layers, read_stamp, stamp
from receive_batching import ReceiveBatcher, arrival
from simulcast_publisher import LayerSender, simulcast_offer
from stream_quality import AudioQuality, VideoQuality

from media.aiortc_private.codecs import accept_rid_extensions
from media.aiortc_private.ice import use_host_addresses
from media.aiortc_private.receiver import Ingress
from media.aiortc_private.sender import IdleTrack, route_keyframe_requests
from media.aiortc_private.transport import install_fast_receive

BATCH = os.environ.get("BENCH_CLIENT_BATCH", "1") == "1"
# clients drain their sockets at most this often: they receive N(N-1) streams and would
# otherwise run out of CPU before the relay does; latency uses kernel arrival times
BATCH_INTERVAL = 0.01


class ReplayTrack(MediaStreamTrack):
    """Hands pre-encoded packets to the sender in real time; restarts on a keyframe request."""

    def __init__(self, kind: str, packets: list[bytes], interval: float, ticks: int, rate: int):
        super().__init__()
        self.kind = kind
        self.packets = packets
        self.interval = interval
        self.ticks = ticks
        self.time_base = fractions.Fraction(1, rate)
        self.index = 0
        self.sent = 0
        self._start: float | None = None

    def keyframe(self) -> None:
        self.index = 0

    async def recv(self) -> av.Packet:
        if self._start is None:
            self._start = time.monotonic()
        wait = self._start + self.sent * self.interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        data = self.packets[self.index]
        self.index = (self.index + 1) % len(self.packets)
        packet = av.Packet(stamp(data))
        packet.pts = self.sent * self.ticks
        packet.time_base = self.time_base
        self.sent += 1
        return packet


class Participant:
    def __init__(
        self,
        pid: str,
        video: list[bytes],
        audio: list[bytes],
        control,
        previous=None,
        layers=None,
    ) -> None:
        self.id = pid
        self.layers: dict[str, list[bytes]] | None = layers  # simulcast: rid -> recording
        self.control = control
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self.video = ReplayTrack("video", video, 1 / FPS, 90000 // FPS, 90000)
        self.audio = ReplayTrack("audio", audio, 0.02, 960, 48000)
        self.mids: dict[str, dict[str, str]] = {}
        self.hooked: set[int] = set()
        self.frames: dict[str, int] = defaultdict(int)
        self.audio_packets: dict[str, int] = defaultdict(int)
        self.delays: dict[str, list[float]] = {"audio": [], "video": []}
        # by publisher: what a decoder could show and a listener would hear
        self.video_quality: dict[str, VideoQuality] = previous.video_quality if previous else {}
        self.audio_quality: dict[str, AudioQuality] = previous.audio_quality if previous else {}
        self.join_started: float | None = None  # wall clock, shared by all processes
        self.first_remote_video: float | None = None  # first complete frame (marker bit)
        self.first_decodable_video: float | None = None  # first frame a decoder could show
        self.join_done: float | None = None  # the relay's answer to our offer applied
        # wall clock of each step from join to first frame, for bench/join_latency.py
        self.steps: dict[str, float] = {}

        @self.pc.on("connectionstatechange")
        def on_state() -> None:
            self.steps.setdefault(self.pc.connectionState, time.time())

        # a relay offer may arrive before our own offer's answer has been applied
        self.lock = asyncio.Lock()

    async def join(self) -> None:
        async with self.lock:
            await self._join()

    async def _join(self) -> None:
        self.join_started = time.time()
        await self.control.call("join", self.id)
        self.steps["join_ready"] = time.time()
        if self.layers:
            self.pc.addTransceiver(self.audio, direction="sendonly")
            video = self.pc.addTransceiver(IdleTrack("video"), direction="sendonly")
        else:
            for track in (self.audio, self.video):
                transceiver = self.pc.addTransceiver(track, direction="sendonly")
                if track.kind == "video":
                    route_keyframe_requests(transceiver.sender, track.keyframe)
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = self.pc.localDescription.sdp
        if self.layers:
            offer = simulcast_offer(offer, list(self.layers))
        self.steps["offer_made"] = time.time()
        reply = await self.control.call("offer", self.id, offer)
        await self.pc.setRemoteDescription(RTCSessionDescription(reply["sdp"], "answer"))
        self.join_done = time.time()
        if self.layers:
            self.sending = asyncio.ensure_future(LayerSender(video, self.layers).run())

    async def renegotiate(self, event: dict) -> None:
        async with self.lock:
            if self.pc.signalingState != "closed":
                await self._renegotiate(event)

    async def _renegotiate(self, event: dict) -> None:
        self.steps.setdefault("relay_offer", time.time())
        await self.pc.setRemoteDescription(RTCSessionDescription(event["sdp"], "offer"))
        if event.get("tracks"):
            self.mids = event["tracks"]
        self._hook_receivers()
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        for transport in {t.receiver.transport for t in self.pc.getTransceivers()}:
            batcher = self.control.batcher
            install_fast_receive(transport, batcher.add if batcher else None)
        await self.control.call("answer", self.id, self.pc.localDescription.sdp)

    @property
    def receiving_pc(self) -> RTCPeerConnection:
        """The connection media from others arrives on (Janus subscribes on a second one)."""
        return self.pc

    def _hook_receivers(self) -> None:
        for transceiver in self.receiving_pc.getTransceivers():
            receiver = transceiver.receiver
            if id(receiver) in self.hooked or transceiver.direction == "sendonly":
                continue
            self.hooked.add(id(receiver))
            ingress = Ingress(receiver, lambda packet, codec: None)
            ingress.on_packet = self._make_handler(transceiver, ingress)

    def _make_handler(self, transceiver, ingress: Ingress):
        def request_keyframe() -> None:
            task = asyncio.ensure_future(ingress.request_keyframe())
            self.control.tasks.add(task)
            task.add_done_callback(self.control.tasks.discard)

        def on_packet(packet, codec) -> None:
            now = arrival.time if self.control.batcher else time.time()
            # the naive relay sends no MID map: the stream id names the publisher instead
            key = transceiver.mid or "?"
            publisher = self.mids.get(key, {}).get("participant", key)
            if codec.mimeType.lower() == "video/vp8":
                if "first_video_packet" not in self.steps:
                    self.steps["first_video_packet"] = now
                quality = self.video_quality.get(publisher)
                if quality is None:
                    quality = self.video_quality[publisher] = VideoQuality(request_keyframe)
                quality.request_keyframe = request_keyframe
                shown = quality.frames
                quality.add(packet.ssrc, packet.sequence_number, packet.marker, packet.payload)
                if self.first_decodable_video is None and quality.frames > shown:
                    self.first_decodable_video = now
                if packet.marker:
                    if self.first_remote_video is None:
                        self.first_remote_video = time.time()
                    self.frames[key] += 1
                    sent = read_stamp(packet.payload)
                    if sent is not None:
                        self.delays["video"].append(now - sent)
            else:
                self.audio_quality.setdefault(publisher, AudioQuality()).add(
                    packet.ssrc, packet.sequence_number
                )
                self.audio_packets[key] += 1
                sent = read_stamp(packet.payload)
                if sent is not None:
                    self.delays["audio"].append(now - sent)

        return on_packet

    def mark(self) -> None:
        self.frames.clear()
        self.audio_packets.clear()
        self.delays = {"audio": [], "video": []}
        for quality in [*self.video_quality.values(), *self.audio_quality.values()]:
            quality.mark()

    def quality(self, elapsed: float) -> dict:
        """By publisher: decodable fps, lost frames, first frame/audio (wall clock), audio gaps."""
        result: dict[str, dict] = {}
        for publisher, video in self.video_quality.items():
            result.setdefault(publisher, {}).update(
                fps=round(video.frames / elapsed, 2),
                frames=video.frames,
                lost_frames=video.lost_frames,
                keyframe_requests=video.keyframe_requests,
                first_frame_wall=video.first_frame_wall,
            )
        for publisher, audio in self.audio_quality.items():
            result.setdefault(publisher, {}).update(
                audio_packets=len(audio.received),
                audio_longest_gap_ms=audio.longest_gap_ms(),
                audio_lost_percent=audio.lost_percent(),
                first_audio_wall=audio.first_packet_wall,
            )
        return result


class Control:
    def __init__(self, reader, writer, batch: bool = BATCH) -> None:
        self.reader, self.writer = reader, writer
        self.next_id = 0
        self.pending: dict[int, asyncio.Future] = {}
        self.participants: dict[str, Participant] = {}
        self.tasks: set[asyncio.Future] = set()
        self.batcher = ReceiveBatcher(BATCH_INTERVAL) if batch else None

    async def call(self, op: str, participant: str, sdp: str | None = None) -> dict:
        self.next_id += 1
        future = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        request = {"id": self.next_id, "op": op, "participant": participant, "sdp": sdp}
        self.writer.write((json.dumps(request) + "\n").encode())
        reply = await future
        if "error" in reply:
            raise RuntimeError(f"{op} for {participant}: {reply['error']}")
        return reply

    async def read_forever(self) -> None:
        while line := await self.reader.readline():
            message = json.loads(line)
            if "event" in message:
                event = message["event"]
                if event["type"] == "renegotiate":
                    participant = self.participants[event["participant"]]
                    task = asyncio.ensure_future(participant.renegotiate(event))
                    self.tasks.add(task)
                    task.add_done_callback(self.tasks.discard)
            else:
                self.pending.pop(message["id"]).set_result(message)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(control: Control, elapsed: float) -> dict:
    participants = control.participants.values()
    delays = {k: [d for p in participants for d in p.delays[k]] for k in ("audio", "video")}
    return {
        "quality": {p.id: p.quality(elapsed) for p in participants},
        "fps": [n / elapsed for p in participants for n in p.frames.values()],
        "video_streams": sum(len(p.frames) for p in participants),
        "audio_packets_per_s": sum(n for p in participants for n in p.audio_packets.values())
        / elapsed,
        "delays_ms": {k: [round(d * 1000, 3) for d in v] for k, v in delays.items()},
        # wall clock: join request, first complete frame, offer answered, first decodable frame
        "joins": [
            [p.join_started, p.first_remote_video, p.join_done, p.first_decodable_video]
            for p in participants
        ],
        "ids": [p.id for p in participants],
        "steps": [p.steps for p in participants],
    }


async def announce_flowing(participants: dict, expected: int) -> None:
    """Print FLOWING once every participant gets video and audio from ``expected`` others."""
    while not all(
        sum(1 for n in p.frames.values() if n > 0) >= expected
        and sum(1 for n in p.audio_packets.values() if n > 0) >= expected
        for p in participants.values()
    ):
        await asyncio.sleep(0.2)
    print("FLOWING", flush=True)


async def answer_commands(control, expected: int, other_command=None) -> None:
    """Prints FLOWING once media flows (``announce_flowing``), then answers the bench's
    commands on stdin until "quit" or its end: "mark" starts a measuring window, "report"
    prints one JSON line of what arrived in it; any other line goes to ``other_command``."""
    flowing = asyncio.ensure_future(announce_flowing(control.participants, expected))
    loop = asyncio.get_running_loop()
    marked = time.monotonic()
    while True:
        command = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if command == "mark":
            marked = time.monotonic()
            for p in control.participants.values():
                p.mark()
        elif command == "report":
            print(json.dumps(report(control, time.monotonic() - marked)), flush=True)
        elif command in ("quit", ""):
            break
        elif other_command is not None:
            await other_command(command)
    flowing.cancel()


async def run(args) -> None:
    use_host_addresses([args.host_address])
    video, audio = load(Path(args.media))
    layers = load_layers(Path(args.layers)) if args.layers else None
    if layers:
        accept_rid_extensions()  # answers to relay offers keep the RID, as Chromium's do
    if args.control_unix:
        reader, writer = await asyncio.open_unix_connection(args.control_unix)
    else:
        reader, writer = await asyncio.open_connection("127.0.0.1", args.port)
    # few participants per process on an emulated network: no need to batch, and batching
    # would hide what the network does to packet timing
    control = Control(reader, writer, batch=BATCH and not args.control_unix)
    reading = asyncio.ensure_future(control.read_forever())
    ids = args.ids.split(",")
    for pid in ids:
        control.participants[pid] = Participant(pid, video, audio, control, layers=layers)
    for pid in ids:
        await control.participants[pid].join()

    async def rejoin_on_network_change(command: str) -> None:
        if not command.startswith("network-changed "):
            return
        use_host_addresses([command.split()[1]])
        for pid, old in list(control.participants.items()):
            new = Participant(pid, video, audio, control, previous=old, layers=layers)
            control.participants[pid] = new
            await old.pc.close()
            await new.join()
        print("REJOINED", flush=True)

    await answer_commands(control, args.total - 1, rejoin_on_network_change)
    for p in control.participants.values():
        await p.pc.close()
    reading.cancel()


def participants_parser() -> argparse.ArgumentParser:
    """The options every client process takes: its participants' ids, how many take part
    in all (counting other processes), the recording they publish."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--ids", required=True)
    parser.add_argument("--total", type=int, required=True)
    parser.add_argument("--media", required=True)
    return parser


def main() -> None:
    parser = participants_parser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--control-unix", help="the relay's control socket (instead of --port)")
    parser.add_argument("--host-address", default="127.0.0.1", help="ICE host candidates")
    parser.add_argument("--layers", help="publish simulcast: the layered recording's path")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
