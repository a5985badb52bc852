"""A socket's refusals reach the log once a window (a minute in service; shorter here)."""

import asyncio
import logging

from signaling.refusals import SUMMARY_SECONDS, RefusalSummary


def _summaries(caplog) -> list[dict]:
    return [r.codes for r in caplog.records if r.getMessage() == "frames refused"]


async def test_one_line_a_window_then_what_is_left_at_the_close(caplog):
    caplog.set_level(logging.INFO)
    assert SUMMARY_SECONDS == 60
    refusals = RefusalSummary(every=0.2)
    for _ in range(5):
        refusals.add("forbidden")
    refusals.add("rate_limited")
    await asyncio.sleep(0.1)
    assert _summaries(caplog) == []  # nothing before the window ends
    await asyncio.sleep(0.2)
    assert _summaries(caplog) == [{"forbidden": 5, "rate_limited": 1}]
    assert caplog.records[-1].count == 6 and caplog.records[-1].levelname == "WARNING"

    refusals.add("forbidden")
    refusals.write()  # the socket closes before the next window ends
    await asyncio.sleep(0.3)
    refusals.write()  # closing again, with nothing pending, writes nothing
    assert _summaries(caplog)[1:] == [{"forbidden": 1}]
    assert caplog.records[-1].levelname == "INFO"
