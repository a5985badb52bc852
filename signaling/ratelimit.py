import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited


class TokenBucket:
    """Allows bursts up to `capacity`, refilling `rate` tokens a second."""

    def __init__(self, capacity: float, rate: float, clock=time.monotonic) -> None:
        self.capacity = capacity
        self.rate = rate
        self._clock = clock
        self._tokens = capacity
        self._at = clock()

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False


def hello_throttled(scope: dict[str, Any]) -> bool:
    """Counts this socket's `hello` against its address, as POST /api/join/ counts joins
    (django-ratelimit, the same cache and the same reading of the address); True when over."""
    client = scope.get("client")
    if not client:
        return False  # an in-process socket (tests, tooling): no address to count
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = client[0]
    for name, value in scope.get("headers", []):
        header = name.decode("latin1").upper().replace("-", "_")
        request.META[f"HTTP_{header}"] = value.decode("latin1")
    return is_ratelimited(
        request,
        group="hello-address",
        key="ip",
        rate=settings.HELLO_RATE_PER_ADDRESS,
        increment=True,
    )
