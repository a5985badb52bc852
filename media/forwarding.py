"""Packet-level fan-out of one publisher's track to its subscribers' senders.

A ``Publication`` is one publisher's audio or video. Each subscriber of it has a
``Downtrack`` that rewrites SSRC, payload type, sequence number and timestamp so
the subscriber sees one continuous stream per sender, even across mutes, keyframe
gating, or a sender being reused for another publisher.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from collections import deque
from collections.abc import Callable, Iterable

from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from .aiortc_private.packet_io import DowntrackState, PublicationState, fan_outer, rtp_bytes
from .aiortc_private.receive_stats import codec_name
from .aiortc_private.receiver import Ingress
from .aiortc_private.sender import Egress, abs_send_time_bytes, ntp_now
from .events import Kind

__all__ = ["Downtrack", "Publication", "Rates", "is_keyframe_start", "rtp_bytes"]

logger = logging.getLogger(__name__)

MAX_GAP_WHEN_REBASING = 30  # frames of silence a subscriber sees after a rebase, at most
RATE_SECONDS = 5  # one-second bitrates a typical one is taken from


class Rates:
    """The last few one-second bitrates of a stream; ``typical`` (their median) is what
    pausing decides by: a keyframe's one-second burst does not pause a video."""

    def __init__(self) -> None:
        self._recent: deque[int] = deque(maxlen=RATE_SECONDS)

    def add(self, bits_per_second: int) -> None:
        self._recent.append(bits_per_second)

    @property
    def typical(self) -> int:
        return int(statistics.median(self._recent)) if self._recent else 0


def is_keyframe_start(codec_name: str, payload: bytes) -> bool:
    """True for the first RTP packet of a keyframe (VP8 or H264)."""
    if not payload:
        return False
    if codec_name == "VP8":
        first = payload[0]
        if not first & 0x10 or first & 0x07:  # S bit unset or not partition 0
            return False
        i = 1
        if first & 0x80:
            ext = payload[1] if len(payload) > 1 else 0
            i = 2
            if ext & 0x80:
                i += 2 if len(payload) > i and payload[i] & 0x80 else 1
            if ext & 0x40:
                i += 1
            if ext & 0x30:
                i += 1
        return len(payload) > i and not payload[i] & 0x01
    if codec_name == "H264":
        nal_type = payload[0] & 0x1F
        if nal_type in (5, 7):
            return True
        if nal_type == 24:  # STAP-A
            i = 1
            while i + 2 < len(payload):
                size = int.from_bytes(payload[i : i + 2], "big")
                if payload[i + 2] & 0x1F in (5, 7):
                    return True
                i += 2 + size
            return False
        if nal_type == 28 and len(payload) > 1:  # FU-A start of an IDR
            return bool(payload[1] & 0x80) and payload[1] & 0x1F == 5
    return False


class Downtrack(DowntrackState):  # type: ignore[misc]
    """One publisher's track as one subscriber receives it."""

    def __init__(self, subscriber: str, egress: Egress, clock_rate: int, is_video: bool) -> None:
        self.subscriber = subscriber
        self.egress = egress
        self.clock_rate = clock_rate
        self.is_video = is_video
        self.confirmed = False  # the subscriber has answered an offer carrying this sender
        self.ready = False  # confirmed, sender running, payload type known
        self.paused = False  # the subscriber's bandwidth is short: its slot gets nothing
        self.payload_type: int | None = None
        self.waiting_keyframe = is_video
        self.rebase = True
        self.seq_offset = 0
        self.ts_offset = 0
        self.first_seq = 0
        self.packets_sent = 0
        self.mid_element = b""
        self.video_extensions = b""  # MID element, then the abs-send-time element's header
        self.ssrc = 0
        self.abs_send_time_id = 0
        self.audio_level_id = 0

    def prepare(self, codec: RTCRtpCodecParameters) -> bool:
        """Once the sender runs: find its payload type and header extension ids."""
        if not self.confirmed or not self.egress.started:
            return False
        for candidate in self.egress.codecs:
            if candidate.mimeType.lower() == codec.mimeType.lower():
                self.payload_type = candidate.payloadType
                break
        else:
            return False
        self.mid_element, self.abs_send_time_id, self.audio_level_id = (
            self.egress.header_extensions()
        )
        self.video_extensions = self.mid_element
        if self.abs_send_time_id:
            self.video_extensions += bytes([self.abs_send_time_id << 4 | 2])
        self.ssrc = self.egress.ssrc
        self.ready = True
        return True

    def restart(self) -> None:
        """Re-anchor numbering on the next forwarded packet (after a mute)."""
        self.rebase = True
        self.waiting_keyframe = self.is_video

    def forward(self, packet: RtpPacket, now: float, abs_send_time: bytes, ntp: int) -> None:
        seq = packet.sequence_number
        egress = self.egress
        if self.rebase:
            self.rebase = False
            self.first_seq = seq
            if egress.last_seq is None:
                self.seq_offset = 0
                self.ts_offset = 0
            else:
                self.seq_offset = (egress.last_seq + 1 - seq) & 0xFFFF
                elapsed = min(now - egress.last_sent, MAX_GAP_WHEN_REBASING / 30)
                gap = max(1, int(elapsed * self.clock_rate))
                self.ts_offset = (egress.last_ts + gap - packet.timestamp) & 0xFFFFFFFF
        elif (self.first_seq - seq) & 0xFFFF < 0x8000 and seq != self.first_seq:
            return  # older than the packet numbering was anchored on
        out_seq = (seq + self.seq_offset) & 0xFFFF
        out_ts = (packet.timestamp + self.ts_offset) & 0xFFFFFFFF
        if self.is_video:
            extensions = (
                self.video_extensions + abs_send_time
                if self.abs_send_time_id
                else (self.mid_element)
            )
        else:
            extensions = self.mid_element
            level = packet.extensions.audio_level
            if self.audio_level_id and level is not None:
                extensions += bytes([self.audio_level_id << 4, level[0] << 7 | level[1]])
        egress.send(
            self.payload_type or 0,
            packet.marker,
            out_seq,
            out_ts,
            extensions,
            packet.payload,
            ntp,
            now,
        )
        egress.last_seq = out_seq
        egress.last_ts = out_ts
        egress.last_sent = now
        self.packets_sent += 1


class Publication(PublicationState):  # type: ignore[misc]
    """One publisher's audio or video track, fanned out packet by packet.

    Compiled, ``on_packet``'s steady case (live, forwarding, subscribers) runs in C when
    the packet comes through the compiled receive step (``_receive.c``), reading and
    updating the fields ``PublicationState`` keeps; subclasses that change ``on_packet``
    opt out."""

    def __init__(
        self,
        publisher: str,
        kind: Kind,
        codec: RTCRtpCodecParameters,
        keyframe_min_interval: float,
        on_first_packet: Callable[[Publication], None],
        on_audio_level: Callable[[str, int], None],
        compiled_path: bool | None = None,
    ) -> None:
        self.publisher = publisher
        self.kind = kind
        self.codec = codec
        self.ingress: Ingress | None = None
        self.downtracks: dict[str, Downtrack] = {}
        self.forwarding = True
        self.live = False
        self.packets_in = 0
        self.bytes_in = 0  # RTP payload bytes (media/metrics.py)
        self.bitrate = 0  # bits per second arriving, measured by ``tick``
        self.rates = Rates()
        self._measured = (0, time.monotonic())  # bytes_in and when, at the last tick
        self._on_first_packet = on_first_packet
        self._on_audio_level = on_audio_level
        self._keyframe_min_interval = keyframe_min_interval
        self._last_keyframe_request = -1e9
        self._keyframe_timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        # steady downtracks forwarded in one compiled call; None: all in the loop below
        self._fan_out = fan_outer(compiled_path)
        self._video = kind == "video"
        self._keyframe_codec: RTCRtpCodecParameters | None = None  # _receive.c's cache
        self._keyframe_kind: int | None = None
        self.compiled_on_packet = (
            self._fan_out is not None and type(self).on_packet is Publication.on_packet
        )

    @property
    def is_video(self) -> bool:
        return self.kind == "video"

    def attach(self, ingress: Ingress) -> None:
        self.ingress = ingress

    def add_downtrack(self, downtrack: Downtrack) -> None:
        self.downtracks[downtrack.subscriber] = downtrack

    def remove_downtrack(self, subscriber: str) -> Downtrack | None:
        return self.downtracks.pop(subscriber, None)

    def set_forwarding(self, enabled: bool) -> None:
        if enabled and not self.forwarding:
            for downtrack in self.downtracks.values():
                downtrack.restart()
        self.forwarding = enabled

    def tick(self) -> None:
        """Once a second: the bitrate arriving from the publisher."""
        now = time.monotonic()
        octets, since = self._measured
        self.bitrate = int((self.bytes_in - octets) * 8 / max(now - since, 1e-3))
        self.rates.add(self.bitrate)
        self._measured = (self.bytes_in, now)

    def resume(self, subscriber: str) -> None:
        """The subscriber's copy was paused: from the next keyframe on."""
        downtrack = self.downtracks.get(subscriber)
        if downtrack is not None:
            downtrack.restart()
            self.request_keyframe()

    def request_keyframe(self) -> None:
        """Ask the publisher for a keyframe, at most once per ``keyframe_min_interval``."""
        if not self.is_video or self.ingress is None or self._keyframe_timer is not None:
            return
        loop = asyncio.get_running_loop()
        wait = self._last_keyframe_request + self._keyframe_min_interval - loop.time()
        if wait > 0:
            self._keyframe_timer = loop.call_later(wait, self._send_keyframe_request)
        else:
            self._send_keyframe_request()

    def _send_keyframe_request(self) -> None:
        self._keyframe_timer = None
        if self.ingress is None:
            return
        self._last_keyframe_request = asyncio.get_running_loop().time()
        task = asyncio.ensure_future(self.ingress.request_keyframe())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def close(self) -> None:
        if self._keyframe_timer is not None:
            self._keyframe_timer.cancel()
            self._keyframe_timer = None
        self.downtracks.clear()
        self.ingress = None

    def on_packet(self, packet: RtpPacket, codec: RTCRtpCodecParameters) -> None:
        payload = packet.payload
        self.packets_in += 1
        self.bytes_in += len(payload)
        if not self.live:
            self.live = True
            self._on_first_packet(self)
        video = self.kind == "video"
        if not video:
            level = packet.extensions.audio_level
            if level is not None:
                self._on_audio_level(self.publisher, level[1])
        if not self.forwarding or not self.downtracks:
            return
        keyframe = video and is_keyframe_start(codec_name(codec), payload)
        now = time.monotonic()
        abs_send_time = abs_send_time_bytes() if video else b""
        ntp = ntp_now() if packet.marker else 0
        if self._fan_out is not None:
            left = self._fan_out(self.downtracks, packet, keyframe, now, abs_send_time, ntp)
            if left is None or left is True:
                if left:
                    self.request_keyframe()
                return
        else:
            left = (self.downtracks.values(), False)
        self._forward_rest(left, packet, codec, keyframe, now, abs_send_time, ntp)

    def _forward_rest(
        self,
        left: tuple[Iterable[Downtrack], bool],
        packet: RtpPacket,
        codec: RTCRtpCodecParameters,
        keyframe: bool,
        now: float,
        abs_send_time: bytes,
        ntp: int,
    ) -> None:
        """The downtracks the compiled fan-out left (not ready, rebasing or without a route
        yet; all of them without it), and whether one already waits for a keyframe."""
        downtracks, needs_keyframe = left
        for downtrack in list(downtracks):
            if downtrack.paused or (not downtrack.ready and not downtrack.prepare(codec)):
                continue
            if downtrack.waiting_keyframe:
                if not keyframe:
                    needs_keyframe = True
                    continue
                downtrack.waiting_keyframe = False
            try:
                downtrack.forward(packet, now, abs_send_time, ntp)
            except Exception:
                # a subscriber whose connection is going away must not starve the others
                logger.exception("forwarding to a subscriber failed; dropping it")
                self.downtracks.pop(downtrack.subscriber, None)
        if needs_keyframe:
            self.request_keyframe()
