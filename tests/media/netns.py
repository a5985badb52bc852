"""An emulated network made of Linux network namespaces, for media tests and bench/network.py.

    with Network() as net:
        relay = net.add_host("relay")              # its own namespace, 10.77.0.1/24
        lark = net.add_host("lark")                # 10.77.0.2/24
        net.impair(lark, loss=5, delay_ms=50, jitter_ms=50)   # or rate_kbit=300
        net.link(lark, up=False)
        net.move_address(lark)                     # Wi-Fi to mobile: a new address
        net.run(lark, "python", "x.py")            # a process inside lark's namespace

Every host is a namespace with one interface, ``eth0``, the end of a veth pair whose
other end is a port of a bridge that lives in a namespace of its own; nothing is made
in, or routed to, the machine's own namespace, so tests cannot touch its interfaces
or addresses. Loss, delay and jitter come from a user-space wire (wire.py) put between
a host and the bridge (the kernels this runs on lack sch_netem); rate limits from tbf. Namespace names start with ``pmnet<pid>-`` (tests of other processes run
in parallel with their own names); the namespaces of processes that no longer exist
are removed at the start. Needs root (or CAP_NET_ADMIN) and iproute2 with ``tc``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PREFIX = "pmnet"
WIRE = Path(__file__).resolve().parent / "wire.py"
SUBNET = "10.77.0"
_networks = itertools.count()


class NetnsUnavailable(Exception):
    """Namespaces cannot be made here (no privilege, no iproute2)."""


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=10)


def _tc(namespace: str, *args: str) -> None:
    subprocess.run(["ip", "netns", "exec", namespace, "tc", *args], check=True, timeout=10)


def unavailable_reason() -> str | None:
    """Why namespaces cannot be made here, or None when they can."""
    if shutil.which("ip") is None or shutil.which("tc") is None:
        return "iproute2 (ip, tc) is not installed"
    probe = f"{PREFIX}{os.getpid()}-probe"
    result = _ip("netns", "add", probe, check=False)
    if result.returncode != 0:
        return f"cannot create network namespaces here ({result.stderr.strip()}); run as root"
    _ip("netns", "del", probe, check=False)
    return None


def remove_stale_namespaces() -> list[str]:
    """Namespaces of ours whose process is gone (a test killed before its cleanup)."""
    removed = []
    for line in _ip("netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        match = re.fullmatch(rf"{PREFIX}(\d+)-.*", name)
        if match is None or _alive(int(match.group(1))):
            continue
        _ip("netns", "del", name, check=False)
        removed.append(name)
    return removed


def _stop(process: subprocess.Popen[str]) -> None:
    try:
        if process.stdin is not None:
            process.stdin.close()
        process.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        process.kill()
        process.wait()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Host:
    name: str
    namespace: str
    port: str  # its bridge port, in the bridge's namespace
    number: int
    address: str


class Network:
    def __init__(self) -> None:
        remove_stale_namespaces()
        self.tag = f"{PREFIX}{os.getpid()}-{next(_networks)}"
        self.bridge_namespace = f"{self.tag}-br"
        self.hosts: list[Host] = []
        self._namespaces: list[str] = []
        self._addresses = itertools.count(1)
        self._wires: dict[str, subprocess.Popen[str]] = {}
        self._add_namespace(self.bridge_namespace)
        _ip("-n", self.bridge_namespace, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.bridge_namespace, "link", "set", "br0", "up")

    def __enter__(self) -> Network:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _add_namespace(self, name: str) -> None:
        _ip("netns", "add", name)
        self._namespaces.append(name)
        _ip("-n", name, "link", "set", "lo", "up")

    def add_host(self, name: str) -> Host:
        number = len(self.hosts) + 1
        namespace = f"{self.tag}-{name}"
        port = f"v{number}"
        self._add_namespace(namespace)
        _ip(
            *("-n", self.bridge_namespace, "link", "add", port, "type", "veth"),
            *("peer", "name", "eth0", "netns", namespace),
        )
        _ip("-n", self.bridge_namespace, "link", "set", port, "master", "br0", "up")
        address = f"{SUBNET}.{next(self._addresses)}"
        _ip("-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
        _ip("-n", namespace, "link", "set", "eth0", "up")
        host = Host(name, namespace, port, number, address)
        self.hosts.append(host)
        return host

    def impair(
        self,
        host: Host,
        *,
        loss: float = 0.0,
        delay_ms: float = 0.0,
        jitter_ms: float = 0.0,
        rate_kbit: int | None = None,
    ) -> None:
        """Loss (percent), delay and jitter on ``host``'s link, each way, by a user-space
        wire (wire.py: the kernels here have no sch_netem); a ``tbf`` rate limit towards
        the host. Replaces any earlier impairment."""
        self.clear(host)
        if loss or delay_ms or jitter_ms:
            self._insert_wire(host, loss, delay_ms, jitter_ms)
        if rate_kbit is not None:
            _tc(
                *(self.bridge_namespace, "qdisc", "add", "dev", host.port, "root"),
                *("tbf", "rate", f"{rate_kbit}kbit", "burst", "16kb", "latency", "200ms"),
            )

    def _insert_wire(self, host: Host, loss: float, delay_ms: float, jitter_ms: float) -> None:
        ns, inner, outer = self.bridge_namespace, f"w{host.number}", f"x{host.number}"
        _ip("-n", ns, "link", "set", host.port, "nomaster")
        _ip("-n", ns, "link", "add", inner, "type", "veth", "peer", "name", outer)
        _ip("-n", ns, "link", "set", outer, "master", "br0", "up")
        _ip("-n", ns, "link", "set", inner, "up")
        wire = subprocess.Popen(
            [
                *("ip", "netns", "exec", ns, sys.executable, str(WIRE), host.port, inner),
                *("--loss", str(loss), "--delay-ms", str(delay_ms), "--jitter-ms", str(jitter_ms)),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._wires[host.name] = wire
        if wire.stdout is None or wire.stdout.readline().strip() != "READY":
            raise RuntimeError(f"the wire for {host.name} did not start")

    def clear(self, host: Host) -> None:
        """Takes off what impair() put on ``host``'s link."""
        wire = self._wires.pop(host.name, None)
        if wire is not None:
            _stop(wire)
            _ip("-n", self.bridge_namespace, "link", "del", f"w{host.number}", check=False)
            _ip("-n", self.bridge_namespace, "link", "set", host.port, "master", "br0")
        command = ["ip", "netns", "exec", self.bridge_namespace, "tc", "qdisc", "del", "dev"]
        subprocess.run([*command, host.port, "root"], capture_output=True, timeout=10)

    def link(self, host: Host, *, up: bool) -> None:
        """Pull (or plug back) ``host``'s cable at the bridge: its packets go nowhere."""
        _ip("-n", self.bridge_namespace, "link", "set", host.port, "up" if up else "down")

    def move_address(self, host: Host) -> str:
        """The host's address changes, as when a phone goes from Wi-Fi to mobile data."""
        new = f"{SUBNET}.{100 + next(self._addresses)}"
        _ip("-n", host.namespace, "addr", "del", f"{host.address}/24", "dev", "eth0")
        _ip("-n", host.namespace, "addr", "add", f"{new}/24", "dev", "eth0")
        host.address = new
        return new

    def command(self, host: Host, *args: str) -> list[str]:
        """``args`` as a command line that runs inside ``host``'s namespace."""
        return ["ip", "netns", "exec", host.namespace, *args]

    def close(self) -> None:
        for wire in self._wires.values():
            _stop(wire)
        self._wires.clear()
        for name in reversed(self._namespaces):
            with contextlib.suppress(Exception):
                _ip("netns", "del", name, check=False)
        self._namespaces.clear()
