import os

import pytest

from tests import servers

# Browser and integration tests start real servers from sync code inside pytest's loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def fast_timers(settings):
    settings.RECONNECT_GRACE_SECONDS = 0.6
    settings.HANDSHAKE_TIMEOUT_SECONDS = 1.0
    settings.HEARTBEAT_PING_AFTER_SECONDS = 1.0
    settings.HEARTBEAT_DROP_AFTER_SECONDS = 2.0
    return settings


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """No connection pool in the test process itself: a connection the pool opens in the
    background as the suite ends can keep the test database "in use" when it is dropped.
    The servers that tests start (tests/servers.py) keep the production settings, pool included.
    """
    from django.db import connections

    for alias in connections:
        connections[alias].settings_dict.get("OPTIONS", {}).pop("pool", None)


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Join throttling counts in the cache: each test starts with none counted."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(scope="module")
def status_deployment(tmp_path_factory):
    """Production's shape for the status page: PostgreSQL, Redis, a separate media worker and
    a staff account (servers.STATUS_OPERATOR); yields the demo, the base URL and the worker's id."""
    logs = tmp_path_factory.mktemp("status")
    username, password = servers.STATUS_OPERATOR
    create_operator = (
        "from django.contrib.auth.models import User; "
        f"User.objects.create_user({username!r}, password={password!r}, is_staff=True)"
    )
    with servers.seeded_on_redis(MEDIA_IN_PROCESS="false") as (env, demo):
        servers.manage(env, "shell", "-c", create_operator)
        with (
            servers.media_worker({**env, "LOG_LEVEL": "INFO"}, logs / "media.log"),
            servers.daphne(env, logs / "web.log") as base_url,
        ):
            yield demo, base_url, servers.worker_id(logs / "media.log")
