"""Relay benchmark: forwarding relay vs aiortc's naive MediaRelay, CPU of the relay process.

    python bench/relay.py --participants N --seconds S --json
    python bench/relay.py --scaling --json
    python bench/relay.py --participants 6 --simulcast --json

Everything runs on 127.0.0.1. The relay runs in its own process (relay_server.py) so
its CPU is measured alone; clients (synthetic_clients.py) replay pre-encoded media.
See bench/README.md for figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from join_latency import join_to_first_video_ms, steps_ms, summary

HERE = Path(__file__).resolve().parent
PER_CLIENT_PROCESS = 4
FPS_FLOOR = 27.0


class Child:
    """A subprocess whose stdout lines can be awaited with a timeout; ``wrapper`` runs it
    inside something, e.g. ``ip netns exec NAME``."""

    def __init__(
        self, *args: str, wrapper: tuple[str, ...] = (), env: dict[str, str] | None = None
    ) -> None:
        self.proc = subprocess.Popen(
            [*wrapper, sys.executable, *args],
            env={**os.environ, **(env or {})},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=HERE,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put("")

    def expect(self, prefix: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty as exc:
                raise TimeoutError(f"no {prefix!r} within {timeout} s") from exc
            if line.startswith(prefix):
                return line
            if line == "" and self.proc.poll() is not None:
                raise RuntimeError(f"child exited with {self.proc.returncode}")

    def send(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


def all_flowing(clients: list[Child], timeout: float) -> bool:
    """Whether every client process said FLOWING (its media in both directions) in time."""
    flowing = True
    for client in clients:
        try:
            client.expect("FLOWING", timeout)
        except TimeoutError:
            flowing = False
    return flowing


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of a process, all threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def pin(pid: int, cpus: set[int]) -> None:
    """Every thread of a process onto ``cpus`` (threads started later inherit it)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        os.sched_setaffinity(int(task.name), cpus)


def server_stats(port: int) -> dict:
    return server_call(port, {"id": 1, "op": "stats"})


def server_call(port: int, request: dict) -> dict:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall((json.dumps(request) + "\n").encode())
        return json.loads(sock.makefile().readline())


SMALL, LARGE = [160, 120], [640, 480]
FLIP_SECONDS = 5.0


def flip_tiles(port: int, ids: list[str], stop: threading.Event) -> None:
    """Every subscriber shows half the publishers small and half large, and every
    FLIP_SECONDS each tile swaps size (a speaker view moving around)."""
    turn = 0
    while not stop.is_set():
        for i, subscriber in enumerate(ids):
            tiles = {
                p: SMALL if (i + j + turn) % 2 else LARGE
                for j, p in enumerate(ids)
                if p != subscriber
            }
            request = {"id": 1, "op": "tiles", "participant": subscriber}
            server_call(port, {**request, "sdp": json.dumps(tiles)})
        turn += 1
        stop.wait(FLIP_SECONDS)


def p95(values: list[float]) -> float | None:
    values = [v for v in values if math.isfinite(v)]  # keeps the printed JSON valid
    return round(float(np.percentile(values, 95)), 2) if values else None


def run_once(
    mode: str,
    participants: int,
    seconds: float,
    warmup: float,
    media: Path,
    loop: str = "worker",
    packet_io: str = "default",
    layers: Path | None = None,
    server_cpus: set[int] | None = None,
    relay_env: dict[str, str] | None = None,
) -> dict:
    env = {} if packet_io == "default" else {"MEDIA_PACKET_IO": packet_io}
    env.update(relay_env or {})
    server = Child("relay_server.py", "--mode", mode, "--loop", loop, env=env)
    clients: list[Child] = []
    try:
        ready = server.expect("READY", 30).split()
        if server_cpus:
            pin(server.proc.pid, server_cpus)
        port, loop_used = int(ready[1]), ready[2]
        ids = [f"p{i}" for i in range(participants)]
        for start in range(0, participants, PER_CLIENT_PROCESS):
            group = ",".join(ids[start : start + PER_CLIENT_PROCESS])
            clients.append(
                Child(
                    "synthetic_clients.py",
                    *("--port", str(port), "--ids", group),
                    *("--total", str(participants), "--media", str(media)),
                    *(("--layers", str(layers)) if layers else ()),
                )
            )
        flowing = all_flowing(clients, 20 + 3 * participants)
        stop_flipping = threading.Event()
        if layers:
            threading.Thread(
                target=flip_tiles, args=(port, ids, stop_flipping), daemon=True
            ).start()
        time.sleep(warmup)
        stats_start = server_stats(port)
        cpu_start, start = cpu_seconds(server.proc.pid), time.monotonic()
        for client in clients:
            client.send("mark")
        time.sleep(seconds)
        cpu_end, end = cpu_seconds(server.proc.pid), time.monotonic()
        stop_flipping.set()
        for client in clients:
            client.send("report")
        reports = [json.loads(client.expect("{", 30)) for client in clients]
        stats = server_stats(port)
    finally:
        for client in clients:
            client.stop()
        server.stop()
    return {
        "mode": mode,
        "loop": loop_used,
        "packet_io": stats.get("packet_io"),
        "participants": participants,
        "cores": round((sum(cpu_end) - sum(cpu_start)) / (end - start), 4),
        "system_cores": round((cpu_end[1] - cpu_start[1]) / (end - start), 4),
        "flowing": flowing,
        **what_clients_got(reports, participants),
        # everyone who joined after someone else had: to the first decodable frame
        "join_to_first_video": summary(join_to_first_video_ms(reports)),
        "join_steps_ms_median": steps_ms(reports),
        "packets_in_per_s": round(
            (stats.get("packets_in", 0) - stats_start.get("packets_in", 0)) / (end - start)
        ),
        "datagrams_per_read": datagrams_per_read(stats_start, stats),
        "packets_out_per_s": round(
            (stats.get("packets_out", 0) - stats_start.get("packets_out", 0)) / (end - start)
        ),
        "encoder_calls": stats.get("encoder_calls"),
        "decoder_calls": stats.get("decoder_calls"),
        "layer_switches": stats.get("layer_switches", 0) - stats_start.get("layer_switches", 0),
        "layer_keyframe_requests": stats.get("layer_keyframe_requests", 0)
        - stats_start.get("layer_keyframe_requests", 0),
        "seconds": end - start,
    }


def what_clients_got(reports: list[dict], participants: int) -> dict:
    """Frame rates, delivered media and delays, summed over the client processes' reports."""
    fps = [f for r in reports for f in r["fps"]]
    streams = sum(r["video_streams"] for r in reports)
    expected_streams = participants * (participants - 1)
    # a stream that never showed up in the window counts as 0 fps
    fps_min = min(fps) if fps and streams >= expected_streams else 0.0
    delays = {k: [d for r in reports for d in r["delays_ms"][k]] for k in ("audio", "video")}
    # the last to join finds everyone else publishing: what a person joining a meeting sees
    last_join = max((j for r in reports for j in r["joins"]), key=lambda j: j[0] or 0)
    return {
        "recv_fps_min": round(fps_min, 2),
        "video_streams": streams,
        "delivered_video_frames_per_s": round(sum(fps), 1),
        "delivered_audio_packets_per_s": round(sum(r["audio_packets_per_s"] for r in reports), 1),
        "e2e_ms_p95": {k: p95(v) for k, v in delays.items()},
        "join_to_first_video_ms": (
            round((last_join[1] - last_join[0]) * 1000) if last_join[1] is not None else None
        ),
    }


def media_file() -> Path:
    path = Path("/tmp/peer-meetings-bench-media-mono.pickle")
    sys.path.insert(0, str(HERE))
    from encoded_media import load

    load(path)
    return path


def layers_file() -> Path:
    """The same video in three simulcast layers (encoded_media.SIMULCAST_SCALES)."""
    path = Path("/tmp/peer-meetings-bench-layers.pickle")
    sys.path.insert(0, str(HERE))
    from encoded_media import load_layers

    load_layers(path)
    return path


def compare(
    participants: int,
    seconds: float,
    warmup: float,
    naive_too: bool = True,
    loop: str = "worker",
    packet_io: str = "default",
) -> dict:
    media = media_file()
    forward = run_once("forward", participants, seconds, warmup, media, loop, packet_io)
    naive = run_once("naive", participants, seconds, warmup, media, loop) if naive_too else forward
    ratio = naive["cores"] / forward["cores"] if forward["cores"] else None
    return {
        "participants": participants,
        "seconds": seconds,
        "loop": forward["loop"],
        "packet_io": forward["packet_io"],
        "forward_cores": forward["cores"],
        "naive_cores": naive["cores"],
        "forward_system_cores": forward["system_cores"],
        "forward_packets_in_per_s": forward["packets_in_per_s"],
        "forward_packets_out_per_s": forward["packets_out_per_s"],
        "datagrams_per_read": forward["datagrams_per_read"],
        "ratio": round(ratio, 2) if ratio else None,
        "server_encoder_calls": forward["encoder_calls"],
        "server_decoder_calls": forward["decoder_calls"],
        "recv_fps_min": forward["recv_fps_min"],
        "e2e_ms_p95": forward["e2e_ms_p95"],
        "join_to_first_video_ms": forward["join_to_first_video_ms"],
        "join_to_first_video": forward["join_to_first_video"],
        "join_steps_ms_median": forward["join_steps_ms_median"],
        "naive_recv_fps_min": naive["recv_fps_min"],
        "naive_encoder_calls": naive["encoder_calls"],
        "naive_decoder_calls": naive["decoder_calls"],
        "naive_e2e_ms_p95": naive["e2e_ms_p95"],
    }


def datagrams_per_read(start: dict, end: dict) -> float | None:
    """Datagrams each batched read (media/aiortc_private/batch_receive.py) returned in the
    window; None when the relay read one at a time (python path, uvloop)."""
    (reads_0, datagrams_0), (reads_1, datagrams_1) = (
        s.get("batched_reads", (0, 0)) for s in (start, end)
    )
    return (
        round((datagrams_1 - datagrams_0) / (reads_1 - reads_0), 2) if reads_1 > reads_0 else None
    )


def simulcast(
    participants: int,
    seconds: float,
    warmup: float,
    loop: str = "worker",
    packet_io: str = "default",
) -> dict:
    """The same publishers and subscribers, single-layer and then three-layer simulcast."""
    media = media_file()
    layers = layers_file()
    single = run_once("forward", participants, seconds, warmup, media, loop, packet_io)
    layered = run_once(
        "forward", participants, seconds, warmup, media, loop, packet_io, layers=layers
    )
    minutes = layered["seconds"] / 60
    return {
        "participants": participants,
        "seconds": seconds,
        "loop": layered["loop"],
        "packet_io": layered["packet_io"],
        "single_layer_cores": single["cores"],
        "simulcast_cores": layered["cores"],
        "simulcast_vs_single": round(layered["cores"] / single["cores"], 3)
        if single["cores"]
        else None,
        "target_simulcast_vs_single": 1.3,
        "single_layer_packets_in_out_per_s": [
            single["packets_in_per_s"],
            single["packets_out_per_s"],
        ],
        "simulcast_packets_in_out_per_s": [
            layered["packets_in_per_s"],
            layered["packets_out_per_s"],
        ],
        "layer_switches": layered["layer_switches"],
        "layer_switches_per_minute": round(layered["layer_switches"] / minutes, 1),
        "keyframe_requests_per_minute": round(layered["layer_keyframe_requests"] / minutes, 1),
        "single_layer_recv_fps_min": single["recv_fps_min"],
        "simulcast_recv_fps_min": layered["recv_fps_min"],
        "single_layer_e2e_ms_p95": single["e2e_ms_p95"],
        "simulcast_e2e_ms_p95": layered["e2e_ms_p95"],
        "datagrams_per_read": [single["datagrams_per_read"], layered["datagrams_per_read"]],
        "server_encoder_calls": (single["encoder_calls"] or 0) + (layered["encoder_calls"] or 0),
        "server_decoder_calls": (single["decoder_calls"] or 0) + (layered["decoder_calls"] or 0),
    }


def scaling(
    seconds: float,
    warmup: float,
    max_participants: int,
    loop: str = "worker",
    packet_io: str = "default",
) -> dict:
    media = media_file()
    points = []
    for n in range(2, max_participants + 1):
        try:
            result = run_once("forward", n, seconds, warmup, media, loop, packet_io)
        except (TimeoutError, RuntimeError) as exc:
            result = {"participants": n, "cores": None, "recv_fps_min": 0.0, "error": str(exc)}
            result["e2e_ms_p95"] = None
        points.append(result)
        print(json.dumps(result), file=sys.stderr, flush=True)
        if result["recv_fps_min"] < FPS_FLOOR:
            break
    held = [p for p in points if p["recv_fps_min"] >= FPS_FLOOR]
    fit: dict = {}
    if len(held) >= 2:
        n = np.array([p["participants"] for p in held], dtype=float)
        design = np.column_stack([n, n * (n - 1)])
        (a, b), *_ = np.linalg.lstsq(design, np.array([p["cores"] for p in held]), rcond=None)
        fit = {
            "ingress_cores_per_publisher": round(float(a), 4),
            "cores_per_subscriber_stream": round(float(b), 5),
            "projected_12p_cores": round(float(a * 12 + b * 12 * 11), 3),
        }
    return {
        "loop": next((p["loop"] for p in points if "loop" in p), None),
        "packet_io": next((p["packet_io"] for p in points if "packet_io" in p), None),
        "max_measured_participants": max((p["participants"] for p in held), default=0),
        **fit,
        "points": [
            {
                k: p.get(k)
                for k in (
                    "participants",
                    "cores",
                    "recv_fps_min",
                    "e2e_ms_p95",
                    "join_to_first_video_ms",
                    "join_to_first_video",
                )
            }
            for p in points
        ],
        "server_encoder_calls": sum(p.get("encoder_calls") or 0 for p in points),
        "server_decoder_calls": sum(p.get("decoder_calls") or 0 for p in points),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--scaling", action="store_true")
    parser.add_argument("--max-participants", type=int, default=12)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--forward-only", action="store_true", help="skip the naive run")
    parser.add_argument(
        "--simulcast",
        action="store_true",
        help="single-layer vs three-layer simulcast publishers, same subscribers",
    )
    parser.add_argument(
        "--loop",
        choices=["worker", "asyncio", "uvloop"],
        default="worker",
        help="the relay process's event loop; worker = as manage.py media_worker runs it",
    )
    parser.add_argument(
        "--packet-io",
        choices=["default", "compiled", "python"],
        default="default",
        help="the relay's per-datagram path (media/aiortc_private/packet_io.py); "
        "default = compiled when built",
    )
    args = parser.parse_args()
    if args.simulcast:
        result = simulcast(args.participants, args.seconds, args.warmup, args.loop, args.packet_io)
    elif args.scaling:
        result = scaling(
            min(args.seconds, 8.0), args.warmup, args.max_participants, args.loop, args.packet_io
        )
    else:
        result = compare(
            args.participants,
            args.seconds,
            args.warmup,
            not args.forward_only,
            args.loop,
            args.packet_io,
        )
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
