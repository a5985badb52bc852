"""Our relay next to Janus VideoRoom (C), same synthetic clients, same machine, same minutes.

    python bench/janus_side_by_side.py --write-janus-config /tmp/janus-bench
    # then the two commands it prints: build a getifaddrs shim, start Janus 1.1.x
    python bench/janus_side_by_side.py --participants 2-8 --rounds 2 --json

For each round and each N the relay (started as bench/relay.py starts it) and then Janus
carry N participants, each publishing 640x480 VP8 at 30 fps plus Opus and receiving
everyone else. The figure compared is user + system CPU seconds of the server process
(all threads, /proc/PID/stat) over the same measuring window, next to the frame and
audio packet rates the clients received, so both did the same work. Janus must already
run (installed from Debian's package `janus`, never built into this repository); its
process is found by the port it listens on, or given with --janus-pid. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

from relay import (
    FPS_FLOOR,
    PER_CLIENT_PROCESS,
    Child,
    all_flowing,
    cpu_seconds,
    media_file,
    pin,
    run_once,
    what_clients_got,
)

JANUS_URL = "ws://127.0.0.1:22088"
TARGET_RATIO = 0.8

JANUS_CONFIG = {
    "janus.jcfg": """general: {{
    configs_folder = "{folder}"
    plugins_folder = "/usr/lib/x86_64-linux-gnu/janus/plugins"
    transports_folder = "/usr/lib/x86_64-linux-gnu/janus/transports"
    events_folder = "/usr/lib/x86_64-linux-gnu/janus/events"
    loggers_folder = "/usr/lib/x86_64-linux-gnu/janus/loggers"
    interface = "127.0.0.1"
    debug_level = 3
    session_timeout = 0
}}
media: {{
    rtp_port_range = "22100-22999"
}}
nat: {{
    ice_enforce_list = "127.0.0.1"
}}
plugins: {{
    disable = "{plugins}"
}}
transports: {{
    disable = "libjanus_http.so,libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so"
}}
loggers: {{
    disable = "libjanus_jsonlog.so"
}}
events: {{
    broadcast = false
}}
""",
    "janus.transport.websockets.jcfg": """general: {{
    json = "compact"
    ws = true
    ws_port = 22088
    ws_ip = "127.0.0.1"
    wss = false
}}
admin: {{
    admin_ws = false
    admin_wss = false
}}
""",
    "janus.plugin.videoroom.jcfg": "general: {{\n}}\n",
}
# Janus's ice.c never gathers on an interface flagged IFF_LOOPBACK, and libnice then picks
# the machine's own addresses; the bench must stay on 127.0.0.1, so Janus runs with this
# preloaded (it changes what getifaddrs reports, not Janus)
LOOPBACK_SHIM = """#define _GNU_SOURCE
#include <dlfcn.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/socket.h>

int getifaddrs(struct ifaddrs **list) {
    int (*real)(struct ifaddrs **) = (int (*)(struct ifaddrs **))dlsym(RTLD_NEXT, "getifaddrs");
    int result = real(list);
    if (result == 0)
        for (struct ifaddrs *a = *list; a; a = a->ifa_next)
            if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET)
                a->ifa_flags &= ~IFF_LOOPBACK;
    return result;
}
"""
OTHER_PLUGINS = (
    "audiobridge duktape echotest lua nosip recordplay sip streaming textroom videocall voicemail"
)


def write_janus_config(folder: Path) -> None:
    """Janus 1.1 configuration: VideoRoom only, WebSocket API and media on 127.0.0.1."""
    folder.mkdir(parents=True, exist_ok=True)
    plugins = ",".join(f"libjanus_{name}.so" for name in OTHER_PLUGINS.split())
    for name, text in JANUS_CONFIG.items():
        (folder / name).write_text(text.format(folder=folder, plugins=plugins))
    (folder / "loopback_ifaddrs.c").write_text(LOOPBACK_SHIM)


def janus_command(folder: Path) -> str:
    shim = folder / "loopback_ifaddrs"
    return (
        f"gcc -shared -fPIC -O2 -o {shim}.so {shim}.c -ldl\n"
        f"LD_PRELOAD={shim}.so janus --configs-folder={folder} &"
    )


def listening_pid(port: int) -> int | None:
    """The process listening on TCP 127.0.0.1:port (or any address), from /proc."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                inodes.add(fields[9])
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return int(proc.name)
        except OSError:
            continue
    return None


async def janus_call(url: str, body: dict | None) -> dict:
    """One VideoRoom request on a fresh session (create/destroy a room), or server info."""
    from janus_clients import JanusSession

    janus = await (JanusSession.connect(url) if body is None else JanusSession.open(url))
    try:
        if body is None:
            return await janus.request({"janus": "info"})
        return (await janus.message(await janus.attach(), body))["data"]
    finally:
        await janus.close()


def janus_info(url: str) -> dict | None:
    try:
        return asyncio.run(asyncio.wait_for(janus_call(url, None), 5))
    except (OSError, TimeoutError):
        return None


def run_janus_once(url: str, pid: int, participants: int, seconds: float, warmup: float) -> dict:
    media = media_file()
    room = random.randrange(10**6, 10**9)
    asyncio.run(
        janus_call(
            url,
            {
                "request": "create",
                "room": room,
                "publishers": participants,
                "audiocodec": "opus",
                "videocodec": "vp8",
                "notify_joining": False,
            },
        )
    )
    clients: list[Child] = []
    try:
        ids = [f"p{i}" for i in range(participants)]
        for start in range(0, participants, PER_CLIENT_PROCESS):
            clients.append(
                Child(
                    "janus_clients.py",
                    *("--janus", url, "--room", str(room)),
                    *("--ids", ",".join(ids[start : start + PER_CLIENT_PROCESS])),
                    *("--total", str(participants), "--media", str(media)),
                )
            )
        flowing = all_flowing(clients, 20 + 3 * participants)
        time.sleep(warmup)
        cpu_start, start = cpu_seconds(pid), time.monotonic()
        for client in clients:
            client.send("mark")
        time.sleep(seconds)
        cpu_end, end = cpu_seconds(pid), time.monotonic()
        for client in clients:
            client.send("report")
        reports = [json.loads(client.expect("{", 30)) for client in clients]
    finally:
        for client in clients:
            client.stop()
        asyncio.run(janus_call(url, {"request": "destroy", "room": room}))
    return {
        "mode": "janus",
        "participants": participants,
        "cores": round((sum(cpu_end) - sum(cpu_start)) / (end - start), 4),
        "system_cores": round((cpu_end[1] - cpu_start[1]) / (end - start), 4),
        "flowing": flowing,
        **what_clients_got(reports, participants),
        "seconds": end - start,
    }


KEPT = (
    "packet_io",
    "loop",
    "cores",
    "system_cores",
    "recv_fps_min",
    "delivered_video_frames_per_s",
    "delivered_audio_packets_per_s",
    "e2e_ms_p95",
    "load_average",
)


def measure(kind: str, run, participants: int) -> dict:
    try:
        result = run()
    except (TimeoutError, RuntimeError) as exc:
        result = {"cores": None, "recv_fps_min": 0.0, "error": str(exc)}
    point = {k: result.get(k) for k in KEPT if k in result}
    point["load_average"] = [round(x, 2) for x in os.getloadavg()]
    if "error" in result:
        point["error"] = result["error"]
    print(json.dumps({"kind": kind, "participants": participants, **point}), file=sys.stderr)
    return point


def median_of(points: list[dict], key: str) -> float | None:
    values = [p[key] for p in points if p.get(key) is not None]
    return round(statistics.median(values), 4) if values else None


E2E_CEILING_MS = 100.0


def held(run: dict) -> bool:
    video_ms = (run.get("e2e_ms_p95") or {}).get("video")
    late = video_ms is not None and video_ms > E2E_CEILING_MS
    return run["recv_fps_min"] >= FPS_FLOOR and not late


def compare_point(n: int, relay: list[dict], janus: list[dict]) -> dict:
    """Medians over the runs that held: every subscriber got every stream at >= FPS_FLOOR
    and video arrived within E2E_CEILING_MS (p95). A run the shared machine starved
    delivered less, or late in bursts, and would look cheaper."""
    relay_held = [p for p in relay if held(p)]
    janus_held = [p for p in janus if held(p)]
    relay_cores, janus_cores = median_of(relay_held, "cores"), median_of(janus_held, "cores")
    ratio = round(relay_cores / janus_cores, 3) if relay_cores and janus_cores else None
    return {
        "participants": n,
        "relay_cores_median": relay_cores,
        "janus_cores_median": janus_cores,
        "relay_vs_janus": ratio,
        # how much of the relay's CPU must go for relay_vs_janus to reach the target
        "relay_cut_needed_percent": (
            round(max(0.0, 100 * (1 - TARGET_RATIO / ratio)), 1) if ratio else None
        ),
        "runs_held": [len(relay_held), len(janus_held)],
        "relay_frames_per_s_median": median_of(relay_held, "delivered_video_frames_per_s"),
        "janus_frames_per_s_median": median_of(janus_held, "delivered_video_frames_per_s"),
        "relay_audio_packets_per_s_median": median_of(relay_held, "delivered_audio_packets_per_s"),
        "janus_audio_packets_per_s_median": median_of(janus_held, "delivered_audio_packets_per_s"),
        "relay_runs": relay,
        "janus_runs": janus,
    }


Variant = tuple[tuple[str, str], ...]  # a relay's environment beyond the default: () ships


def variant_from_text(text: str) -> Variant:
    """ "default", or NAME=VALUE[+NAME=VALUE...]: the relay process's extra environment."""
    if text == "default":
        return ()
    pairs = [item.split("=", 1) for item in text.split("+")]
    if any(len(pair) != 2 or not pair[0] for pair in pairs):
        raise argparse.ArgumentTypeError(f"not NAME=VALUE[+NAME=VALUE]: {text!r}")
    return tuple((name, value) for name, value in pairs)


def variant_label(variant: Variant) -> str:
    return "relay" + "".join(f", {name}={value}" for name, value in variant)


def side_by_side(
    url: str,
    pid: int,
    counts: list[int],
    rounds: int,
    seconds: float,
    warmup: float,
    server_cpus: set[int] | None = None,
    variants: list[Variant] | None = None,
) -> dict:
    """``variants``: the relay runs once per environment in every round (``()``: as the
    media worker ships, media/runtime.py), each compared with the same rounds' Janus."""
    media = media_file()
    relays = variants or [()]
    kinds: list[tuple[str, Variant]] = [("relay", v) for v in relays] + [("janus", ())]
    runs: dict[int, dict[tuple[str, Variant], list[dict]]] = {
        n: {kind: [] for kind in kinds} for n in counts
    }
    for round_number in range(rounds):
        for n in counts:
            # alternate which goes first, so neither always gets the quieter minute
            for kind, variant in kinds if round_number % 2 == 0 else kinds[::-1]:
                run = (
                    functools.partial(
                        run_once,
                        "forward",
                        n,
                        seconds,
                        warmup,
                        media,
                        server_cpus=server_cpus,
                        relay_env=dict(variant),
                    )
                    if kind == "relay"
                    else functools.partial(run_janus_once, url, pid, n, seconds, warmup)
                )
                label = variant_label(variant) if kind == "relay" else kind
                runs[n][kind, variant].append(measure(label, run, n))
    points = [
        {
            "relay_env": dict(variant) or None,
            **compare_point(n, runs[n]["relay", variant], runs[n]["janus", ()]),
        }
        for n in counts
        for variant in relays
    ]
    shipped = [p for p in points if p["relay_env"] is None] or points
    return {
        "janus_version": JANUS_VERSION,
        "seconds": seconds,
        "rounds": rounds,
        "server_cpus": sorted(server_cpus) if server_cpus else None,
        "target_relay_vs_janus": TARGET_RATIO,
        "target_met_at_every_n": all(
            p["relay_vs_janus"] is not None and p["relay_vs_janus"] <= TARGET_RATIO for p in shipped
        ),
        "points": points,
    }


JANUS_VERSION: str | None = None


def participant_counts(text: str) -> list[int]:
    if "-" in text:
        low, high = text.split("-")
        return list(range(int(low), int(high) + 1))
    return [int(n) for n in text.split(",")]


def main() -> None:
    global JANUS_VERSION
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", default="2-8", help="e.g. 2-8 or 2,4,6")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each N per server")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--janus", default=JANUS_URL, help="Janus WebSocket API")
    parser.add_argument("--janus-pid", type=int, help="default: the process on the API port")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument(
        "--pin",
        action="store_true",
        help="the server measured (relay or Janus) on the last CPU, the clients on the others",
    )
    parser.add_argument(
        "--wake-interval-ms",
        type=lambda text: [
            variant_from_text("default" if v == "default" else f"MEDIA_WAKE_INTERVAL_MS={v}")
            for v in text.split(",")
        ],
        help="relay variants each round, e.g. 0,default (0: wake-ups not paced; "
        "default: as the media worker ships)",
    )
    parser.add_argument(
        "--relay-env",
        type=lambda text: [variant_from_text(v) for v in text.split(",")],
        help="relay variants each round by environment, e.g. default,MEDIA_COMPILED_WAIT=0 "
        "(NAME=VALUE+NAME=VALUE for several in one variant)",
    )
    parser.add_argument(
        "--write-janus-config", type=Path, metavar="DIR", help="write Janus's config and exit"
    )
    args = parser.parse_args()
    if args.write_janus_config:
        write_janus_config(args.write_janus_config.resolve())
        print(janus_command(args.write_janus_config.resolve()))
        return
    info = janus_info(args.janus)
    if info is None:
        message = f"No Janus answers at {args.janus}."
        print(json.dumps({"error": message}))
        sys.exit(
            f"{message} Install it (apt-get install -y janus), then\n"
            f"  python bench/janus_side_by_side.py --write-janus-config /tmp/janus-bench\n"
            f"and run the two commands it prints, then this again\n"
            f"(bench/README.md, 'Side by side with Janus VideoRoom')."
        )
    if "janus.plugin.videoroom" not in info.get("plugins", {}):
        sys.exit(f"Janus at {args.janus} has no VideoRoom plugin loaded.")
    JANUS_VERSION = info.get("version_string")
    port = int(args.janus.rsplit(":", 1)[1].split("/")[0])
    pid = args.janus_pid or listening_pid(port)
    if pid is None:
        sys.exit(f"Janus answers at {args.janus} but its process is not visible; pass --janus-pid.")
    server_cpus = None
    if args.pin:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            sys.exit("--pin needs two CPUs")
        server_cpus = {cpus[-1]}
        os.sched_setaffinity(0, set(cpus[:-1]))  # this process and the clients it starts
        pin(pid, server_cpus)
    try:
        result = side_by_side(
            args.janus,
            pid,
            participant_counts(args.participants),
            args.rounds,
            args.seconds,
            args.warmup,
            server_cpus,
            (args.wake_interval_ms or []) + (args.relay_env or []),
        )
    finally:
        if server_cpus:
            pin(pid, set(cpus))  # Janus outlives the bench: give it every CPU back
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
