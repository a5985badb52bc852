"""Relay settings. Signaling builds one from Django settings; tests build one by hand."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class IceServer:
    urls: list[str]
    username: str | None = None
    credential: str | None = None


@dataclass(frozen=True)
class RelayConfig:
    # Addresses the relay gathers ICE host candidates on; 127.0.0.1 in tests/embedded.
    host_addresses: list[str] = field(default_factory=lambda: ["127.0.0.1"])
    # Public address for 1:1 NAT (mediasoup's announcedIp): replaces host addresses in SDP.
    announced_address: str | None = None
    # STUN/TURN for the relay's own gathering; an explicit list, because aiortc adds a
    # public STUN server when given None.
    ice_servers: list[IceServer] = field(default_factory=list)
    last_n: int = 9
    keyframe_min_interval: float = 0.5
    # Sent to publishers as REMB, since the relay does not estimate bandwidth itself.
    publisher_max_bitrate: int = 1_500_000
    # The same for a simulcast publisher, all its layers together (Chromium's three
    # layers of 720p need about 2.5 Mbit/s; under the cap it drops the top layer).
    simulcast_max_bitrate: int = 2_500_000
    # A video paused for a subscriber's bandwidth stays paused at least this long, so a
    # budget near its edge does not pause and resume it every second.
    pause_min_seconds: float = 4.0

    def __post_init__(self) -> None:
        if not self.host_addresses:
            raise ValueError("host_addresses must not be empty")
        if self.last_n < 0:
            raise ValueError("last_n must be >= 0")
        if self.pause_min_seconds < 0:
            raise ValueError("pause_min_seconds must be >= 0")
