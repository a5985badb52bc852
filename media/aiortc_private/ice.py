"""ICE gathering: host candidates only on the configured addresses."""

from __future__ import annotations

import aioice.ice

from .names import PrivateName

PRIVATE = (PrivateName(aioice.ice, "get_host_addresses", "method"),)

_original_get_host_addresses = aioice.ice.get_host_addresses


def use_host_addresses(addresses: list[str]) -> None:
    """Make every ICE agent in this process gather host candidates on ``addresses`` only."""
    chosen = list(addresses)

    def get_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    aioice.ice.get_host_addresses = get_host_addresses


def restore_host_addresses() -> None:
    aioice.ice.get_host_addresses = _original_get_host_addresses
