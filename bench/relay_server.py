"""The relay process of the benchmark: a forwarding Relay or aiortc's naive MediaRelay.

Speaks JSON lines over TCP on 127.0.0.1 with the client processes:
request  {"id": n, "op": "join"|"offer"|"answer"|"tiles"|"stats", "participant": p, "sdp": s}
response {"id": n, "sdp": s} or {"id": n, "error": code}; pushed {"event": {...}}.
Prints "READY <port>" once listening. With --control-unix the control channel is that
Unix socket instead (it reaches across network namespaces, while media goes over the
namespaces' emulated network on --host-address: bench/network.py, tests/media/test_network.py).
A second "join" of a participant is a new peer connection, as in the media worker.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRelay
from aiortc.rtcconfiguration import RTCBundlePolicy

from media import MediaError, Relay, RelayConfig, RelayEvent
from media.aiortc_private import batch_receive, packet_io
from media.aiortc_private.codecs import count_codec_calls
from media.aiortc_private.ice import use_host_addresses
from media.runtime import DEFAULT_LOOP, LOOPS, run

EventSink = dict[str, asyncio.StreamWriter]


class NaiveRelay:
    """aiortc's usual design: decode each publisher once, encode once per subscriber."""

    def __init__(self, on_event) -> None:
        self.on_event = on_event
        self.pcs: dict[str, RTCPeerConnection] = {}
        self.tracks: dict[str, list] = {}
        self.relay = MediaRelay()
        self.sent: dict[str, set[tuple[str, str]]] = {}
        self.locks: dict[str, asyncio.Lock] = {}
        self.dirty: set[str] = set()
        self.tasks: set[asyncio.Future] = set()

    async def join(self, participant: str, room: str) -> None:
        self.pcs[participant] = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self.tracks[participant] = []
        self.sent[participant] = set()
        self.locks[participant] = asyncio.Lock()

        @self.pcs[participant].on("track")
        def on_track(track) -> None:
            self.tracks[participant].append(track)

    async def offer(self, participant: str, sdp: str) -> str:
        pc = self.pcs[participant]
        async with self.locks[participant]:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        asyncio.get_running_loop().call_soon(self._fan_out)
        return pc.localDescription.sdp

    async def answer(self, participant: str, sdp: str) -> None:
        pc = self.pcs[participant]
        async with self.locks[participant]:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        if participant in self.dirty:
            self._spawn(self._negotiate(participant))

    def _fan_out(self) -> None:
        for subscriber, pc in self.pcs.items():
            changed = False
            for publisher, tracks in self.tracks.items():
                for track in tracks if publisher != subscriber else []:
                    if (publisher, track.kind) not in self.sent[subscriber]:
                        self.sent[subscriber].add((publisher, track.kind))
                        pc.addTransceiver(self.relay.subscribe(track), direction="sendonly")
                        changed = True
            if changed:
                self._spawn(self._negotiate(subscriber))

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _negotiate(self, participant: str) -> None:
        pc = self.pcs[participant]
        async with self.locks[participant]:
            if pc.signalingState != "stable":
                self.dirty.add(participant)
                return
            self.dirty.discard(participant)
            await pc.setLocalDescription(await pc.createOffer())
        self.on_event(
            {"type": "renegotiate", "participant": participant, "sdp": pc.localDescription.sdp}
        )

    async def close(self) -> None:
        for pc in self.pcs.values():
            await pc.close()


async def serve(
    mode: str, loop_name: str, host_address: str = "127.0.0.1", control_unix: str | None = None
) -> None:
    counts = count_codec_calls()
    use_host_addresses([host_address])
    writers: EventSink = {}

    def push(event: dict) -> None:
        writer = writers.get(event["participant"])
        # uvloop raises on writing to a closed transport (asyncio only logs)
        if writer is not None and not writer.is_closing():
            writer.write((json.dumps({"event": event}) + "\n").encode())

    def on_relay_event(event: RelayEvent) -> None:
        push(event.to_dict())

    batch_ms = float(os.environ.get("RELAY_BENCH_BATCH_MS", "0"))
    if batch_ms:
        # experiment: wake the relay at most once per batch_ms for media sockets
        from receive_batching import ReceiveBatcher

        import media.relay
        from media.aiortc_private.transport import install_fast_receive

        batcher = ReceiveBatcher(batch_ms / 1000)
        media.relay.install_fast_receive = lambda dtls: install_fast_receive(dtls, batcher.add)

    relay: Relay | NaiveRelay
    if mode == "forward":
        # everyone subscribes to everyone, as the benchmark asks: no last-N cap
        relay = Relay(RelayConfig(host_addresses=[host_address], last_n=64), on_relay_event)
    else:
        relay = NaiveRelay(push)

    async def handle(request: dict, writer: asyncio.StreamWriter) -> dict:
        op, participant = request["op"], request.get("participant", "")
        if op == "join":
            writers[participant] = writer
            if isinstance(relay, Relay):
                with contextlib.suppress(MediaError):
                    await relay.leave(participant)
            await relay.join(participant, "bench")
            return {}
        if op == "offer":
            return {"sdp": await relay.offer(participant, request["sdp"])}
        if op == "answer":
            await relay.answer(participant, request["sdp"])
            return {}
        if op == "tiles" and isinstance(relay, Relay):
            # request["sdp"] carries {publisher: [width, height]} as JSON
            relay.set_tiles(
                participant, {k: tuple(v) for k, v in json.loads(request["sdp"]).items()}
            )
            return {}
        if op == "stats":
            stats = {
                "encoder_calls": counts["encoder"],
                "decoder_calls": counts["decoder"],
                "packet_io": "compiled" if packet_io.use_compiled() else "python",
                "batched_reads": list(batch_receive.read_counts()),
            }
            if isinstance(relay, Relay):
                s = relay.stats()
                stats.update(
                    packets_in=s.packets_in, packets_out=s.packets_out, participants=s.participants
                )
                stats.update(relay.simulcast_stats())
                ids = [p.id for p in relay.connections()]
                stats["subscribers"] = {
                    pid: {
                        **relay.bandwidth_of(pid),
                        "layers": {pub: relay.layer_of(pid, pub) for pub in ids if pub != pid},
                    }
                    for pid in ids
                }
            return stats
        raise ValueError(op)

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            await serve_connection(reader, writer)

    async def serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            request = json.loads(line)
            try:
                response = await handle(request, writer)
            except MediaError as exc:
                response = {"error": exc.code}
            writer.write((json.dumps({"id": request["id"], **response}) + "\n").encode())

    if control_unix:
        await asyncio.start_unix_server(on_connection, control_unix)
        port = 0
    else:
        server = await asyncio.start_server(on_connection, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
    print(f"READY {port} {loop_name}", flush=True)
    # the orchestrator closes our stdin to stop us
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await relay.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["forward", "naive"], required=True)
    parser.add_argument(
        "--loop",
        choices=["worker", *LOOPS],
        default="worker",
        help="the event loop; worker = what manage.py media_worker uses by default",
    )
    parser.add_argument("--host-address", default="127.0.0.1", help="ICE host candidates")
    parser.add_argument("--control-unix", help="control over this Unix socket path")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    loop = DEFAULT_LOOP if args.loop == "worker" else args.loop
    serving = serve(args.mode, loop, args.host_address, args.control_unix)
    profile = os.environ.get("RELAY_BENCH_PROFILE")
    if not profile:
        run(serving, loop)
        return
    import cProfile

    profiler = cProfile.Profile(time.process_time)
    profiler.runcall(run, serving, loop)
    profiler.dump_stats(profile)


if __name__ == "__main__":
    main()
