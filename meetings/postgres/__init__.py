"""Django's PostgreSQL backend, with a pool that survives every connection dying at once."""
