"""How a meeting finds its relay, and what browsers get for ICE."""

import base64
import hashlib
import hmac
import os
import subprocess
import sys
import time
import uuid

from media.routing import worker_channel
from signaling import media_bridge


def test_a_meeting_is_always_pinned_to_the_same_worker():
    meetings = [str(uuid.uuid4()) for _ in range(60)]
    first = [worker_channel(m, workers=3) for m in meetings]
    assert first == [worker_channel(m, workers=3) for m in meetings]
    assert set(first) == {"media-relay-0", "media-relay-1", "media-relay-2"}


def test_no_ice_servers_unless_configured(settings):
    settings.STUN_URLS, settings.TURN_URLS, settings.TURN_SECRET = [], [], ""
    assert media_bridge.ice_servers_for_client() == []


def test_turn_credentials_are_short_lived_and_never_the_secret(settings):
    settings.STUN_URLS = ["stun:turn.example.org:3478"]
    settings.TURN_URLS = ["turn:turn.example.org:3478?transport=udp"]
    settings.TURN_SECRET = "shared-with-coturn"
    settings.TURN_CREDENTIAL_SECONDS = 3600
    stun, turn = media_bridge.ice_servers_for_client()
    assert stun == {"urls": ["stun:turn.example.org:3478"]}
    expires = int(turn["username"])
    assert time.time() + 3500 < expires <= time.time() + 3600
    # what coturn's use-auth-secret checks
    expected = hmac.new(b"shared-with-coturn", turn["username"].encode(), hashlib.sha1).digest()
    assert base64.b64decode(turn["credential"]) == expected
    assert "shared-with-coturn" not in str(turn)


def test_a_web_process_with_separate_media_workers_never_loads_aiortc():
    # The test process has aiortc loaded already, so ask a fresh interpreter.
    script = (
        "import sys, asyncio, django; django.setup()\n"
        "from signaling import media_bridge\n"
        "from signaling.consumers import MeetingConsumer\n"
        "print(type(media_bridge.router()).__name__, 'aiortc' in sys.modules)\n"
    )
    env = {
        **os.environ,
        "MEDIA_IN_PROCESS": "false",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "DJANGO_SETTINGS_MODULE": "meetings.settings",
    }
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["RegistryRouter", "False"]
