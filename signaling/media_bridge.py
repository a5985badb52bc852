"""Signaling's side of the media worker (media/worker.py): plans in, protocol messages out.

- ``command``/``sync``: a participant's media command, or "room state changed", sent to the
  meeting's worker through the router chosen once from settings (media/routing.py).
- ``RoomPlans``: the worker's PlanSource, the committed ``rooms.selectors.media_plans``.
- ``GroupOutbox``: the worker's outcomes as client protocol messages, sent to the
  participant's group; ``media.ready`` carries freshly minted TURN credentials.
- ``start_worker``: a started worker wired to these (the embedded relay and
  ``manage.py media_worker`` both start it here).

aiortc is imported only where a relay runs: a web process whose workers are processes of
their own sends commands (media.routing, media.commands) and never loads it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import time
from typing import TYPE_CHECKING, Any

from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from rooms import selectors
from rooms.errors import RoomError
from signaling import hub
from signaling import protocol as p
from signaling.db import close_connections, in_db_thread
from signaling.groups import facilitators_group, participant_group

if TYPE_CHECKING:
    from media.registry import Registry
    from media.routing import Router
    from media.worker import MediaWorker, Outcome, SpeakingSeconds

# media codes that mean something else to a browser
_ERRORS = {
    "unknown_participant": "media_not_started",
    "already_joined": "media_not_started",
    "relay_closed": "media_unavailable",
}


async def command(meeting_id: str, op: str, participant_id: str | None = None, **data) -> None:
    from media.routing import NoMediaWorker

    try:
        await router().command(meeting_id, op, participant_id, **data)
    except NoMediaWorker:
        raise RoomError("media_unavailable", p.ERROR_CODES["media_unavailable"]) from None


async def sync(meeting_id: str) -> None:
    """Room state changed: the relay re-reads who is where and what is muted."""
    await router().sync(meeting_id)


@functools.cache
def router() -> Router:
    """Embedded, separate or no media workers: decided once, on first use."""
    from media.routing import choose_router

    return choose_router(
        enabled=settings.MEDIA_ENABLED,
        in_process=settings.MEDIA_IN_PROCESS,
        workers=settings.MEDIA_WORKERS,
        send=send_to_channel,
        start_worker=start_worker,
        registry=registry if settings.MEDIA_REGISTRY_URL else None,
    )


@functools.cache
def registry() -> Registry:
    """The media workers' shared table in Redis (separate workers only)."""
    from redis.asyncio import Redis

    from media.registry import Registry

    url = settings.MEDIA_REGISTRY_URL
    if not url:
        raise ImproperlyConfigured("Separate media workers need REDIS_URL (MEDIA_IN_PROCESS=false)")
    return Registry(
        lambda: Redis.from_url(url, socket_timeout=10, health_check_interval=15),
        settings.MEDIA_REGISTRY_PREFIX,
        lease_seconds=settings.MEDIA_WORKER_LEASE_SECONDS,
    )


async def send_to_channel(channel: str, message: dict) -> None:
    await get_channel_layer().send(channel, message)


def local_worker() -> MediaWorker | None:
    """This process's relay worker, if one has started on the running loop."""
    local = getattr(router(), "local_worker", None)
    return local() if local else None


async def stop_local_worker() -> None:
    stop = getattr(router(), "stop_local_worker", None)
    if stop:
        await stop()


def start_worker(channels: list[str]) -> MediaWorker:
    from media import RelayConfig
    from media.worker import MediaWorker

    layer = get_channel_layer()
    worker = MediaWorker(
        channels,
        RelayConfig(
            host_addresses=list(settings.MEDIA_HOST_ADDRESSES),
            announced_address=settings.MEDIA_ANNOUNCED_ADDRESS,
            ice_servers=[],
            last_n=settings.MEDIA_LAST_N,
        ),
        plans=RoomPlans(),
        outbox=GroupOutbox(layer),
        receive=layer.receive,
    )
    worker.start()
    return worker


class RoomPlans:
    """What rooms/ decided, read from the database when a command runs."""

    _read = staticmethod(in_db_thread(selectors.media_plans))

    async def plans(self, meeting_id: str) -> dict:
        return await self._read(meeting_id=meeting_id)

    async def close(self) -> None:
        # the database threads' connections go with the worker, not at interpreter exit
        await close_connections()


class GroupOutbox:
    def __init__(self, layer: Any) -> None:
        self.layer = layer

    async def to_participant(self, participant_id: str, outcome: Outcome) -> None:
        message = outcome_message(outcome)
        if message is None:
            return
        await hub.group_send(
            self.layer,
            participant_group(participant_id),
            {"type": "media.event", "message": message},
        )

    async def to_facilitators(self, meeting_id: str, report: SpeakingSeconds) -> None:
        """Share of voice goes to the meeting's facilitators' sockets, and nowhere else."""
        message = p.server_message("voice.share", seconds=report.seconds)
        await hub.group_send(
            self.layer, facilitators_group(meeting_id), {"type": "media.event", "message": message}
        )


def outcome_message(outcome: Outcome) -> dict | None:
    """The client protocol message for a worker outcome (None: the browser is not told)."""
    from media import (
        ActiveSpeaker,
        ConnectionState,
        RelayErrorEvent,
        Renegotiate,
        TrackLive,
        VideosPaused,
    )
    from media.worker import Answered, Failed, Ready, Restart, Stopped

    match outcome:
        case Ready():
            return p.server_message(
                "media.ready",
                ice_servers=ice_servers_for_client(),
                ice_ttl_seconds=ice_ttl_seconds(),
                publish_audio=outcome.publish_audio,
                publish_video=outcome.publish_video,
                receive_video=outcome.receive_video,
            )
        case Answered(sdp=sdp):
            return p.server_message("media.answer", sdp=sdp)
        case Stopped():
            return p.server_message("media.stopped")
        case Restart():
            return p.server_message("media.restart")
        case Failed(code=code):
            return p.error_message(_ERRORS.get(code, code))
        case Renegotiate(sdp=sdp, tracks=tracks):
            described = {
                mid: {"participant_id": t["participant"], "kind": t["kind"], "source": t["source"]}
                for mid, t in tracks.items()
            }
            return p.server_message("media.offer", sdp=sdp, tracks=described)
        case ConnectionState(state=state):
            return p.server_message("media.state", state=state)
        case RelayErrorEvent():
            return p.error_message("negotiation_failed")
        case TrackLive(participant=pid, kind=kind):
            return p.server_message("media.track", participant_id=pid, kind=kind)
        case ActiveSpeaker(participant=pid):
            return p.server_message("media.speaker", participant_id=pid)
        case VideosPaused(cameras=cameras, screens=screens, reason=reason):
            return p.server_message(
                "media.paused", participant_ids=list(cameras), screens=list(screens), reason=reason
            )
    return None


def ice_ttl_seconds() -> int | None:
    """How long the TURN credentials just handed out last (None: no TURN, nothing expires)."""
    return settings.TURN_CREDENTIAL_SECONDS if settings.TURN_URLS and settings.TURN_SECRET else None


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
