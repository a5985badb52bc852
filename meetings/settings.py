"""Settings read from the environment, with an embedded default that needs no services.

Unset DATABASE_URL -> SQLite file; unset REDIS_URL -> in-memory channel layer (one process only).
"""

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlparse

from meetings import logs

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


# Connections per process (PostgreSQL); the threads that run database work for the sockets
# (signaling.db, DATABASE_THREADS below) stay under it, leaving room for the HTTP views'.
DATABASE_POOL_SIZE = int(os.environ.get("DATABASE_POOL_SIZE", "20"))

# SQLite under concurrent writers (HTTP joins run on their own threads beside the sockets'):
# WAL lets readers go on while one writes; IMMEDIATE takes the write lock when a transaction
# begins, so two transactions that read and then write queue on the busy timeout instead of
# one failing at once with "database is locked" (a DEFERRED reader cannot upgrade). It is
# also what serialises `locked_room` here: SQLite has no SELECT ... FOR UPDATE.
_SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,  # seconds a writer waits for the lock
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
}


def _sqlite(name: str | Path) -> dict:
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": name,
        "OPTIONS": dict(_SQLITE_OPTIONS),
        # kept open: a new one per operation costs more than the query (the pragmas included)
        "CONN_MAX_AGE": None,
    }


def _postgres_pool() -> dict:
    """Each process keeps warm connections (a new one costs more than the query) in a pool
    of at most DATABASE_POOL_SIZE: 2 web processes and a media worker at the default 20 stay
    well below PostgreSQL's default max_connections of 100. A connection the server dropped
    (restart, pg_terminate_backend) is noticed on checkout and the pool repaired at once
    (meetings/postgres: psycopg's own check, CONN_HEALTH_CHECKS, backs off a second or more
    per dead connection, so it stays off)."""
    return {
        "min_size": 2,
        "max_size": DATABASE_POOL_SIZE,
        "timeout": 3,  # seconds to wait for a connection before the operation fails (retryable)
    }


def database_from_url(url: str | None) -> dict:
    if not url:
        return _sqlite(BASE_DIR / "var" / "meetings.sqlite3")
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return _sqlite(unquote(parsed.path) or ":memory:")
    if parsed.scheme in {"postgres", "postgresql"}:
        return {
            "ENGINE": "meetings.postgres",
            "OPTIONS": {"pool": _postgres_pool()},
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "TEST": {"NAME": f"test_{unquote(parsed.path.lstrip('/'))}"},
        }
    raise ValueError(f"DATABASE_URL scheme not supported: {parsed.scheme!r}")


# A media worker takes every meeting's offers and candidates on one channel: a join of
# a dozen people trickling candidates must not hit the default capacity of 100.
# Every socket's messages to one web process share one Redis queue (channels_redis's
# process-local channels), and its capacity is that of the channel named: at 100 a burst
# in a 150-person meeting overflowed it and messages were dropped.
_MEDIA_CHANNEL_CAPACITY = {"media-relay-*": 5000, "specific.*": 2000}


def channel_layer_from_url(url: str | None) -> dict:
    if not url:
        return {
            "BACKEND": "signaling.layers.InMemoryChannelLayer",
            # This layer does not compile channel_capacity patterns (channels 4.3).
            "CONFIG": {"capacity": 1000},
        }
    from signaling.redis_layer import connection_options

    pool = connection_options(max_connections=int(os.environ.get("REDIS_MAX_CONNECTIONS", "200")))
    return {
        "BACKEND": "signaling.redis_layer.RedisChannelLayer",
        "CONFIG": {
            "hosts": [{"address": url, **pool}],
            "prefix": os.environ.get("CHANNEL_PREFIX", "meetings"),
            "channel_capacity": _MEDIA_CHANNEL_CAPACITY,
        },
    }


DEBUG = _env_bool("DJANGO_DEBUG", False)
EMBEDDED_SECRET_KEY = "embedded-default-not-for-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", EMBEDDED_SECRET_KEY)
ALLOWED_HOSTS = [
    h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# Public base URL used when printing invite links (e.g. https://meet.example.org).
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")


def production_problems(environ: Mapping[str, str]) -> list[str]:
    """What keeps PRODUCTION=true from starting safely; empty when nothing does."""
    problems = []
    secret = environ.get("DJANGO_SECRET_KEY", "")
    # 50: what Django's own deploy check (security.W009) asks of a key
    if secret == EMBEDDED_SECRET_KEY or len(secret) < 50 or len(set(secret)) < 8:
        problems.append("DJANGO_SECRET_KEY must be a random value of at least 50 characters")
    hosts = [h.strip() for h in environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    if not hosts or "*" in hosts:
        problems.append("ALLOWED_HOSTS must name this server's host names (no '*')")
    if not environ.get("PUBLIC_BASE_URL", "").startswith("https://"):
        problems.append("PUBLIC_BASE_URL must be the https:// address people use")
    if environ.get("DJANGO_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}:
        problems.append("DJANGO_DEBUG must be off")
    return problems


PRODUCTION = _env_bool("PRODUCTION", False)
if PRODUCTION and (_problems := production_problems(os.environ)):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("PRODUCTION=true but: " + "; ".join(_problems) + ".")

# Behind the TLS proxy (compose's Caddy), which sets X-Forwarded-Proto itself: trusted only
# when TRUST_PROXY_HEADERS says the app cannot be reached except through it.
if _env_bool("TRUST_PROXY_HEADERS", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SERVED_OVER_HTTPS = PUBLIC_BASE_URL.startswith("https://")
SESSION_COOKIE_SECURE = SERVED_OVER_HTTPS
CSRF_COOKIE_SECURE = SERVED_OVER_HTTPS
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # the page takes the token from the template, never the cookie
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Strict"
SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", "31536000" if SERVED_OVER_HTTPS else "0"))
# Covers only names under this service's own (e.g. *.meet.example.org), which it serves.
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("HSTS_INCLUDE_SUBDOMAINS", SERVED_OVER_HTTPS)
# Preloading commits the whole registrable domain (example.org), which is the
# organisation's to decide, not this service's: off unless asked for (check W021 silenced).
SECURE_HSTS_PRELOAD = _env_bool("HSTS_PRELOAD", False)
# Redirect plain HTTP only when the proxy says which scheme the browser used; without
# TRUST_PROXY_HEADERS every request behind a TLS proxy would look plain and loop. Caddy
# already redirects port 80; this covers a request that reaches daphne another way.
# /healthz and /readyz answer before Django (ops/health.py), so probes are never redirected.
SECURE_SSL_REDIRECT = SERVED_OVER_HTTPS and _env_bool("TRUST_PROXY_HEADERS", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
# same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on the
# page's own POSTs (sign-in, join), which Django's CSRF check rightly refuses. Nothing
# secret is in our URLs' path or query (the invite secret is in the fragment).
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "axes",
    "django_ratelimit",
    "meetings",
    "rooms",
    "signaling",
    "groups",
    "ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # last, as django-axes asks: it turns a locked-out sign-in into the lock-out page
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "meetings.urls"
ASGI_APPLICATION = "meetings.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "frontend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "meetings.crisis.context",
            ],
        },
    },
]

DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL"))}
CHANNEL_LAYERS = {"default": channel_layer_from_url(os.environ.get("REDIS_URL"))}
# SQLite takes one writer at a time: more threads would only queue on its lock, sleeping in
# its busy handler's back-off (up to 100 ms a try), so the embedded default keeps one.
_ONE_WRITER = DATABASES["default"]["ENGINE"].endswith("sqlite3")
DATABASE_THREADS = int(os.environ.get("DATABASE_THREADS", "1" if _ONE_WRITER else "8"))


def cache_from_url(url: str | None) -> dict:
    """Join throttling counts in this cache: shared through Redis when there is one."""
    if not url:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": os.environ.get("CHANNEL_PREFIX", "meetings"),
    }


CACHES = {"default": cache_from_url(os.environ.get("REDIS_URL"))}
# django-ratelimit lists only memcached and django-redis; Django's own Redis cache counts
# atomically too, and the embedded default is one process, where the local cache is shared.
SILENCED_SYSTEM_CHECKS = [
    "django_ratelimit.E003",
    "django_ratelimit.W001",
    *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),  # see SECURE_HSTS_PRELOAD
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "frontend" / "static"]
STATIC_ROOT = BASE_DIR / "var" / "static"
# daphne has no static server of its own; the embedded default serves /static/ from the ASGI app.
SERVE_STATIC = _env_bool("SERVE_STATIC", True)

# Sign-in: a locked-out address waits LOGIN_LOCKOUT_MINUTES after LOGIN_FAILURE_LIMIT
# wrong passwords (django-axes, counted in the database so every web process agrees).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "meetings.auth.DemoPasswordOnLoopbackBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
# Per address: locking per username would let anyone lock a facilitator out before a meeting.
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# No row per successful sign-in (address, browser, time): nothing we need to keep.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# /admin/ exists only when an operator asks for it.
ADMIN_ENABLED = _env_bool("ADMIN_ENABLED", False)

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/meetings/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Signaling limits; see docs/protocol.md.
RECONNECT_GRACE_SECONDS = float(os.environ.get("RECONNECT_GRACE_SECONDS", "30"))
HEARTBEAT_PING_AFTER_SECONDS = float(os.environ.get("HEARTBEAT_PING_AFTER_SECONDS", "20"))
HEARTBEAT_DROP_AFTER_SECONDS = float(os.environ.get("HEARTBEAT_DROP_AFTER_SECONDS", "45"))
HANDSHAKE_TIMEOUT_SECONDS = float(os.environ.get("HANDSHAKE_TIMEOUT_SECONDS", "10"))
# Flood control for chat: a burst of CHAT_BURST, then CHAT_PER_SECOND (docs/protocol.md).
CHAT_BURST = 10
CHAT_PER_SECOND = float(os.environ.get("CHAT_PER_SECOND", "10"))
# Joins (POST /api/join/): per address and per browser, in django-ratelimit's "N/period".
JOIN_RATE_PER_ADDRESS = os.environ.get("JOIN_RATE_PER_ADDRESS", "60/m")
JOIN_RATE_PER_DEVICE = os.environ.get("JOIN_RATE_PER_DEVICE", "10/m")
# WebSocket `hello`s per address: higher than joins, since a whole group behind one network
# reconnects at once when a server process restarts.
HELLO_RATE_PER_ADDRESS = os.environ.get("HELLO_RATE_PER_ADDRESS", "300/m")

# Media relay (see docs/deploy notes in README). The embedded default runs one relay
# inside the server process; production runs `manage.py media_worker` processes and
# sets MEDIA_IN_PROCESS=false on the web processes.
MEDIA_ENABLED = _env_bool("MEDIA_ENABLED", True)
MEDIA_IN_PROCESS = _env_bool("MEDIA_IN_PROCESS", True)
# Embedded relays (MEDIA_IN_PROCESS): meetings are pinned to one of MEDIA_WORKERS by id.
MEDIA_WORKERS = int(os.environ.get("MEDIA_WORKERS", "1"))
# Separate `manage.py media_worker` processes register with a lease in this Redis; a
# worker silent for MEDIA_WORKER_LEASE_SECONDS has its meetings moved to a live one.
MEDIA_REGISTRY_URL = os.environ.get("REDIS_URL") or None
MEDIA_REGISTRY_PREFIX = os.environ.get("CHANNEL_PREFIX", "meetings")
MEDIA_WORKER_LEASE_SECONDS = float(os.environ.get("MEDIA_WORKER_LEASE_SECONDS", "3"))
# A `media_worker`'s own /healthz and /readyz (ops/worker_health.py): off unless a port is
# given, since several workers may share a host; loopback unless told otherwise.
MEDIA_WORKER_HEALTH_PORT = int(os.environ.get("MEDIA_WORKER_HEALTH_PORT") or 0)
MEDIA_WORKER_HEALTH_ADDRESS = os.environ.get("MEDIA_WORKER_HEALTH_ADDRESS", "127.0.0.1")
# Where a worker writes the health port it got (the next free one when several share a
# host): the compose health check of a scaled `media` service reads it.
MEDIA_WORKER_HEALTH_PORT_FILE = os.environ.get("MEDIA_WORKER_HEALTH_PORT_FILE") or None
# Addresses the relay gathers ICE candidates on: loopback in the embedded default and
# tests; the host's address in production, plus an optional public address for 1:1 NAT.
MEDIA_HOST_ADDRESSES = _env_list("MEDIA_HOST_ADDRESSES", ["127.0.0.1"])
MEDIA_ANNOUNCED_ADDRESS = os.environ.get("MEDIA_ANNOUNCED_ADDRESS") or None
MEDIA_LAST_N = int(os.environ.get("MEDIA_LAST_N", "9"))
# STUN/TURN for browsers. TURN_SECRET: coturn's static-auth-secret; the server hands each
# participant short-lived credentials (TURN REST API), never the secret.
STUN_URLS = _env_list("STUN_URLS", [])
TURN_URLS = _env_list("TURN_URLS", [])
TURN_SECRET = os.environ.get("TURN_SECRET", "")
# Short: the page asks for fresh ones (media.ice) before they run out, and a removed
# person's copy stops working within this time.
TURN_CREDENTIAL_SECONDS = int(os.environ.get("TURN_CREDENTIAL_SECONDS", "600"))

# Prometheus metrics (docs/operations.md "Metrics"): each web process and each media worker
# serves them on a port of its own, never on the public HTTP port. Unset: no listener.
# Loopback by default; inside a container give 0.0.0.0 (its networks decide who can reach it).
METRICS_PORT = int(os.environ["METRICS_PORT"]) if os.environ.get("METRICS_PORT") else None
METRICS_ADDRESS = os.environ.get("METRICS_ADDRESS", "127.0.0.1")

# Days after a meeting ends before `manage.py purge` deletes its chat, names, named
# answers and device hashes (docs/privacy.md).
RETENTION_DAYS = int(os.environ.get("RETENTION_DAYS", "30"))

# One JSON object a line on stderr from every process (meetings/logs.py); LOG_FORMAT=text
# for a developer's terminal (scripts/serve). docs/operations.md, "Logs".
LOGGING = logs.config(
    level=os.environ.get("LOG_LEVEL", "INFO"), fmt=os.environ.get("LOG_FORMAT", "json")
)
