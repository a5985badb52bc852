"""Logging for every process: one JSON object a line (or readable text for a developer).

Every line has `time` (ISO 8601, UTC), `level`, `logger` and `event`, then the ids of what
it happened in, carried by structlog's contextvars so that no code passes them around:
`request_id` (an HTTP request), `socket_id` (one WebSocket connection, random),
`meeting_id`, `worker_id` (a media worker). Code anywhere binds them with
`structlog.contextvars.bind_contextvars`; the middleware in meetings/access_log.py binds
the request and socket ids.

A line's other fields come from `extra=` and only from the names in FIELDS: anything else
passed there (Django passes the whole request, say) stays out of the log. Nothing a person
wrote or is called belongs in a field or in an event's text (docs/operations.md, "Logs").
"""

from __future__ import annotations

from typing import Any

import structlog

from meetings.access_log import redact

# Fields a line may carry besides the standard ones, in the order a line shows them.
FIELDS = (
    # the context ids, when a line names one its context does not hold
    "request_id",
    "socket_id",
    "meeting_id",
    "worker_id",
    # HTTP and WebSocket access (meetings/access_log.py)
    "method",
    "path",
    "status",
    "bytes",
    "duration_ms",
    "close_code",
    "closed_by",
    # what went wrong: an exception's class name, a protocol error code
    "error",
    "code",
    "codes",
    "count",
    "message_type",
    # health checks (ops/), media workers
    "check",
    "port",
    "op",
    "channel",
    "addresses",
    "loop",
    "seconds",
)

FORMATS = ("json", "text")


def _redact_request_paths(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """Django's own request lines ("Not Found: /join/<secret>/") name the path: keep its shape."""
    if event.get("logger", "").startswith(("django.request", "django.server")):
        event["event"] = " ".join(
            redact(word) if word.startswith("/") else word for word in event["event"].split(" ")
        )
    return event


def _standard_fields_first(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    first = {key: event.pop(key) for key in ("time", "level", "logger", "event") if key in event}
    return {**first, **event}


def config(level: str = "INFO", fmt: str = "json") -> dict[str, Any]:
    """The LOGGING setting: every record, Django's and daphne's included, through one
    formatter on stderr."""
    if fmt not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {fmt!r}")
    gather = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(allow=FIELDS),
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
        _redact_request_paths,
        _standard_fields_first,
    ]
    if fmt == "json":
        render = [
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=False),
        ]
    else:
        render = [structlog.dev.ConsoleRenderer(colors=False, timestamp_key="time")]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": gather,
                "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, *render],
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # every request has its line from meetings/access_log.py already
            "django.channels.server": {"level": "WARNING"},
            "django.request": {"level": "ERROR"},
            # with DJANGO_DEBUG it writes every query's parameters: what people wrote
            "django.db.backends": {"level": "INFO"},
            # at DEBUG it writes a line per frame with the client's address
            "daphne": {"level": "INFO"},
            # at INFO it writes every ICE candidate pair it checks: people's addresses
            "aioice": {"level": "WARNING"},
        },
    }
