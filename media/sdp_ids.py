"""RTP header extension ids in relay offers must be the ones the client already chose.

aiortc's ``createOffer`` writes its own fixed ids (``mid`` = 1, ...) into every offer,
even for m-lines the client's offer has already numbered differently. Browsers refuse
such an offer ("RTP extension ID reassignment not supported"), because under BUNDLE all
m-lines share one id space. So each relay offer is rewritten to the client's ids; uris
the client never used keep their id unless the client took it. The transceivers get the same numbers
(``aiortc_private.codecs.number_header_extensions``): createOffer also resets them, and a
receiver that starts later (ICE still connecting) would parse packets with aiortc's ids.
"""

from __future__ import annotations

import re

_EXTMAP = re.compile(r"^a=extmap:(\d+)(/\w+)? (\S+)", re.MULTILINE)
_ONE_BYTE_IDS = range(1, 15)


def extension_ids(sdp: str) -> dict[str, int]:
    """uri -> id of every header extension in a description."""
    return {uri: int(number) for number, _direction, uri in _EXTMAP.findall(sdp)}


def reuse_extension_ids(sdp: str, client_ids: dict[str, int]) -> tuple[str, dict[str, int]]:
    """The offer renumbered, and uri -> id for every extension it names."""
    chosen = dict(client_ids)
    taken = set(chosen.values())

    def renumber(match: re.Match[str]) -> str:
        uri, own = match.group(3), int(match.group(1))
        if uri not in chosen:
            free = own if own not in taken else next(i for i in _ONE_BYTE_IDS if i not in taken)
            chosen[uri] = free
            taken.add(chosen[uri])
        return f"a=extmap:{chosen[uri]}{match.group(2) or ''} {uri}"

    return _EXTMAP.sub(renumber, sdp), chosen
