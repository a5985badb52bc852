"""Sign-in rules beyond Django's own: the demo's published password works only locally."""

from __future__ import annotations

import ipaddress

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

# Printed by `manage.py demo` and written in the README: anyone may know it.
DEMO_PASSWORD = "peer-support"

_PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def request_is_local(request: HttpRequest | None) -> bool:
    """The server is bound to loopback and this request came from this machine, not
    through a proxy (a proxy in front of a loopback bind makes the server public)."""
    if request is None:
        return False
    meta = request.META
    if any(meta.get(header) for header in _PROXY_HEADERS):
        return False
    return is_loopback(meta.get("SERVER_NAME", "")) and is_loopback(meta.get("REMOTE_ADDR", ""))


class DemoPasswordOnLoopbackBackend(ModelBackend):
    """Django's accounts, except that the demo's published password is refused unless the
    server listens on loopback only and the request comes from this machine."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if password == DEMO_PASSWORD and not request_is_local(request):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
