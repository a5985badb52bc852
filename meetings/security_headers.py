"""The browser-side protections, on every HTTP response the ASGI app sends.

An ASGI wrapper rather than a Django middleware so that static files (served by the ASGI
static handler, outside Django's middleware) and Django's own error pages get them too.
The policy is fixed: no page needs an inline script or style, a third-party origin,
framing, or any powerful feature beyond camera, microphone and screen sharing.
"""

from __future__ import annotations

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "font-src 'self'",
        # 'self' covers ws:/wss: to the same host (CSP level 3)
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

PERMISSIONS_POLICY = ", ".join(
    [
        "camera=(self)",
        "microphone=(self)",
        "display-capture=(self)",
        "fullscreen=(self)",
        "autoplay=(self)",
        "geolocation=()",
        "payment=()",
        "usb=()",
        "serial=()",
        "bluetooth=()",
        "hid=()",
        "midi=()",
        "accelerometer=()",
        "gyroscope=()",
        "magnetometer=()",
        "browsing-topics=()",
    ]
)


def security_headers(referrer_policy: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"permissions-policy", PERMISSIONS_POLICY.encode()),
        (b"referrer-policy", referrer_policy.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"cross-origin-resource-policy", b"same-origin"),
    ]


class SecurityHeaders:
    """Sets the headers above on every `http.response.start`, replacing any earlier value."""

    def __init__(self, app, *, referrer_policy: str) -> None:
        self.app = app
        self.headers = security_headers(referrer_policy)
        self.names = {name for name, _ in self.headers}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                kept = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in self.names
                ]
                message = {**message, "headers": kept + self.headers}
            await send(message)

        return await self.app(scope, receive, send_with_headers)
