"""LOG_FORMAT: JSON lines by default, readable text for a terminal; X-Request-ID kept only
when it looks like an id."""

import io
import logging

import pytest
from structlog.contextvars import bound_contextvars

from meetings import logs
from meetings.access_log import request_id


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
