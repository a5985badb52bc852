"""The relay process's event loop: uvloop by default (what the benchmark measured)."""

import asyncio

import uvloop

from media.runtime import chosen_loop, run


async def running_loop_type() -> type:
    return type(asyncio.get_running_loop())


def test_relay_processes_run_on_uvloop_by_default():
    assert chosen_loop() == "uvloop"
    assert run(running_loop_type()) is uvloop.Loop


def test_the_plain_asyncio_loop_can_still_be_chosen():
    assert chosen_loop("asyncio") == "asyncio"
    assert not issubclass(run(running_loop_type(), "asyncio"), uvloop.Loop)
