"""Meetings on an emulated network (tests/media/netns.py): the relay and each participant
in a namespace of their own, media over the namespaces' links, control over a Unix socket.

The relay is bench/relay_server.py (a forwarding ``Relay`` on its namespace's address);
each participant is a bench/synthetic_clients.py process that replays pre-encoded VP8
and Opus and judges what it receives from RTP alone (bench/stream_quality.py). Each
scenario returns plain figures; tests/media/test_network.py asserts on them and
bench/network.py prints them.
"""

from __future__ import annotations

import contextlib
import json
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.relay import Child, layers_file, media_file
from tests.media.netns import Host, Network

BENCH = Path(__file__).resolve().parent.parent.parent / "bench"
PEERS = ("heron", "lark", "wren")


class NetworkMeeting:
    """A relay and ``peers`` on one emulated network, media flowing between all of them."""

    def __init__(self, peers: tuple[str, ...] = PEERS, simulcast: bool = False) -> None:
        """``simulcast``: everyone publishes three layers, as Chromium does."""
        self.simulcast = simulcast
        self.net = Network()
        self.children: list[Child] = []
        self.clients: dict[str, Child] = {}
        self.hosts: dict[str, Host] = {}
        self._dir = tempfile.TemporaryDirectory(prefix="pmnet-")
        self.control = str(Path(self._dir.name) / "relay.sock")
        try:
            self._start(peers)
        except BaseException:
            self.close()
            raise

    def _start(self, peers: tuple[str, ...]) -> None:
        media = media_file()
        layers = ("--layers", str(layers_file())) if self.simulcast else ()
        relay = self.net.add_host("relay")
        server = self._child(relay, "relay_server.py", "--mode", "forward")
        server.expect("READY", 30)
        for pid in peers:
            host = self.hosts[pid] = self.net.add_host(pid)
            self.clients[pid] = self._child(
                host,
                "synthetic_clients.py",
                *("--ids", pid, "--total", str(len(peers)), "--media", str(media)),
                *layers,
            )
        for client in self.clients.values():
            client.expect("FLOWING", 30)

    def _child(self, host: Host, script: str, *args: str) -> Child:
        child = Child(
            script,
            *args,
            *("--host-address", host.address, "--control-unix", self.control),
            # media in real time on a machine shared with other work: ahead of that work
            wrapper=(*self.net.command(host), "nice", "-n", "-5"),
        )
        self.children.append(child)
        return child

    def __enter__(self) -> NetworkMeeting:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def mark(self, *peers: str) -> float:
        """Starts a measuring window at ``peers`` (all by default); returns its wall time."""
        for pid in peers or tuple(self.clients):
            self.clients[pid].send("mark")
        return time.time()

    def report(self, pid: str) -> dict[str, Any]:
        """What ``pid`` received since its mark, by publisher (see Participant.quality)."""
        client = self.clients[pid]
        client.send("report")
        return json.loads(client.expect("{", 15))["quality"][pid]

    def relay_stats(self) -> dict[str, Any]:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(self.control)
            sock.sendall(b'{"id": 1, "op": "stats"}\n')
            stats: dict[str, Any] = json.loads(sock.makefile().readline())
            return stats

    def relay_participants(self) -> int:
        return int(self.relay_stats()["participants"])

    def watch_layers(self, seconds: float, every: float = 0.25) -> list[tuple[float, dict]]:
        """For ``seconds``: (wall time, the relay's view of each subscriber: layers and
        bandwidth estimate), every ``every`` seconds."""
        seen = []
        end = time.time() + seconds
        while (now := time.time()) < end:
            seen.append((now, self.relay_stats()["subscribers"]))
            time.sleep(min(every, max(0.0, end - time.time())))
        return seen

    def close(self) -> None:
        for child in reversed(self.children):
            with contextlib.suppress(Exception):
                child.stop()
        self.net.close()
        self._dir.cleanup()


def _seconds_after(start: float, wall: float | None) -> float | None:
    return None if wall is None else round(max(0.0, wall - start), 3)


def lossy_publisher(seconds: float = 10.0, loss: float = 5.0, jitter_ms: float = 50.0) -> dict:
    """heron's link (both ways) loses ``loss`` % of packets at random with ``jitter_ms`` of
    jitter: what lark and wren see and hear of heron."""
    with NetworkMeeting() as meeting:
        meeting.net.impair(
            meeting.hosts["heron"], loss=loss, delay_ms=jitter_ms, jitter_ms=jitter_ms
        )
        time.sleep(1.0)
        meeting.mark()
        seen = meeting.watch_layers(seconds, every=0.5)
        reports = {pid: meeting.report(pid) for pid in ("lark", "wren")}
    received = {pid: report["heron"] for pid, report in reports.items()}
    clean = ("lark", "wren")
    keys = ("fps", "lost_frames", "keyframe_requests", "audio_longest_gap_ms", "audio_lost_percent")
    return {
        "scenario": "lossy_publisher",
        "loss_percent": loss,
        "jitter_ms": jitter_ms,
        "seconds": seconds,
        "heron_at": {pid: {k: r.get(k) for k in keys} for pid, r in received.items()},
        # lark's link is clean: what wren gets from lark is what this machine can do at all
        "clean_lark_at_wren": {k: reports["wren"].get("lark", {}).get(k) for k in keys},
        # heron's losses on its way up are not lark's or wren's: nothing paused for them
        "paused_for_clean_links": sorted(
            {
                f"{key} for {pid}"
                for _, subscribers in seen
                for pid in clean
                for key in subscribers[pid]["paused"]
            }
        ),
        "clean_links_worst_loss": max(
            (subscribers[pid]["loss"] or 0.0 for _, subscribers in seen for pid in clean),
            default=None,
        ),
    }


def subscriber_outage(outage: float = 5.0, after: float = 4.0) -> dict:
    """wren's link disappears for ``outage`` seconds and comes back: seconds until wren
    sees a decodable frame and hears audio again, with the same connection."""
    with NetworkMeeting() as meeting:
        wren = meeting.hosts["wren"]
        meeting.net.link(wren, up=False)
        time.sleep(outage)
        back = meeting.mark("wren")
        meeting.net.link(wren, up=True)
        time.sleep(after)
        received = meeting.report("wren")
        participants = meeting.relay_participants()
    return {
        "scenario": "subscriber_outage",
        "outage_seconds": outage,
        "relay_participants": participants,
        "recovery_s": {
            publisher: {
                "video": _seconds_after(back, r.get("first_frame_wall")),
                "audio": _seconds_after(back, r.get("first_audio_wall")),
                "fps_after": round(r.get("frames", 0) / after, 2),
            }
            for publisher, r in received.items()
        },
    }


def address_change(after: float = 5.0, reconnect: bool = True) -> dict:
    """lark's address changes (Wi-Fi to mobile); lark's page hears of it (``online``) and
    starts a new connection under the same id: seconds until media flows both ways.
    ``reconnect=False`` shows what happens without that: nothing, until ICE gives up."""
    with NetworkMeeting() as meeting:
        lark = meeting.hosts["lark"]
        changed = time.time()
        new_address = meeting.net.move_address(lark)
        time.sleep(0.5)  # what was in flight from lark's old address has arrived
        meeting.mark()
        if reconnect:
            meeting.clients["lark"].send(f"network-changed {new_address}")
            meeting.clients["lark"].expect("REJOINED", 15)
        time.sleep(after)
        at_lark = meeting.report("lark")
        from_lark = {pid: meeting.report(pid)["lark"] for pid in ("heron", "wren")}
        participants = meeting.relay_participants()
    return {
        "scenario": "address_change" if reconnect else "address_change_without_reconnect",
        "relay_participants": participants,
        "lark_receives_s": {
            publisher: _seconds_after(changed, r.get("first_frame_wall"))
            for publisher, r in at_lark.items()
        },
        "others_receive_lark_s": {
            pid: _seconds_after(changed, r.get("first_frame_wall")) for pid, r in from_lark.items()
        },
        "others_hear_lark_s": {
            pid: _seconds_after(changed, r.get("first_audio_wall")) for pid, r in from_lark.items()
        },
    }


LOWEST, TOP = "q", "f"  # bench/encoded_media.SIMULCAST_SCALES


def _first_all(
    seen: list[tuple[float, dict]], pid: str, rid: str, start: float, paused_ok: bool = False
) -> float | None:
    """Seconds from ``start`` until ``pid`` receives ``rid`` of every publisher, for good;
    ``paused_ok``: or of at least one, and nothing of the others (paused, or resuming)."""
    settled = None
    for wall, subscribers in seen:
        layers = subscribers.get(pid, {}).get("layers", {})
        got = [r for r in layers.values() if r is not None or not paused_ok]
        everywhere = bool(got) and all(r == rid for r in got)
        if everywhere and settled is None:
            settled = wall
        elif not everywhere:
            settled = None
    return _seconds_after(start, settled)


def limited_subscriber(
    rate_kbit: int = 300,
    settle: float = 5.0,
    window: float = 5.0,
    after: float = 10.0,
    trace: bool = False,
) -> dict:
    """Everyone publishes simulcast; wren's link down from the bridge is limited to
    ``rate_kbit`` (tbf): what wren and the others receive, which layers, how long until
    wren is on the lowest layer and, once the limit is lifted, back on the top one.
    ``trace``: also the relay's view of wren every 0.25 s (``wren_trace``)."""
    keys = ("fps", "lost_frames", "audio_longest_gap_ms", "audio_lost_percent")
    with NetworkMeeting(simulcast=True) as meeting:
        meeting.mark()
        time.sleep(2.0)
        baseline = {pid: meeting.report(pid) for pid in PEERS}
        limited = time.time()
        meeting.net.impair(meeting.hosts["wren"], rate_kbit=rate_kbit)
        seen = meeting.watch_layers(settle)
        meeting.mark()
        measured = meeting.watch_layers(window)
        seen += measured
        under = {pid: meeting.report(pid) for pid in PEERS}
        at_end_of_limit = meeting.relay_stats()["subscribers"]
        lifted = time.time()
        meeting.net.clear(meeting.hosts["wren"])
        after_lift = meeting.watch_layers(after)
        meeting.mark("wren")
        time.sleep(3.0)
        back = meeting.report("wren")
        final = meeting.relay_stats()["subscribers"]
    return {
        "scenario": "limited_subscriber",
        "rate_kbit": rate_kbit,
        # a clean link for everyone first: what this machine can do at all
        "baseline_fps": {
            pid: {pub: r.get("fps") for pub, r in report.items()}
            for pid, report in baseline.items()
        },
        "under_limit": {
            pid: {pub: {k: r.get(k) for k in keys} for pub, r in report.items()}
            for pid, report in under.items()
        },
        "layers_under_limit": {pid: s["layers"] for pid, s in at_end_of_limit.items()},
        "wren_estimate_under_limit": at_end_of_limit["wren"],
        # videos the relay paused for wren (and told wren's page) while under_limit was measured
        "wren_paused_under_limit": sorted(
            {key for _, subscribers in measured for key in subscribers["wren"]["paused"]}
        ),
        # on the lowest layer, or paused (the test checks wren was told) or resuming
        "settle_s": _first_all(seen, "wren", LOWEST, limited, paused_ok=True),
        "others_left_top": sorted(
            {
                pid
                for _, subscribers in seen
                for pid in ("heron", "lark")
                if any(r != TOP for r in subscribers[pid]["layers"].values())
            }
        ),
        "climb_back_s": _first_all(after_lift, "wren", TOP, lifted),
        "after_lift": {pub: {k: r.get(k) for k in keys} for pub, r in back.items()},
        "layers_at_end": {pid: s["layers"] for pid, s in final.items()},
        "wren_estimate_at_end": final["wren"],
        **({"wren_trace": _trace(seen + after_lift, "wren", limited, lifted)} if trace else {}),
    }


def _trace(seen: list[tuple[float, dict]], pid: str, limited: float, lifted: float) -> list:
    """What the relay made of ``pid``'s link, one row per look: seconds since the limit
    (the lift marked), its layers and the estimate's inputs and outcome."""
    keys = (
        "estimate_bps",
        "video_budget_bps",
        "sent_bps",
        "padding_bps",
        "loss",
        "queued_ms",
        "paused",
    )
    rows = []
    for wall, subscribers in seen:
        view = subscribers[pid]
        lift = "lifted" if wall >= lifted else "limited"
        rows.append([round(wall - limited, 2), lift, view["layers"], *(view.get(k) for k in keys)])
    return rows
