import os

import pytest

# Browser and integration tests start real servers from sync code inside pytest's loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def fast_timers(settings):
    settings.RECONNECT_GRACE_SECONDS = 0.6
    settings.HANDSHAKE_TIMEOUT_SECONDS = 1.0
    settings.HEARTBEAT_PING_AFTER_SECONDS = 1.0
    settings.HEARTBEAT_DROP_AFTER_SECONDS = 2.0
    return settings


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Join throttling counts in the cache: each test starts with none counted."""
    from django.core.cache import cache

    cache.clear()
    yield
