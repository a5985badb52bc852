"""The access log, as ASGI middleware: one line per HTTP request and two per WebSocket
(connected, closed), and the id every line inside them carries.

An HTTP request keeps the X-Request-ID it came with (a proxy's, say) when it looks like one,
else gets a new one, and its response says which (X-Request-ID). A WebSocket gets a random
socket id: its channel name stays out of the logs. Neither the client's address nor a
query string is written, and a path under /join/ keeps only its shape (an old-style invite
link carries its secret there). Health probes that pass are not written; failing ones are.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
import time
import uuid
from typing import Any

from structlog.contextvars import bound_contextvars

log = logging.getLogger("meetings.access")

_INVITE_IN_PATH = re.compile(
    r"^/join/(?![0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/)[^/?#\s]+"
)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# Probes that pass come every few seconds from compose or an orchestrator: not written.
_PROBES = {"/healthz", "/readyz"}


def redact(path: str) -> str:
    """The request path without an invite secret and without a query string."""
    path = path.split("?", 1)[0]
    return _INVITE_IN_PATH.sub("/join/[invite]", path)


def request_id(scope: dict[str, Any]) -> str:
    """The request's own X-Request-ID when it is a plain token, else a new one."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"x-request-id":
            given = value.decode("latin1")
            if _REQUEST_ID.fullmatch(given):
                return given
    return uuid.uuid4().hex


def _observed(send: Any, observe: Any) -> Any:
    """`send`, calling `observe(message)` first. Daphne's send stays a partial on its protocol,
    which signaling/frames.py looks for to write a broadcast's prepared frame directly."""
    if isinstance(send, functools.partial) and send.args:
        func = send.func

        async def observing(*args: Any, **kwargs: Any) -> Any:
            observe(args[-1])  # daphne's handle_reply(protocol, message)
            return await func(*args, **kwargs)

        return functools.partial(observing, *send.args, **send.keywords)

    async def plain(message: dict[str, Any]) -> None:
        observe(message)
        await send(message)

    return plain


class AccessLog:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        rid = request_id(scope)
        started = time.monotonic()
        status, size = 500, 0  # what the client gets if the app fails before answering

        async def send_with_id(message: dict[str, Any]) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ()), (b"x-request-id", rid.encode())]
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        with bound_contextvars(request_id=rid):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                if not (status == 200 and scope.get("path") in _PROBES):
                    log.log(
                        logging.WARNING if status >= 500 else logging.INFO,
                        "http request",
                        extra={
                            "method": scope.get("method"),
                            "path": redact(scope.get("path", "")),
                            "status": status,
                            "bytes": size,
                            "duration_ms": round((time.monotonic() - started) * 1000, 1),
                        },
                    )

    async def _websocket(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started = time.monotonic()
        close_code: int | None = None
        closed_by = "server"

        async def receive_noting_close() -> dict[str, Any]:
            nonlocal close_code, closed_by
            message = await receive()
            if message["type"] == "websocket.disconnect" and close_code is None:
                close_code, closed_by = message.get("code", 1005), "client"
            return message

        def note(message: dict[str, Any]) -> None:
            nonlocal close_code
            if message["type"] == "websocket.accept":
                log.info("websocket connected")
            elif message["type"] == "websocket.close" and close_code is None:
                close_code = message.get("code", 1000)

        with bound_contextvars(socket_id=secrets.token_hex(8)):
            try:
                await self.app(scope, receive_noting_close, _observed(send, note))
            finally:
                log.info(
                    "websocket closed",
                    extra={
                        "close_code": close_code,
                        "closed_by": closed_by,
                        "duration_ms": round((time.monotonic() - started) * 1000, 1),
                    },
                )
