"""The relay process's event loop: asyncio unless asked for uvloop."""

import asyncio

import pytest

from media.runtime import DEFAULT_LOOP, run


async def running_loop_type() -> type:
    return type(asyncio.get_running_loop())


def test_relay_processes_run_on_plain_asyncio_by_default():
    assert DEFAULT_LOOP == "asyncio"
    assert run(running_loop_type()).__module__.startswith("asyncio")


def test_uvloop_can_be_chosen():
    uvloop = pytest.importorskip("uvloop")
    assert run(running_loop_type(), "uvloop") is uvloop.Loop
