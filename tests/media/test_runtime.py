"""The relay process's event loop: asyncio unless asked for uvloop; wake-ups paced on request."""

import asyncio
import socket
import time
from typing import Any

import pytest

from media.aiortc_private.media_selector import MediaSelector, buildable, media_event_loop
from media.runtime import DEFAULT_LOOP, DEFAULT_WAKE_INTERVAL, PacedSelector, run

# the paced selectors: asyncio's with PacedSelector, and the media worker's own wait
PACERS = ["asyncio", "media"] if buildable() else ["asyncio"]


def run_paced(main: Any, pacer: str, interval: float) -> Any:
    def factory() -> asyncio.AbstractEventLoop:
        if pacer == "media":
            return media_event_loop(interval)
        return asyncio.SelectorEventLoop(PacedSelector(interval))

    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


async def running_loop_type() -> type:
    return type(asyncio.get_running_loop())


async def running_selector() -> object:
    return asyncio.get_running_loop()._selector  # type: ignore[attr-defined]


def test_relay_processes_run_on_plain_asyncio_by_default():
    assert DEFAULT_LOOP == "asyncio"
    assert run(running_loop_type()).__module__.startswith("asyncio")


def test_uvloop_can_be_chosen():
    uvloop = pytest.importorskip("uvloop")
    assert run(running_loop_type(), "uvloop") is uvloop.Loop


def test_wake_ups_are_paced_only_when_the_environment_asks(monkeypatch):
    monkeypatch.delenv("MEDIA_WAKE_INTERVAL_MS", raising=False)
    assert DEFAULT_WAKE_INTERVAL == 0
    assert getattr(run(running_selector()), "interval", 0) == 0
    monkeypatch.setenv("MEDIA_WAKE_INTERVAL_MS", "12.5")
    selector = run(running_selector())
    assert isinstance(selector, PacedSelector | MediaSelector)
    assert selector.interval == 0.0125
    monkeypatch.setenv("MEDIA_COMPILED_WAIT", "0")
    assert isinstance(run(running_selector()), PacedSelector)


def test_relay_processes_forward_media_inside_the_wait_unless_turned_off(monkeypatch):
    from media.aiortc_private import media_selector

    monkeypatch.delenv("MEDIA_WAKE_INTERVAL_MS", raising=False)
    monkeypatch.delenv("MEDIA_COMPILED_WAIT", raising=False)
    if not media_selector.buildable():
        pytest.skip("_packet_io is not built, or not on Linux")
    assert isinstance(run(running_selector()), media_selector.MediaSelector)
    for setting in ("MEDIA_COMPILED_WAIT=0", "MEDIA_BATCH_RECEIVE=0", "MEDIA_PACKET_IO=python"):
        name, value = setting.split("=")
        monkeypatch.setenv(name, value)
        assert not isinstance(run(running_selector()), media_selector.MediaSelector), setting
        monkeypatch.delenv(name)


def udp_pair() -> tuple[socket.socket, socket.socket]:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.setblocking(False)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.connect(receiver.getsockname())
    return receiver, sender


def drain(sock: socket.socket) -> list[bytes]:
    got = []
    while True:
        try:
            got.append(sock.recv(100))
        except BlockingIOError:
            return got


async def reads_per_wake_up() -> dict:
    """Five datagrams 30 ms apart from another thread, as a publisher sends them: what
    each wake-up of the reader found, and how long the first datagram waited."""
    loop = asyncio.get_running_loop()
    receiver, sender = udp_pair()
    wake_ups: list[tuple[float, list[bytes]]] = []
    loop.add_reader(receiver, lambda: wake_ups.append((time.monotonic(), drain(receiver))))

    def send() -> float:
        time.sleep(0.6)  # longer than any interval below: the loop is idle
        sent_at = time.monotonic()
        for n in range(5):
            sender.send(str(n).encode())
            time.sleep(0.03)
        return sent_at

    try:
        sent_at = await asyncio.to_thread(send)
        while sum(len(got) for _, got in wake_ups) < 5:
            await asyncio.sleep(0.01)
        return {"first_wait": wake_ups[0][0] - sent_at, "batches": [got for _, got in wake_ups]}
    finally:
        loop.remove_reader(receiver)
        receiver.close()
        sender.close()


@pytest.mark.parametrize("pacer", PACERS)
def test_datagrams_that_arrive_soon_after_a_wake_up_are_read_in_one_wake_up(pacer):
    paced = run_paced(reads_per_wake_up(), pacer, 0.5)
    # the first wakes an idle loop at once; the next four, within the interval, wait
    # for the loop's next wake-up and are read together, in order
    assert paced["batches"] == [[b"0"], [b"1", b"2", b"3", b"4"]]
    assert paced["first_wait"] < 0.2


def test_without_pacing_each_datagram_wakes_the_loop():
    unpaced = run(reads_per_wake_up(), wake_interval=0)
    assert unpaced["batches"] == [[b"0"], [b"1"], [b"2"], [b"3"], [b"4"]]


async def timer_delay(after: float) -> float:
    loop = asyncio.get_running_loop()
    receiver, sender = udp_pair()
    woke = asyncio.Event()
    loop.add_reader(receiver, lambda: (drain(receiver), woke.set()))
    try:
        sender.send(b"x")
        await woke.wait()  # the loop just woke: a paced loop would now wait
        start = time.monotonic()
        await asyncio.sleep(after)
        return time.monotonic() - start
    finally:
        loop.remove_reader(receiver)
        receiver.close()
        sender.close()


@pytest.mark.parametrize("pacer", PACERS)
def test_a_timer_due_before_the_interval_ends_is_not_held_back(pacer):
    assert run_paced(timer_delay(0.01), pacer, 0.5) < 0.25


@pytest.mark.parametrize("value", ["ten", "-5", "nan", "5000"])
def test_a_wrong_wake_interval_stops_the_worker_at_start_with_the_setting_named(monkeypatch, value):
    monkeypatch.setenv("MEDIA_WAKE_INTERVAL_MS", value)
    with pytest.raises(ValueError, match="MEDIA_WAKE_INTERVAL_MS"):
        run(running_selector())
