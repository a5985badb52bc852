"""The WebSocket protocol's message types, parsed only at the consumer edge.

Each feature has its own module of Pydantic models (`CLIENT_MODELS`, `SERVER_MODELS`,
its error codes); this package joins them into one client union and one server union.
docs/protocol.md describes every message; tests/signaling/test_protocol_doc.py fails
when the two disagree.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Union

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from signaling.protocol import (
    agreement,
    checkins,
    core,
    facilitation,
    goround,
    media,
    screenshare,
    support,
)
from signaling.protocol.agreement import *  # noqa: F403
from signaling.protocol.base import (
    CLOSE_CODES,
    ERROR_CODES,
    MAX_FRAME_BYTES,
    PROTOCOL_VERSION,
    ProtocolError,
)
from signaling.protocol.checkins import *  # noqa: F403
from signaling.protocol.core import *  # noqa: F403
from signaling.protocol.facilitation import *  # noqa: F403
from signaling.protocol.goround import *  # noqa: F403
from signaling.protocol.media import *  # noqa: F403
from signaling.protocol.screenshare import *  # noqa: F403
from signaling.protocol.support import *  # noqa: F403

_FEATURES = (core, media, facilitation, checkins, support, goround, agreement, screenshare)

_CLIENT_MODELS = tuple(m for f in _FEATURES for m in f.CLIENT_MODELS)
_SERVER_MODELS = tuple(m for f in _FEATURES for m in f.SERVER_MODELS)

_client_adapter: TypeAdapter[Any] = TypeAdapter(
    Annotated[Union[_CLIENT_MODELS], Field(discriminator="type")]  # noqa: UP007
)
_server_adapter: TypeAdapter[Any] = TypeAdapter(
    Annotated[Union[_SERVER_MODELS], Field(discriminator="type")]  # noqa: UP007
)


def _literal_type(model: type[BaseModel]) -> str:
    return model.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]


CLIENT_TYPES = frozenset(_literal_type(m) for m in _CLIENT_MODELS)
SERVER_TYPES = frozenset(_literal_type(m) for m in _SERVER_MODELS)

__all__ = [
    "CLIENT_TYPES",
    "CLOSE_CODES",
    "ERROR_CODES",
    "MAX_FRAME_BYTES",
    "PROTOCOL_VERSION",
    "SERVER_TYPES",
    "ProtocolError",
    "error_message",
    "json_dumps",
    "parse_client_frame",
    "server_message",
]


def parse_client_frame(text: str) -> Any:
    """Turns one text frame into a client message or raises ProtocolError."""
    if len(text.encode()) > MAX_FRAME_BYTES:
        raise ProtocolError("frame_too_large")
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError("bad_json") from None
    if not isinstance(raw, dict):
        raise ProtocolError("bad_json")
    if raw.get("type") not in CLIENT_TYPES:
        raise ProtocolError("unknown_type")
    try:
        # From the JSON text, so that strict mode still reads a UUID from its string.
        return _client_adapter.validate_json(text)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"][1:]) or "?" for e in exc.errors()})
        raise ProtocolError(
            "invalid_message", f"Check these fields: {', '.join(fields)}."
        ) from None


def server_message(type_: str, **data: Any) -> dict:
    """Validates an outgoing message against its model; a wrong shape is a bug, so it raises."""
    message = _server_adapter.validate_python({"type": type_, **data})
    return message.model_dump(mode="json", exclude_none=True)


def error_message(code: str, detail: str | None = None, ref: str | None = None) -> dict:
    return server_message("error", code=code, message=detail or ERROR_CODES[code], ref=ref)


def json_dumps(message: dict) -> str:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False)
