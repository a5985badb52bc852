"""Simulcast in SDP (RFC 8853 / 8851), as Chromium negotiates it with ``sendEncodings``.

The publisher's offer names the layers of its video m-line (``a=rid:q send`` ...,
``a=simulcast:send q;h;f``); the relay's answer must accept them
(``a=rid:q recv`` ..., ``a=simulcast:recv q;h;f``), or the browser sends one layer.
aiortc knows neither attribute, so the relay reads and writes them as text.
"""

from __future__ import annotations

import re

_SIMULCAST_SEND = re.compile(r"^a=simulcast:send (\S+)", re.MULTILINE)
_MID = re.compile(r"^a=mid:(\S+)", re.MULTILINE)


def _sections(sdp: str) -> list[str]:
    return re.split(r"(?=^m=)", sdp, flags=re.MULTILINE)


def offered_layers(sdp: str) -> dict[str, list[str]]:
    """mid -> the RIDs of its layers, in the offer's order, for each m-line with simulcast."""
    layers: dict[str, list[str]] = {}
    for section in _sections(sdp)[1:]:
        mid = _MID.search(section)
        simulcast = _SIMULCAST_SEND.search(section)
        if mid is None or simulcast is None or not section.startswith("m=video"):
            continue
        # streams are ;-separated, each a ,-list of alternatives; ~ marks a paused one
        rids = [stream.split(",")[0].lstrip("~") for stream in simulcast.group(1).split(";")]
        rids = [rid for rid in rids if re.fullmatch(r"[A-Za-z0-9_-]{1,16}", rid)]
        if len(rids) > 1 and len(set(rids)) == len(rids):
            layers[mid.group(1)] = rids
    return layers


def accept_layers(answer: str, layers: dict[str, list[str]]) -> str:
    """The relay's answer, receiving the offered layers on their m-lines."""
    if not layers:
        return answer
    newline = "\r\n" if "\r\n" in answer else "\n"
    out = []
    for section in _sections(answer):
        mid = _MID.search(section) if section.startswith("m=") else None
        rids = layers.get(mid.group(1)) if mid else None
        if rids and not section.startswith("m=video 0 "):
            lines = [f"a=rid:{rid} recv" for rid in rids]
            lines.append(f"a=simulcast:recv {';'.join(rids)}")
            if not section.endswith(newline):
                section += newline
            section += newline.join(lines) + newline
        out.append(section)
    return "".join(out)
