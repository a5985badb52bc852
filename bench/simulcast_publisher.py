"""A synthetic publisher's video as Chromium sends simulcast: three SSRCs on one m-line,
each packet carrying its layer's RID, pre-encoded VP8 replayed in real time (no encoder).

aiortc cannot send simulcast itself: the offer is rewritten into Chromium's shape and the
layers go out through the m-line's SRTP session (``media.aiortc_private.sender.Egress``).
"""

from __future__ import annotations

import asyncio
import random
import re
import time

from aiortc import RTCRtpTransceiver
from aiortc.codecs.vpx import Vp8Encoder
from encoded_media import FPS, stamp

from media.aiortc_private.sender import Egress

RID_ID = 10
RID_URIS = (
    "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
)


def simulcast_offer(sdp: str, rids: list[str]) -> str:
    """aiortc's offer with its video m-line as Chromium writes a simulcast one."""
    out = []
    for section in re.split(r"(?=^m=)", sdp, flags=re.MULTILINE):
        if section.startswith("m=video"):
            lines = [x for x in section.split("\r\n") if x and not x.startswith("a=ssrc")]
            lines += [f"a=extmap:{RID_ID + i} {uri}" for i, uri in enumerate(RID_URIS)]
            lines += [f"a=rid:{rid} send" for rid in rids]
            lines.append(f"a=simulcast:send {';'.join(rids)}")
            section = "\r\n".join(lines) + "\r\n"
        out.append(section)
    return "".join(out)


class LayerSender:
    def __init__(self, transceiver: RTCRtpTransceiver, layers: dict[str, list[bytes]]) -> None:
        self.transceiver = transceiver
        self.layers = layers
        self.index = 0
        self.egress = Egress(transceiver, self.keyframe)

    def keyframe(self) -> None:
        self.index = 0  # every layer's recording starts with a keyframe

    async def run(self) -> None:
        transceiver, egress = self.transceiver, self.egress
        while (route := egress._find_route()) is None:
            await asyncio.sleep(0.02)
        send_rtp = route[0]  # takes the SSRC: one per layer
        payload_type = next(c.payloadType for c in transceiver._codecs if c.name == "VP8")
        mid = transceiver.mid.encode()
        mid_element = bytes([1 << 4 | len(mid) - 1]) + mid
        router = transceiver.sender.transport._rtp_router
        streams = []
        for rid in self.layers:
            ssrc = random.getrandbits(32)
            router.register_sender(transceiver.sender, ssrc)  # PLIs and reports come back
            element = mid_element + bytes([RID_ID << 4 | len(rid) - 1]) + rid.encode()
            streams.append([rid, ssrc, random.getrandbits(16), random.getrandbits(32), element])
        picture_ids = {rid: random.getrandbits(15) for rid in self.layers}
        start, sent = time.monotonic(), 0
        length = min(len(v) for v in self.layers.values())
        while True:
            wait = start + sent / FPS - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            index = self.index
            self.index = (index + 1) % length
            for stream in streams:
                rid, ssrc, seq, ts_base, element = stream
                payloads = Vp8Encoder._packetize(stamp(self.layers[rid][index]), picture_ids[rid])
                picture_ids[rid] = (picture_ids[rid] + 1) & 0x7FFF
                timestamp = (ts_base + sent * (90000 // FPS)) & 0xFFFFFFFF
                for i, payload in enumerate(payloads):
                    marker = int(i == len(payloads) - 1)
                    send_rtp(marker << 7 | payload_type, seq, timestamp, ssrc, element, payload)
                    seq = (seq + 1) & 0xFFFF
                stream[2] = seq
            sent += 1
