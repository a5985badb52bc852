"""The VP8 RTP payload descriptor (RFC 7741): read and renumber picture ids, find keyframes.

A simulcast subscriber switching layers must see one picture-id sequence: each layer's
encoder numbers its pictures on its own, so the relay renumbers them, once per packet per
subscriber: ``id_rewriter()`` gives the compiled renumbering (``_packet_io``) when it is
built, else ``rewrite_ids`` below (same bytes out).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from .aiortc_private import packet_io

# (payload, picture-id offset, TL0PICIDX offset) -> (payload, picture id or -1, TL0PICIDX or -1)
RewriteIds = Callable[[bytes, int, int], tuple[bytes, int, int]]


def descriptor_ids(payload: bytes) -> tuple[int, int, int, int]:
    """(picture-id offset or -1, picture-id bits (0, 7 or 15), TL0PICIDX offset or -1,
    descriptor length) of a VP8 payload."""
    if not payload:
        return -1, 0, -1, 0
    if not payload[0] & 0x80:
        return -1, 0, -1, 1
    size = len(payload)
    if size < 2:
        return -1, 0, -1, size
    ext = payload[1]
    i = 2
    pid_at, pid_bits, tl0_at = -1, 0, -1
    if ext & 0x80 and i < size:
        pid_at = i
        if payload[i] & 0x80:
            pid_bits = 15
            i += 2
        else:
            pid_bits = 7
            i += 1
    if ext & 0x40:
        tl0_at = i
        i += 1
    if ext & 0x30:
        i += 1
    if i > size:
        return -1, 0, -1, size
    return pid_at, pid_bits, tl0_at, i


def read_ids(payload: bytes) -> tuple[int | None, int | None]:
    """(picture id, TL0PICIDX) of a VP8 payload; None where absent."""
    pid_at, bits, tl0_at, _ = descriptor_ids(payload)
    pid = None
    if bits == 15:
        pid = struct.unpack_from("!H", payload, pid_at)[0] & 0x7FFF
    elif bits == 7:
        pid = payload[pid_at] & 0x7F
    return pid, (payload[tl0_at] if tl0_at >= 0 else None)


def rewrite_ids(payload: bytes, pid_offset: int, tl0_offset: int) -> tuple[bytes, int, int]:
    """The payload with picture id + ``pid_offset`` and TL0PICIDX + ``tl0_offset`` (each in
    its own width); returns (payload, new picture id or -1, new TL0PICIDX or -1)."""
    pid_at, bits, tl0_at, _ = descriptor_ids(payload)
    if bits == 0 and tl0_at < 0:
        return payload, -1, -1
    data = bytearray(payload)
    pid = tl0 = -1
    if bits == 15:
        pid = ((data[pid_at] & 0x7F) << 8 | data[pid_at + 1]) + pid_offset & 0x7FFF
        data[pid_at] = 0x80 | pid >> 8
        data[pid_at + 1] = pid & 0xFF
    elif bits == 7:
        pid = (data[pid_at] & 0x7F) + pid_offset & 0x7F
        data[pid_at] = pid
    if tl0_at >= 0:
        tl0 = data[tl0_at] + tl0_offset & 0xFF
        data[tl0_at] = tl0
    return bytes(data), pid, tl0


def id_rewriter(compiled_path: bool | None = None) -> RewriteIds:
    """``rewrite_ids``, compiled unless not built or ``MEDIA_PACKET_IO=python``."""
    if compiled_path is None:
        compiled_path = packet_io.use_compiled()
    if compiled_path and packet_io.compiled is not None:
        rewrite: RewriteIds = packet_io.compiled.rewrite_vp8_ids
        return rewrite
    return rewrite_ids


def keyframe_size(payload: bytes) -> tuple[int, int] | None:
    """(width, height) from the first packet of a VP8 keyframe; None for anything else."""
    _, _, _, start = descriptor_ids(payload)
    frame = payload[start : start + 10]
    if len(frame) < 10 or frame[0] & 0x01 or frame[3:6] != b"\x9d\x01\x2a":
        return None
    width, height = struct.unpack_from("<HH", frame, 6)
    return width & 0x3FFF, height & 0x3FFF
