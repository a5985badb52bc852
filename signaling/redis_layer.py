"""The Redis channel layer, configured for sockets that stay quiet for minutes.

channels_redis waits for messages with a 5 s blocking pop; redis-py's default socket
timeout is also 5 s, so an idle pop used to time out and take the consumer with it.
Connections here read for longer than the pop, check their health before reuse, retry
a lost connection, and a process waits for a free connection instead of failing when
hundreds of sockets close at once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels_redis.core import RedisChannelLayer as _RedisChannelLayer
from redis.asyncio import BlockingConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

# channels_redis.core.RedisChannelLayer.brpop_timeout
BLOCKING_POP_SECONDS = 5


def connection_options(*, max_connections: int) -> dict[str, Any]:
    """redis-py connection-pool options for every Redis client of this project."""
    return {
        # Above the blocking pop, with room for a slow Redis: an idle wait is not an error.
        "socket_timeout": BLOCKING_POP_SECONDS + 10,
        "socket_connect_timeout": 5,
        "socket_keepalive": True,
        # A connection idle for longer than this is PINGed before it is reused, so a
        # connection dropped by Redis or the network is replaced, not handed out.
        "health_check_interval": 15,
        # A connection refused or reset (Redis restarting) is retried with backoff before
        # the caller sees an error. Timeouts are not retried: the write may have landed.
        "retry": Retry(ExponentialBackoff(cap=1.0, base=0.05), retries=5),
        "retry_on_error": [RedisConnectionError],
        # Every connection in use at once: one blocking pop per process plus the group
        # and send calls of its sockets, which all run at once when many close together.
        "max_connections": max_connections,
        # BlockingConnectionPool: how long a call waits for a free connection.
        "timeout": 30,
    }


class RedisChannelLayer(_RedisChannelLayer):
    """channels_redis's layer with a pool that waits for a free connection when all are
    in use (its own pool raises MaxConnectionsError, failing disconnect() for half of
    500 sockets closing together)."""

    def create_pool(self, index: int) -> BlockingConnectionPool:
        host = dict(self.hosts[index])
        address = host.pop("address")
        return BlockingConnectionPool.from_url(address, **host)

    async def receive_single(self, channel: str) -> Any:
        """Waits through a Redis outage instead of failing: the wait for messages is the
        one call every socket and the media worker make all the time, and an exception
        here ends every consumer of the process (daphne closes their sockets with 1011).
        Once Redis answers again the presence lease tells whether it lost its data."""
        delay = 0.1
        while True:
            try:
                return await super().receive_single(channel)
            except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
                log.warning("redis receive failed; retrying", extra={"error": type(exc).__name__})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
