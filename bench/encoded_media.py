"""Pre-encoded 640x480 VP8 at 30 fps and 20 ms Opus, made once so clients only replay.

Each replayed frame carries a 12-byte trailer (send time, wall clock shared by all
processes, and a magic number) so a subscriber can time it without decoding anything.
"""

from __future__ import annotations

import fractions
import pickle
import struct
import time
from pathlib import Path

import av
import numpy as np

WIDTH, HEIGHT, FPS = 640, 480, 30
GOP = 90
VIDEO_BITRATE = 800_000
TRAILER = struct.Struct("!dI")
MAGIC = 0x5EEDF00D


def stamp(data: bytes) -> bytes:
    return data + TRAILER.pack(time.time(), MAGIC)


def read_stamp(payload: bytes) -> float | None:
    if len(payload) < TRAILER.size:
        return None
    sent, magic = TRAILER.unpack_from(payload, len(payload) - TRAILER.size)
    return sent if magic == MAGIC else None


def _picture(index: int, rng: np.random.Generator) -> np.ndarray:
    y = np.add.outer(np.arange(HEIGHT), np.arange(WIDTH)).astype(np.int32)
    y = ((y + index * 4) % 256).astype(np.uint8)
    x0 = (index * 12) % (WIDTH - 120)
    y[180:300, x0 : x0 + 120] = 255 - y[180:300, x0 : x0 + 120]
    y[::2, ::2] ^= rng.integers(0, 12, size=(HEIGHT // 2, WIDTH // 2), dtype=np.uint8)
    uv = np.full((HEIGHT // 2, WIDTH), 128, dtype=np.uint8)
    return np.concatenate([y, uv])


def encode_video(frames: int = GOP, scale: int = 1) -> list[bytes]:
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = WIDTH // scale, HEIGHT // scale, "yuv420p"
    codec.bit_rate = VIDEO_BITRATE // (scale * scale)
    codec.framerate = fractions.Fraction(FPS, 1)
    codec.time_base = fractions.Fraction(1, FPS)
    codec.gop_size = GOP
    codec.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    rng = np.random.default_rng(1)
    out: list[bytes] = []
    for i in range(frames):
        frame = av.VideoFrame.from_ndarray(_picture(i, rng), format="yuv420p")
        if scale > 1:
            frame = frame.reformat(WIDTH // scale, HEIGHT // scale)
        frame.pts = i
        frame.time_base = codec.time_base
        out += [bytes(p) for p in codec.encode(frame)]
    out += [bytes(p) for p in codec.encode(None)]
    return out


def encode_audio(packets: int = 150) -> list[bytes]:
    codec = av.CodecContext.create("libopus", "w")
    # mono, as Chromium sends a microphone (about 34 kbit/s comes out for this tone)
    codec.sample_rate, codec.layout, codec.format = 48000, "mono", "s16"
    codec.bit_rate = 24000
    out: list[bytes] = []
    for i in range(packets):
        t = (np.arange(960) + i * 960) / 48000
        wave = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(wave.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts = 48000, i * 960
        frame.time_base = fractions.Fraction(1, 48000)
        out += [bytes(p) for p in codec.encode(frame)]
    return out


def load(path: Path) -> tuple[list[bytes], list[bytes]]:
    if not path.exists():
        path.write_bytes(pickle.dumps((encode_video(), encode_audio())))
    return pickle.loads(path.read_bytes())


SIMULCAST_SCALES = {"q": 4, "h": 2, "f": 1}  # rid -> scaleResolutionDownBy, as the page sends


def load_layers(path: Path) -> dict[str, list[bytes]]:
    """The same video encoded at 1/4, 1/2 and full size, by rid (simulcast publishers)."""
    if not path.exists():
        layers = {rid: encode_video(scale=scale) for rid, scale in SIMULCAST_SCALES.items()}
        path.write_bytes(pickle.dumps(layers))
    return pickle.loads(path.read_bytes())
