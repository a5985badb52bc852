"""``check_hooks()``: every private name the other modules declare, against what is installed."""

from __future__ import annotations

import asyncio
import importlib.metadata
import inspect
import re
from collections.abc import Iterator

import pylibsrtp
from aiortc import RTCPeerConnection

from . import (
    batch_receive,
    codecs,
    ice,
    layers,
    media_selector,
    packet_io,
    receive_stats,
    receiver,
    sender,
    transport,
)
from .names import PrivateName

PINNED = {"aiortc": "1.16.0", "aioice": "0.13.0"}
MODULES = (
    receiver,
    receive_stats,
    layers,
    sender,
    transport,
    packet_io,
    batch_receive,
    media_selector,
    ice,
    codecs,
)


class HookError(RuntimeError):
    """aiortc/aioice no longer look the way the relay's hooks expect."""


def declarations() -> Iterator[PrivateName]:
    for module in MODULES:
        yield from module.PRIVATE


def check_hooks() -> None:
    """Fail loudly if an upgrade moved any private name the relay relies on."""
    problems = []
    for package, version in PINNED.items():
        installed = importlib.metadata.version(package)
        if installed != version:
            problems.append(f"{package} is {installed}, the hooks were written for {version}")
    samples = _samples()
    for declared in dict.fromkeys(declarations()):
        problem = _problem(declared, samples)
        if problem:
            problems.append(problem)
    if problems:
        raise HookError(
            "media/aiortc_private/ no longer matches the installed aiortc/aioice: "
            + "; ".join(problems)
            + ". Re-read rtcrtpreceiver.py/rtcrtpsender.py and update the hooks, "
            "or pin back to " + ", ".join(f"{p}=={v}" for p, v in PINNED.items())
        )


def _problem(declared: PrivateName, samples: dict[type, object]) -> str | None:
    owner, name = declared.owner, declared.name
    if declared.kind == "method":
        if callable(getattr(owner, name, None)):
            return None
        return f"{declared.label}.{name} is gone"
    if not isinstance(owner, type):  # a module's (or cffi library's) attribute
        return None if hasattr(owner, name) else f"{declared.label}.{name} is gone"
    sample = samples.get(owner)
    if sample is not None:
        return None if hasattr(sample, name) else f"{declared.label} has no {name}"
    # no instance to look at: the class (or a base) must assign it in its source
    short = re.sub(r"^_[A-Za-z]\w*?(__\w+)$", r"\1", name)  # _Cls__x is self.__x in source
    for cls in owner.__mro__:
        try:
            source = inspect.getsource(cls)
        except (OSError, TypeError):  # builtins, C extensions
            continue
        if re.search(rf"self\.{re.escape(short)}\s*[:=]", source):
            return None
    return f"{declared.label} has no {name}"


def _samples() -> dict[type, object]:
    """One constructed instance of each aiortc/aioice/pylibsrtp class whose instance
    attributes are declared (built with public API only, where it can be)."""

    async def build() -> dict[type, object]:
        pc = RTCPeerConnection()
        try:
            transceiver = pc.addTransceiver("video", direction="sendonly")
            dtls = transceiver.receiver.transport
            found: list[object] = [transceiver, transceiver.sender, transceiver.receiver, dtls]
            found.append(dtls.transport)
            found.append(getattr(dtls.transport, "_connection", None))
            found.append(
                getattr(transceiver.sender, "_RTCRtpSender__rtp_header_extensions_map", None)
            )
        finally:
            await pc.close()
        policy = pylibsrtp.Policy(key=bytes(30), ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND)
        found.append(pylibsrtp.Session(policy))
        return {type(sample): sample for sample in found if sample is not None}

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(build())
    raise HookError("check_hooks() must be called outside a running event loop")
