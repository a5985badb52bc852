"""The media worker's event loop forwards media inside its wait (``MediaSelector``): what the
compiled receiver takes never wakes Python, and everything else still arrives on time."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from media.aiortc_private import batch_receive, media_selector
from media.aiortc_private.media_selector import MediaSelector, media_event_loop

from .test_batch_receive import Recorder, media_and_the_rest

pytestmark = pytest.mark.skipif(
    not media_selector.buildable(), reason="_packet_io is not built, or not on Linux"
)

MEDIA = bytes([0x80, 0x60, 0, 0])  # what the receiver's filter lets through: RTP, not RTCP


def on_media_loop(main: Coroutine[Any, Any, Any], interval: float = 0.0) -> Any:
    with asyncio.Runner(loop_factory=lambda: media_event_loop(interval)) as runner:
        return runner.run(main)


def send_in_background(
    target: tuple, count: int, spacing: float, data: Callable[[int], bytes] = lambda i: MEDIA
) -> threading.Thread:
    def send() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            for i in range(count):
                sender.sendto(data(i), target)
                time.sleep(spacing)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


async def media_endpoint(take: Callable[[bytes], Any]) -> tuple[Any, Recorder]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(Recorder, local_addr=("127.0.0.1", 0))
    finish = lambda data, result: None  # noqa: E731
    assert batch_receive.batch_reads(protocol, None, lambda: (take, finish))
    return transport, protocol


def count_selects(selector: Any) -> list[int]:
    returned = [0]
    select = selector.select

    def counted(timeout: float | None = None) -> Any:
        events = select(timeout)
        returned[0] += 1
        return events

    selector.select = counted
    return returned


def test_media_the_receiver_does_not_take_keeps_its_path_on_the_media_selector():
    async def main() -> None:
        assert isinstance(asyncio.get_running_loop()._selector, MediaSelector)  # type: ignore[attr-defined]
        await media_and_the_rest()

    on_media_loop(main())


@pytest.mark.parametrize("media_wait", [True, False], ids=["media-selector", "asyncio"])
def test_forwarded_datagrams_do_not_wake_the_loop(media_wait):
    """50 datagrams 4 ms apart: asyncio's own selector returns for (nearly) each; the media
    selector forwards all of them inside one wait."""

    async def main() -> tuple[int, list[bytes]]:
        taken: list[bytes] = []
        transport, _ = await media_endpoint(lambda data: taken.append(data))
        returned = count_selects(asyncio.get_running_loop()._selector)  # type: ignore[attr-defined]
        sender = send_in_background(
            transport.get_extra_info("sockname"), 50, 0.004, lambda i: MEDIA + bytes([i])
        )
        await asyncio.sleep(0.5)
        sender.join()
        transport.close()
        return returned[0], taken

    if media_wait:
        selects, taken = on_media_loop(main())
    else:
        selects, taken = asyncio.run(main())
    assert taken == [MEDIA + bytes([i]) for i in range(50)]
    if media_wait:
        assert selects <= 3
    else:
        assert selects >= 25


def test_timers_fire_on_time_while_media_flows():
    async def main() -> list[float]:
        transport, _ = await media_endpoint(lambda data: None)
        sender = send_in_background(transport.get_extra_info("sockname"), 200, 0.002)
        late = []
        for _ in range(5):
            start = time.monotonic()
            await asyncio.sleep(0.05)
            late.append(time.monotonic() - start - 0.05)
        sender.join()
        transport.close()
        return late

    late = on_media_loop(main())
    assert max(late) < 0.02


@pytest.mark.parametrize("schedule", ["call_soon", "call_later"])
def test_what_the_receiver_schedules_runs_at_once(schedule):
    """A receiver that hands something to the loop (a keyframe request, a loss report) must
    not wait for the next timer: here the next is 5 s away."""

    async def main() -> float:
        loop = asyncio.get_running_loop()
        done = asyncio.Event()

        def take(data: bytes) -> None:
            if schedule == "call_soon":
                loop.call_soon(done.set)
            else:
                loop.call_later(0.01, done.set)

        transport, _ = await media_endpoint(take)
        far = loop.call_later(5, lambda: None)
        await asyncio.sleep(0.05)  # the loop is waiting now
        start = time.monotonic()
        send_in_background(transport.get_extra_info("sockname"), 1, 0).join()
        await asyncio.wait_for(done.wait(), 5)
        far.cancel()
        transport.close()
        return time.monotonic() - start

    assert on_media_loop(main()) < 0.5


def test_a_failing_receiver_is_logged_and_later_media_still_flows(caplog):
    async def main() -> list[bytes]:
        taken: list[bytes] = []
        failed = [False]

        def provider() -> Any:
            if not failed[0]:
                failed[0] = True
                raise RuntimeError("the receiver's state is gone")
            return (taken.append, lambda data, result: None)

        loop = asyncio.get_running_loop()
        transport, protocol = await loop.create_datagram_endpoint(
            Recorder, local_addr=("127.0.0.1", 0)
        )
        assert batch_receive.batch_reads(protocol, None, provider)
        target = transport.get_extra_info("sockname")
        send_in_background(target, 1, 0).join()
        await asyncio.sleep(0.1)
        send_in_background(target, 3, 0.01).join()
        await asyncio.sleep(0.1)
        transport.close()
        return taken

    with caplog.at_level(logging.ERROR):
        taken = on_media_loop(main())
    assert taken == [MEDIA] * 4  # the first stayed queued while the receiver failed
    assert "a batch read failed" in caplog.text


def test_a_closed_media_socket_is_forgotten():
    async def main() -> None:
        selector = asyncio.get_running_loop()._selector  # type: ignore[attr-defined]
        transport, _ = await media_endpoint(lambda data: None)
        fd = transport.get_extra_info("socket").fileno()
        assert fd in selector._media
        transport.close()
        await asyncio.sleep(0)  # the transport closes on the next iteration
        assert fd not in selector._media
        # a plain endpoint that gets the same descriptor reads as asyncio does
        loop = asyncio.get_running_loop()
        plain, recorder = await loop.create_datagram_endpoint(Recorder, local_addr=("127.0.0.1", 0))
        send_in_background(plain.get_extra_info("sockname"), 2, 0).join()
        await asyncio.sleep(0.1)
        assert [data for data, _ in recorder.received] == [MEDIA, MEDIA]
        plain.close()

    on_media_loop(main())


@pytest.mark.parametrize("interval", [0.5, 0.0], ids=["paced", "not-paced"])
def test_paced_media_is_read_together_and_the_first_after_idle_at_once(interval):
    """MEDIA_WAKE_INTERVAL_MS on the media selector: five datagrams 30 ms apart after a
    pause reach the receiver in two reads (the first at once, the rest together)."""

    async def main() -> tuple[int, float]:
        arrived: list[float] = []
        transport, _ = await media_endpoint(lambda data: arrived.append(time.monotonic()))
        target = transport.get_extra_info("sockname")
        reads_before = batch_receive.read_counts()[0]
        sent_at: list[float] = []

        def send() -> None:
            time.sleep(0.6)  # longer than the interval: the loop is idle, waiting
            sent_at.append(time.monotonic())
            send_in_background(target, 5, 0.03).join()

        await asyncio.to_thread(send)
        while len(arrived) < 5:
            await asyncio.sleep(0.01)
        transport.close()
        return batch_receive.read_counts()[0] - reads_before, arrived[0] - sent_at[0]

    reads, first_wait = on_media_loop(main(), interval)
    assert first_wait < 0.2
    assert reads == (2 if interval else 5)
