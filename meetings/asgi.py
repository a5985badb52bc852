import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meetings.settings")

from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings
from django.core.asgi import get_asgi_application

django_http = get_asgi_application()

from signaling import shutdown  # noqa: E402
from signaling.websocket_urls import websocket_urlpatterns  # noqa: E402

if settings.SERVE_STATIC:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    django_http = ASGIStaticFilesHandler(django_http)

from meetings.access_log import AccessLog  # noqa: E402
from meetings.security_headers import SecurityHeaders  # noqa: E402
from ops.health import probe_endpoints  # noqa: E402

application = AccessLog(
    ProtocolTypeRouter(
        {
            "http": SecurityHeaders(
                probe_endpoints(django_http), referrer_policy=settings.SECURE_REFERRER_POLICY
            ),
            "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
        }
    )
)

# Under daphne: a lease for presence, and a graceful SIGTERM (see signaling/shutdown.py).
shutdown.hook_into_daphne()

from ops import metrics  # noqa: E402

# Prometheus metrics on METRICS_PORT, if set: a listener of this process's own.
metrics.serve_web()
