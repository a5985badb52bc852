"""Django's PostgreSQL backend with its psycopg pool, checking each connection it hands out.

A failover, a restart or an operator's `pg_terminate_backend` kills every pooled connection
at once, and nothing notices until one is used. psycopg's own check on checkout
(CONN_HEALTH_CHECKS) finds the dead ones one at a time and backs off between them (1 s, then
2 s): the first caller after a restart waits out the pool's timeout and fails, which for a
person saying hello is a reconnect and several seconds lost. Here the connection handed out is
checked (one empty query, as psycopg's check), and a dead one has the whole pool checked at
once (`ConnectionPool.check`, as psycopg's maintainers advise), so the caller gets a live or a
new connection straight away.
"""

from __future__ import annotations

import psycopg
from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict) -> psycopg.Connection:
        connection = super().get_new_connection(conn_params)
        pool = self.pool
        if pool is None:
            return connection
        try:
            ConnectionPool.check_connection(connection)
        except psycopg.Error:
            pool.putconn(connection)  # broken: the pool discards it and opens another
            pool.check()  # every other idle connection died with it
            connection = super().get_new_connection(conn_params)
        return connection
