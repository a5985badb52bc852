"""aiortc's per-packet receive bookkeeping with a short path for the usual packet.

Every received RTP packet goes through ``StreamStatistics.add`` (what receiver reports
say) and, for video, ``NackGenerator.add`` (which sequence numbers to NACK). Nearly all
packets are the one after the last; for those these subclasses do the same updates
without aiortc's general wrap-around and gap bookkeeping, and defer to it otherwise.
Compiled, their fields live in C base classes, and ``_receive.c`` does the same short
path for the usual packet without calling them (``packet_io.media_receiver``).
"""

from __future__ import annotations

import time

from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import NackGenerator, StreamStatistics
from aiortc.rtp import RtpPacket

from .names import PrivateName
from .packet_io import NackState, StatsState

PRIVATE = (
    PrivateName(StreamStatistics, "_clockrate", "attribute"),
    PrivateName(StreamStatistics, "_jitter_q4", "attribute"),
    PrivateName(StreamStatistics, "_last_arrival", "attribute"),
    PrivateName(StreamStatistics, "_last_timestamp", "attribute"),
)


class NextPacketNackGenerator(NackState, NackGenerator):
    def add(self, packet: RtpPacket) -> bool:
        max_seq = self.max_seq
        seq = packet.sequence_number
        if max_seq is None or self.missing or seq != (max_seq + 1) & 0xFFFF:
            return super().add(packet)
        self.max_seq = seq  # nothing missed, nothing tracked to truncate
        return False


class NextPacketStreamStatistics(StatsState, StreamStatistics):
    def add(self, packet: RtpPacket) -> None:
        max_seq = self.max_seq
        seq = packet.sequence_number
        if max_seq is None or seq != (max_seq + 1) & 0xFFFF:
            super().add(packet)
            return
        self.packets_received += 1
        arrival = int(time.time() * self._clockrate)
        if seq < max_seq:
            self.cycles += 1 << 16
        self.max_seq = seq
        timestamp = packet.timestamp
        last_timestamp = self._last_timestamp
        if timestamp != last_timestamp and self.packets_received > 1:
            assert self._last_arrival is not None and last_timestamp is not None
            diff = abs((arrival - self._last_arrival) - (timestamp - last_timestamp))
            self._jitter_q4 += diff - ((self._jitter_q4 + 8) >> 4)
        self._last_arrival = arrival
        self._last_timestamp = timestamp


def next_packet_nack_generator(generator: NackGenerator) -> NextPacketNackGenerator:
    """``generator``'s state in the subclass."""
    faster = NextPacketNackGenerator()
    faster.max_seq = generator.max_seq
    faster.missing = generator.missing
    return faster


_names: dict[str, str] = {}


def codec_name(codec: RTCRtpCodecParameters) -> str:
    """``codec.name`` (which splits the MIME type on every call), remembered."""
    mime_type = codec.mimeType
    name = _names.get(mime_type)
    if name is None:
        name = _names[mime_type] = codec.name
    return name
