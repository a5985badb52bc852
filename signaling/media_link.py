"""How signaling reaches the media relay: a command on the channel of the meeting's worker.

A meeting is pinned to one media worker by its id, so everyone in it shares one relay.
In the embedded default that worker runs inside this process (started on first use);
in production `manage.py media_worker --index N` processes listen on the channels.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from uuid import UUID

from channels.layers import get_channel_layer
from django.conf import settings


def worker_channel_name(index: int) -> str:
    return f"media-relay-{index}"


def worker_channel(meeting_id: str) -> str:
    return worker_channel_name(UUID(str(meeting_id)).int % settings.MEDIA_WORKERS)


async def command(meeting_id: str, op: str, participant_id: str | None = None, **data) -> None:
    if not settings.MEDIA_ENABLED:
        return
    if settings.MEDIA_IN_PROCESS:
        ensure_local_worker()
    await get_channel_layer().send(
        worker_channel(meeting_id),
        {
            "type": "media.command",
            "op": op,
            "meeting_id": str(meeting_id),
            "participant_id": participant_id,
            **data,
        },
    )


async def reconcile(meeting_id: str) -> None:
    """Room state changed: the relay re-reads who is where and what is muted."""
    if settings.MEDIA_IN_PROCESS and asyncio.get_running_loop() not in _local:
        return  # no relay has started in this process, so nobody has media to change
    await command(meeting_id, "sync")


_local: dict[asyncio.AbstractEventLoop, object] = {}


def ensure_local_worker() -> None:
    from signaling.media_worker import MediaWorker  # imports aiortc: only when media is used

    loop = asyncio.get_running_loop()
    for old_loop in [old for old in _local if old.is_closed()]:
        del _local[old_loop]
    if loop not in _local:
        worker = MediaWorker(
            channels=[worker_channel_name(i) for i in range(settings.MEDIA_WORKERS)]
        )
        worker.start()
        _local[loop] = worker


def local_worker():
    """This process's relay worker, if one has started on the running loop."""
    return _local.get(asyncio.get_running_loop())


async def stop_local_worker() -> None:
    worker = _local.pop(asyncio.get_running_loop(), None)
    if worker is not None:
        await worker.stop()  # type: ignore[attr-defined]


def ice_servers_for_client() -> list[dict]:
    servers: list[dict] = []
    if settings.STUN_URLS:
        servers.append({"urls": list(settings.STUN_URLS)})
    if settings.TURN_URLS and settings.TURN_SECRET:
        # coturn's use-auth-secret: username is the expiry time, credential its HMAC.
        expires = int(time.time()) + settings.TURN_CREDENTIAL_SECONDS
        username = str(expires)  # no participant id: coturn logs usernames
        digest = hmac.new(settings.TURN_SECRET.encode(), username.encode(), hashlib.sha1)
        credential = base64.b64encode(digest.digest()).decode()
        servers.append(
            {"urls": list(settings.TURN_URLS), "username": username, "credential": credential}
        )
    return servers
