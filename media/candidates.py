"""Which remote ICE candidates the relay tries.

A relay that gathers on loopback only (tests, the embedded default) must not send
connectivity checks to a browser's other addresses: on these machines that would put
test traffic on eth0, and nothing there can reach a loopback socket anyway.
"""

from __future__ import annotations

import ipaddress


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False  # a hostname, e.g. an mDNS ".local" name


class CandidateScope:
    def __init__(self, host_addresses: list[str]) -> None:
        self.loopback_only = all(_is_loopback(a) for a in host_addresses)

    def allows(self, address: str) -> bool:
        return not self.loopback_only or _is_loopback(address)

    def filter_sdp(self, sdp: str) -> str:
        """The description without candidate lines for addresses out of scope."""
        if not self.loopback_only:
            return sdp
        kept = []
        for line in sdp.splitlines(keepends=True):
            fields = line.split()
            if line.startswith("a=candidate:") and len(fields) > 4 and not self.allows(fields[4]):
                continue
            kept.append(line)
        return "".join(kept)
