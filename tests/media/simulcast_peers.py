"""An aiortc publisher that sends VP8 in three simulcast layers the way Chromium does, and
a subscriber that records the size and counter of every picture it decodes.

aiortc cannot send simulcast: the publisher negotiates one sendonly video m-line, rewrites
its offer into Chromium's shape (``a=rid``/``a=simulcast:send q;h;f``, RID header
extensions, no ``a=ssrc``), encodes the counter picture at 1/4, 1/2 and full size with
three VP8 encoders (each numbering its own picture ids, as libwebrtc's do) and sends each
layer as its own SSRC through the m-line's SRTP session, the RID in every packet.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import random
import re
import time

import numpy as np
from aiortc import MediaStreamTrack, RTCSessionDescription
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from media.aiortc_private.sender import Egress, IdleTrack
from tests.media.media_peers import (
    HEIGHT,
    WIDTH,
    Client,
    CounterVideoTrack,
    add_noise,
    draw_counter,
    read_counter,
)

RID_EXTMAP = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
REPAIRED_RID_EXTMAP = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
RID_ID = 10
LAYERS = (("q", 4), ("h", 2), ("f", 1))  # rid, scaleResolutionDownBy
TOP = (WIDTH * 4, HEIGHT * 4)  # 640x384
FPS = 15


def layer_size(scale: int) -> tuple[int, int]:
    return TOP[0] // scale, TOP[1] // scale


def chromium_simulcast_offer(sdp: str, rids: list[str]) -> str:
    """aiortc's offer with its video m-line turned into a Chromium simulcast m-line."""
    sections = re.split(r"(?=^m=)", sdp, flags=re.MULTILINE)
    out = []
    for section in sections:
        if section.startswith("m=video"):
            lines = [
                line
                for line in section.split("\r\n")
                if line and not line.startswith(("a=ssrc", "a=msid:"))
            ]
            lines += [
                f"a=extmap:{RID_ID} {RID_EXTMAP}",
                f"a=extmap:{RID_ID + 1} {REPAIRED_RID_EXTMAP}",
                *(f"a=rid:{rid} send" for rid in rids),
                f"a=simulcast:send {';'.join(rids)}",
            ]
            section = "\r\n".join(lines) + "\r\n"
        out.append(section)
    return "".join(out)


class SimulcastPublisher(Client):
    def __init__(
        self,
        *args,
        rids: list[str] | None = None,
        second_video: bool = False,
        noisy: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.noise = np.random.default_rng(self.number) if noisy else None
        self.second_video = second_video  # a second video m-line on the same codec
        self.rids = rids or [rid for rid, _ in LAYERS]
        self.sizes = {rid: layer_size(scale) for rid, scale in LAYERS}
        self.keyframe_requests = 0
        self.frames_sent = 0
        self._force_keyframe = True
        self._video_transceiver = None

    async def join(self) -> None:
        await self._join_relay()
        if self.audio is not None:
            self.pc.addTransceiver(self.audio, direction="sendonly")
        self._video_transceiver = self.pc.addTransceiver(IdleTrack("video"), direction="sendonly")
        if self.second_video:
            self.pc.addTransceiver(CounterVideoTrack(first=90000), direction="sendonly")
        await self.pc.setLocalDescription(await self.pc.createOffer())
        offer = chromium_simulcast_offer(self.pc.localDescription.sdp, self.rids)
        answer = await self._offer(offer)
        self.answer_sdp = answer
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
        self._tasks.append(asyncio.ensure_future(self._answer_forever()))
        self._tasks.append(asyncio.ensure_future(self._send_layers()))

    def _keyframe_requested(self) -> None:
        self.keyframe_requests += 1
        self._force_keyframe = True

    async def _send_layers(self) -> None:
        transceiver = self._video_transceiver
        egress = Egress(transceiver, self._keyframe_requested)
        sender = transceiver.sender
        while (route := egress._find_route()) is None:
            await asyncio.sleep(0.02)
        send_rtp = route[0]  # takes the SSRC: one per layer
        payload_type = next(c.payloadType for c in transceiver._codecs if c.name == "VP8")
        mid = transceiver.mid.encode()
        mid_element = bytes([1 << 4 | len(mid) - 1]) + mid
        streams = []
        router = sender.transport._rtp_router
        for rid in self.rids:
            ssrc = random.getrandbits(32)
            router.register_sender(sender, ssrc)  # its PLIs and receiver reports come back
            rid_element = bytes([RID_ID << 4 | len(rid) - 1]) + rid.encode()
            encoder = Vp8Encoder()
            encoder.target_bitrate = 100_000 * 4 // dict(LAYERS)[rid]
            streams.append(
                [rid, ssrc, random.getrandbits(16), random.getrandbits(32), encoder, rid_element]
            )
        start = time.monotonic()
        counter = self.number * 8000
        while True:
            counter += 1
            self.frames_sent += 1
            wait = start + self.frames_sent / FPS - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            image = draw_counter(counter)
            picture = VideoFrame.from_ndarray(image, format="yuv420p")
            # noise in the lowest layer only: the larger ones would cost the test's CPU
            lowest = picture
            if self.noise is not None:
                lowest = VideoFrame.from_ndarray(add_noise(image, self.noise), format="yuv420p")
            keyframe, self._force_keyframe = self._force_keyframe, False
            for stream in streams:
                rid, ssrc, seq, ts_base, encoder, rid_element = stream
                source = lowest if rid == self.rids[0] else picture
                frame = source.reformat(*self.sizes[rid])
                frame.pts = self.frames_sent * (90000 // FPS)
                frame.time_base = fractions.Fraction(1, 90000)
                payloads, timestamp = encoder.encode(frame, keyframe)
                timestamp = (timestamp + ts_base) & 0xFFFFFFFF
                for i, payload in enumerate(payloads):
                    marker = int(i == len(payloads) - 1)
                    marker_pt = marker << 7 | payload_type
                    send_rtp(marker_pt, seq, timestamp, ssrc, mid_element + rid_element, payload)
                    seq = (seq + 1) & 0xFFFF
                stream[2] = seq


class LayerWatcher(Client):
    """Records (time, width, height, counter) of every video picture it decodes."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, video=False, **kwargs)
        self.pictures: list[tuple[float, int, int, int | None]] = []

    async def _consume(self, track: MediaStreamTrack) -> None:
        if track.kind != "video":
            await super()._consume(track)
            return
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                small = frame.reformat(WIDTH, HEIGHT) if frame.width != WIDTH else frame
                self.pictures.append(
                    (time.monotonic(), frame.width, frame.height, read_counter(small))
                )

    def widths_since(self, moment: float) -> list[int]:
        return [w for t, w, _, _ in self.pictures if t >= moment]

    def last_width(self) -> int | None:
        return self.pictures[-1][1] if self.pictures else None
