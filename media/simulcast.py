"""Simulcast: one publisher's video in several layers; each subscriber gets one of them.

The publisher's browser encodes its camera two or three times (e.g. 1/4, 1/2 and full
resolution) and sends each as its own RTP stream (SSRC), named by a RID. The relay picks
one layer per subscriber and switches only where the new layer starts a keyframe (asking
the publisher for one, rate-limited); the subscriber's ``Downtrack`` renumbers sequence
numbers and timestamps across the switch, and ``SimulcastPublication`` renumbers the VP8
picture id and TL0PICIDX, so the subscriber sees one continuous stream. Nothing is
decoded or re-encoded.

Which layer: the one that covers the size the page renders the tile at (``prefer``),
capped by the subscriber's bandwidth budget (``cap``), among layers that are flowing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from . import vp8
from .aiortc_private.layers import LayeredIngress
from .aiortc_private.receive_stats import codec_name
from .aiortc_private.sender import abs_send_time_bytes, ntp_now
from .forwarding import Downtrack, Publication, Rates, is_keyframe_start
from .rtp_sequence import at_or_after

logger = logging.getLogger(__name__)

LAYER_SILENT_AFTER = 1.0  # seconds without packets: a layer the publisher has paused
ASSUMED_TOP = (1280, 720)  # a layer's size before its first keyframe tells it, for the top layer
NACK_EPOCHS = 4  # switches back that a subscriber's NACK can still be mapped
# a layer above the current one must fit the budget with this to spare: layer bitrates
# wobble (keyframes) and a budget near one must not switch back and forth
UPGRADE_MARGIN = 1.15


@dataclass(eq=False)
class Layer:
    rid: str
    rank: int  # position in the offer's a=simulcast list: lowest first, until sizes are known
    ssrc: int | None = None
    width: int = 0
    height: int = 0
    last_packet: float = -1e9
    octets: int = 0  # payload octets in the current one-second window
    bitrate: int = 0  # bits per second over the last window
    sent_bitrate: int = 0  # the last non-zero one: what the layer takes when it is sent
    rates: Rates = field(default_factory=Rates)

    def size(self, layers: int) -> tuple[int, int]:
        if self.width:
            return self.width, self.height
        scale = 2 ** (layers - 1 - self.rank)
        return ASSUMED_TOP[0] // scale, ASSUMED_TOP[1] // scale


@dataclass(eq=False)
class Choice:
    """What one subscriber gets of a simulcast publication."""

    tile: tuple[int, int] | None = None  # rendered size; None = not said yet: top layer
    budget: int | None = None  # bits per second this video may use; None = no cap
    target: Layer | None = None
    current: Layer | None = None
    pid_offset: int = 0
    tl0_offset: int = 0
    last_pid: int = -1
    last_tl0: int = -1
    rebase_ids: bool = True
    switches: int = 0
    # (first outgoing sequence number, SSRC, seq offset), newest last: maps NACKs back
    epochs: list[tuple[int, int, int]] = field(default_factory=list)

    def original_of(self, out_seq: int) -> tuple[int, int] | None:
        """(publisher SSRC, publisher sequence number) of an outgoing sequence number."""
        for first, ssrc, offset in reversed(self.epochs):
            if at_or_after(out_seq, first):
                return ssrc, (out_seq - offset) & 0xFFFF
        return None


def flowing_layers(layers: list[Layer], now: float) -> list[Layer]:
    """The layers arriving now, smallest first."""
    flowing = [x for x in layers if x.ssrc is not None and now - x.last_packet < LAYER_SILENT_AFTER]
    count = len(layers)
    flowing.sort(key=lambda x: (x.size(count)[0] * x.size(count)[1], x.rank))
    return flowing


def choose_layer(layers: list[Layer], choice: Choice, now: float) -> Layer | None:
    """The smallest flowing layer that covers the tile (top if no tile), within the budget."""
    flowing = flowing_layers(layers, now)
    return _pick(flowing, choice, len(layers), lambda x: x.bitrate) if flowing else None


def wanted_layer(layers: list[Layer], choice: Choice) -> Layer:
    """The layer ``choice`` would get if the publisher sent them all: what to ask it for.
    A layer it has stopped counts at the bitrate it had while it was sent."""
    count = len(layers)
    ordered = sorted(layers, key=lambda x: (x.size(count)[0] * x.size(count)[1], x.rank))
    return _pick(ordered, choice, count, lambda x: x.bitrate or x.sent_bitrate)


def _pick(ordered: list[Layer], choice: Choice, count: int, rate: Callable[[Layer], int]) -> Layer:
    wanted = ordered[-1]
    if choice.tile is not None:
        width, height = choice.tile
        for layer in ordered:
            layer_width, layer_height = layer.size(count)
            # a little upscaling looks fine and saves a layer's worth of bandwidth
            if layer_width * 1.25 >= width and layer_height * 1.25 >= height:
                wanted = layer
                break
    if choice.budget is not None:
        # a layer above the current one must fit with UPGRADE_MARGIN to spare
        now_at = ordered.index(choice.current) if choice.current in ordered else -1
        top = ordered.index(wanted)
        fitting = [
            x
            for i, x in enumerate(ordered[: top + 1])
            if rate(x) * (UPGRADE_MARGIN if i > now_at else 1) <= choice.budget
        ]
        wanted = fitting[-1] if fitting else ordered[0]
    return wanted


class SimulcastPublication(Publication):
    """A publisher's video that arrives as several layers, one layer per subscriber out."""

    def __init__(
        self,
        publisher: str,
        rids: list[str],
        codec: RTCRtpCodecParameters,
        keyframe_min_interval: float,
        on_first_packet: Callable[[Publication], None],
    ) -> None:
        super().__init__(
            publisher, "video", codec, keyframe_min_interval, on_first_packet, _no_level
        )
        self.layers = [Layer(rid, rank) for rank, rid in enumerate(rids)]
        self._by_ssrc: dict[int, Layer] = {}
        self.choices: dict[str, Choice] = {}
        self.switches = 0
        self.keyframe_requests = 0
        self._last_layer_request: dict[int, float] = {}
        self._layer_timers: dict[int, asyncio.TimerHandle] = {}
        self._window_start = time.monotonic()
        self.retired = [0, 0]  # where close() adds its switches and keyframe requests
        self._rewrite_ids = vp8.id_rewriter()

    def on_layer(self, ssrc: int, rid: str) -> None:
        for layer in self.layers:
            if layer.rid == rid:
                layer.ssrc = ssrc
                self._by_ssrc[ssrc] = layer

    def add_downtrack(self, downtrack: Downtrack) -> None:
        super().add_downtrack(downtrack)
        choice = self.choices.setdefault(downtrack.subscriber, Choice())
        choice.current = None
        choice.target = choose_layer(self.layers, choice, time.monotonic())

    def remove_downtrack(self, subscriber: str) -> Downtrack | None:
        self.choices.pop(subscriber, None)
        return super().remove_downtrack(subscriber)

    def prefer(self, subscriber: str, tile: tuple[int, int] | None) -> None:
        """The size the subscriber's page renders this video at (None: not shown small)."""
        choice = self.choices.setdefault(subscriber, Choice())
        choice.tile = tile
        self._retarget(subscriber, choice, time.monotonic())

    def cap(self, subscriber: str, bits_per_second: int | None) -> None:
        choice = self.choices.setdefault(subscriber, Choice())
        choice.budget = bits_per_second
        self._retarget(subscriber, choice, time.monotonic())

    def layer_of(self, subscriber: str) -> str | None:
        """RID of the layer the subscriber receives now (None: none: paused, or waiting for
        a keyframe since it resumed)."""
        choice = self.choices.get(subscriber)
        downtrack = self.downtracks.get(subscriber)
        if downtrack is not None and (downtrack.paused or downtrack.waiting_keyframe):
            return None
        return choice.current.rid if choice and choice.current else None

    def tick(self) -> None:
        """Once a second: layer bitrates, and layers paused or resumed by the publisher."""
        now = time.monotonic()
        elapsed = max(now - self._window_start, 1e-3)
        self._window_start = now
        for layer in self.layers:
            layer.bitrate = int(layer.octets * 8 / elapsed)
            layer.sent_bitrate = layer.bitrate or layer.sent_bitrate
            layer.rates.add(layer.bitrate)
            layer.octets = 0
        self.bitrate = sum(layer.bitrate for layer in self.layers)
        for subscriber, choice in self.choices.items():
            self._retarget(subscriber, choice, now)

    def _retarget(self, subscriber: str, choice: Choice, now: float) -> None:
        choice.target = choose_layer(self.layers, choice, now)
        downtrack = self.downtracks.get(subscriber)
        if downtrack is not None and downtrack.paused:
            return  # nothing to switch to: ``resume`` asks for its keyframe
        if choice.target is not None and choice.target is not choice.current:
            self._request_layer(choice.target)

    def resume(self, subscriber: str) -> None:
        """The subscriber's video was paused: from the next keyframe of its layer on."""
        downtrack = self.downtracks.get(subscriber)
        choice = self.choices.get(subscriber)
        if downtrack is None or choice is None:
            return
        downtrack.restart()
        choice.target = choose_layer(self.layers, choice, time.monotonic())
        if choice.target is not None:
            self._request_layer(choice.target)

    def request_keyframe(self) -> None:
        """A subscriber lost a picture: a keyframe of every layer someone receives."""
        for layer in {c.current or c.target for c in self.choices.values()} - {None}:
            assert layer is not None
            self._request_layer(layer)

    def _request_layer(self, layer: Layer) -> None:
        ssrc = layer.ssrc
        if ssrc is None or ssrc in self._layer_timers or not self.downtracks:
            return
        loop = asyncio.get_running_loop()
        wait = self._last_layer_request.get(ssrc, -1e9) + self._keyframe_min_interval - loop.time()
        if wait > 0:
            self._layer_timers[ssrc] = loop.call_later(wait, self._send_layer_request, ssrc)
        else:
            self._send_layer_request(ssrc)

    def _send_layer_request(self, ssrc: int) -> None:
        self._layer_timers.pop(ssrc, None)
        ingress = self.ingress
        if not isinstance(ingress, LayeredIngress):
            return
        self._last_layer_request[ssrc] = asyncio.get_running_loop().time()
        self.keyframe_requests += 1
        task = asyncio.ensure_future(ingress.request_layer_keyframe(ssrc))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def retransmit(self, subscriber: str, out_seq: int) -> None:
        """A subscriber NACKed a packet the relay no longer has: ask the publisher's layer."""
        choice = self.choices.get(subscriber)
        original = choice.original_of(out_seq) if choice else None
        if original is None or not isinstance(self.ingress, LayeredIngress):
            return
        task = asyncio.ensure_future(
            self.ingress.request_retransmission(original[0], [original[1]])
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def close(self) -> None:
        if self.downtracks or self.ingress is not None:  # once
            self.retired[0] += self.switches
            self.retired[1] += self.keyframe_requests
        for timer in self._layer_timers.values():
            timer.cancel()
        self._layer_timers.clear()
        self.choices.clear()
        super().close()

    def on_packet(self, packet: RtpPacket, codec: RTCRtpCodecParameters) -> None:
        self.packets_in += 1
        layer = self._by_ssrc.get(packet.ssrc)
        if layer is None:
            return
        now = time.monotonic()
        layer.last_packet = now
        payload = packet.payload
        layer.octets += len(payload)
        keyframe = is_keyframe_start(codec_name(codec), payload)
        if keyframe and codec_name(codec) == "VP8":
            size = vp8.keyframe_size(payload)
            if size is not None:
                layer.width, layer.height = size
        if not self.live:
            self.live = True
            self._on_first_packet(self)
        if not self.forwarding or not self.downtracks:
            return
        abs_send_time = abs_send_time_bytes()
        ntp = ntp_now() if packet.marker else 0
        rewrite = codec_name(codec) == "VP8"
        for subscriber, downtrack in list(self.downtracks.items()):
            choice = self.choices.get(subscriber)
            if choice is None or downtrack.paused:
                continue
            if not downtrack.ready and not downtrack.prepare(codec):
                continue
            if choice.current is not layer or downtrack.waiting_keyframe:
                if choice.target is None:
                    choice.target = choose_layer(self.layers, choice, now)
                if choice.target is not layer or not keyframe:
                    stalled = choice.current is None or downtrack.waiting_keyframe
                    if stalled and choice.target is not None:
                        self._request_layer(choice.target)
                    continue
                self._switch(choice, downtrack, layer)
            try:
                if rewrite:
                    self._forward_vp8(choice, downtrack, packet, payload, now, abs_send_time, ntp)
                else:
                    downtrack.forward(packet, now, abs_send_time, ntp)
            except Exception:
                logger.exception("forwarding to %s failed; dropping it", subscriber)
                self.downtracks.pop(subscriber, None)
        packet.payload = payload

    def _switch(self, choice: Choice, downtrack: Downtrack, layer: Layer) -> None:
        if choice.current is not None and choice.current is not layer:
            choice.switches += 1
            self.switches += 1
        choice.current = layer
        choice.rebase_ids = True
        downtrack.rebase = True
        downtrack.waiting_keyframe = False

    def _forward_vp8(
        self,
        choice: Choice,
        downtrack: Downtrack,
        packet: RtpPacket,
        payload: bytes,
        now: float,
        abs_send_time: bytes,
        ntp: int,
    ) -> None:
        rebasing = downtrack.rebase
        if choice.rebase_ids:
            choice.rebase_ids = False
            pid, tl0 = vp8.read_ids(payload)
            if pid is not None and choice.last_pid >= 0:
                choice.pid_offset = choice.last_pid + 1 - pid
            if tl0 is not None and choice.last_tl0 >= 0:
                choice.tl0_offset = choice.last_tl0 + 1 - tl0
        packet.payload, pid, tl0 = self._rewrite_ids(payload, choice.pid_offset, choice.tl0_offset)
        if pid >= 0:
            choice.last_pid = pid
        if tl0 >= 0:
            choice.last_tl0 = tl0
        downtrack.forward(packet, now, abs_send_time, ntp)
        if rebasing and not downtrack.rebase:
            first = (packet.sequence_number + downtrack.seq_offset) & 0xFFFF
            choice.epochs.append((first, packet.ssrc, downtrack.seq_offset))
            del choice.epochs[:-NACK_EPOCHS]
            downtrack.egress.resend_from = first


def _no_level(publisher: str, level: int) -> None:
    return None
