"""What a meeting leaves in the log: ids of sockets and meetings, codes and counts, never
what people wrote or are called; a flood of refused frames is one line, not one a frame."""

import json
import logging
import secrets

import pytest

from tests import log_lines

pytestmark = pytest.mark.django_db(transaction=True)


def _everything_in(caplog) -> str:
    """Each record's message and every attribute it carries (its `extra` fields too)."""
    return "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)


async def test_what_people_write_and_are_called_stays_out_of_the_log(room, caplog):
    caplog.set_level(logging.DEBUG)
    marker = f"qz{secrets.token_hex(4)}"
    with log_lines.captured() as lines:
        await room.facilitator.send(
            {"type": "checkin.post", "kind": "text", "question": "One word for today?"}
        )
        prompt = (await room.facilitator.expect("checkin.posted"))["prompt"]
        heron = await room.admitted_peer(f"Heron {marker}")

        await heron.send({"type": "chat.send", "text": f"I said {marker} out loud"})
        await room.facilitator.expect("chat.message")
        await heron.send({"type": "support.request", "note": f"feeling {marker}"})
        await room.facilitator.expect("attention.item")
        await heron.send({"type": "checkin.answer", "prompt_id": prompt["id"], "text": marker})
        await heron.expect("checkin.answered")
        # refused frames that carry it: too long, and of a type nobody knows
        await heron.send({"type": "chat.send", "text": marker * 2000})
        await heron.send_raw(json.dumps({"type": marker, "text": marker}))
        await heron.expect("error")
        await heron.expect("error")
        await heron.close()

    written = lines()
    assert any(line["event"] == "frames refused" for line in written)
    assert marker not in json.dumps(written)
    assert marker not in _everything_in(caplog)
    assert marker not in caplog.text


async def test_a_flood_of_refused_frames_is_one_line_with_its_count(room, caplog):
    caplog.set_level(logging.DEBUG)
    with log_lines.captured() as lines:
        heron = await room.admitted_peer("Calm Heron")
        flood = 300
        for _ in range(flood):
            await heron.send_raw("not json")  # bad_json, then rate_limited once over the rate
        refused = [m for m in await heron.drain() if m["type"] == "error"]
        assert len(refused) == flood
        await heron.close()

    written = lines()
    summaries = [line for line in written if line["event"] == "frames refused"]
    assert len(summaries) == 1, summaries
    (summary,) = summaries
    assert summary["count"] == flood and sum(summary["codes"].values()) == flood
    assert set(summary["codes"]) == {"bad_json", "rate_limited"}
    assert summary["level"] == "warning"
    # the socket's lines say which socket and which meeting
    meeting_id = str(room.meeting.id)
    socket_lines = [line for line in written if line.get("socket_id") == summary["socket_id"]]
    assert {line["event"] for line in socket_lines} == {
        "websocket connected",
        "frames refused",
        "websocket closed",
    }
    assert all(line["meeting_id"] == meeting_id for line in socket_lines)
