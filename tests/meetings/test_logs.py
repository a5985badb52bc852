"""LOG_FORMAT: JSON lines by default, readable text for a terminal; X-Request-ID kept only
when it looks like an id."""

import functools
import io
import logging

import pytest
from structlog.contextvars import bound_contextvars

from meetings import logs
from meetings.access_log import AccessLog, request_id


def _written(fmt: str) -> str:
    spec = dict(logs.config(fmt=fmt)["formatters"]["structured"])
    handler = logging.StreamHandler(stream := io.StringIO())
    handler.setFormatter(spec.pop("()")(**spec))
    logger = logging.getLogger("tests.logs")
    logger.addHandler(handler)
    try:
        with bound_contextvars(socket_id="5ock37", meeting_id="m-1"):
            logger.warning("frames refused", extra={"count": 3, "request": "<ASGIRequest>"})
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_text_for_a_terminal_has_the_same_fields_as_json():
    text = _written("text")
    assert "frames refused" in text and "count=3" in text and "socket_id=5ock37" in text
    assert not text.startswith("{")
    assert '"socket_id": "5ock37"' in _written("json")


def test_fields_outside_the_list_stay_out():
    assert "ASGIRequest" not in _written("json") and "ASGIRequest" not in _written("text")


def test_an_unknown_log_format_stops_the_start():
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logs.config(fmt="xml")


@pytest.mark.parametrize(
    "given, kept",
    [
        ("proxy-1234abcd", True),
        ("a" * 64, True),
        ("short", False),
        ("a" * 65, False),
        ("id with spaces 123", False),
        ('{"json": 1}', False),
    ],
)
def test_a_request_keeps_its_x_request_id_only_when_it_looks_like_one(given, kept):
    rid = request_id({"headers": [(b"x-request-id", given.encode())]})
    assert (rid == given) is kept and 8 <= len(rid) <= 64


async def test_a_socket_logged_keeps_the_direct_path_for_broadcast_frames(caplog):
    """signaling/frames.py writes a broadcast's prepared frame straight to daphne's protocol,
    found through the consumer's send: the access log's wrapping must leave it findable."""
    from signaling import frames

    class Protocol:  # daphne's autobahn protocol, as frames.socket_of recognises it
        STATE_OPEN = 1
        factory = None

        def sendPreparedMessage(self, prepared):
            pass

    protocol, sent, found = Protocol(), [], []

    async def handle_reply(to, message):  # daphne's server.handle_reply(protocol, message)
        sent.append((to, message))

    async def consumer(scope, receive, send):
        found.append(frames.socket_of(send))
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": 4410})

    caplog.set_level(logging.INFO, logger="meetings.access")
    daphne_send = functools.partial(handle_reply, protocol)
    await AccessLog(consumer)({"type": "websocket", "path": "/ws/"}, None, daphne_send)

    assert found == [protocol]
    assert [message["type"] for to, message in sent if to is protocol] == [
        "websocket.accept",
        "websocket.close",
    ]
    closed = [r for r in caplog.records if r.getMessage() == "websocket closed"]
    assert [(r.close_code, r.closed_by) for r in closed] == [(4410, "server")]
