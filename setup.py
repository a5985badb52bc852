"""The relay's compiled per-datagram path; optional: without a C compiler the pure-Python
path in media/aiortc_private/packet_io.py runs instead (same bytes on the wire)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "media.aiortc_private._packet_io",
            [
                "media/aiortc_private/_packet_io.c",
                "media/aiortc_private/_fan_out.c",
                "media/aiortc_private/_receive.c",
                "media/aiortc_private/_publication.c",
                "media/aiortc_private/_vp8_ids.c",
                "media/aiortc_private/_batch_read.c",
                "media/aiortc_private/_media_wait.c",
            ],
            depends=["media/aiortc_private/_packet_io.h"],
            extra_compile_args=["-O2"],
            optional=True,
        )
    ]
)
