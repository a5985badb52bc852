"""The live status page's figures: meetings live now (counts only, never names), the media
worker carrying each, the workers' load and lease, and the errors sent in the last hour.

Who sees what: the people who run the service (Django staff or superusers) see every
meeting; an organisation admin (groups.Staff, role admin) sees the meetings of their
organisation's groups. Workers and errors belong to the whole service and hold no meeting
or person, so both see them. Anyone else sees nothing (``scope_of`` is None).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Q
from django.utils import timezone

from groups.models import Group, Staff
from ops import error_counts
from rooms.models import Meeting, Participant

if TYPE_CHECKING:
    from media.registry import WorkerState

ERRORS_SINCE = timedelta(hours=1)
REGISTRY_TIMEOUT_SECONDS = 2.0

_ONLINE = Participant.Connection.ONLINE
_RECONNECTING = Participant.Connection.RECONNECTING
_CONNECTED = Q(participants__connection__in=(_ONLINE, _RECONNECTING))
_ADMITTED = Q(participants__status=Participant.Status.ADMITTED)
_PRESENT = _ADMITTED & _CONNECTED


@dataclass(frozen=True)
class Scope:
    everything: bool
    organisations: frozenset[int] = frozenset()


def scope_of(user: AbstractBaseUser | AnonymousUser) -> Scope | None:
    """What this account may see on the status page (None: it may not see the page)."""
    if not user.is_authenticated:
        return None
    if getattr(user, "is_staff", False) or getattr(user, "is_superuser", False):
        return Scope(everything=True)
    admin_of = Staff.objects.filter(user_id=user.pk, role=Staff.Role.ADMIN)
    organisations = frozenset(admin_of.values_list("organisation_id", flat=True))
    return Scope(everything=False, organisations=organisations) if organisations else None


def live_meetings(*, scope: Scope) -> list[dict[str, Any]]:
    """Meetings not ended with someone connected (in the room, reconnecting or waiting in
    the lobby), with their people counted by state and media mode."""
    rows = Meeting.objects.filter(ended_at__isnull=True)
    if not scope.everything:
        rows = rows.filter(occurrence__group__organisation_id__in=scope.organisations)
    counted = rows.annotate(
        in_room=Count("participants", filter=_ADMITTED & Q(participants__connection=_ONLINE)),
        reconnecting=Count(
            "participants", filter=_ADMITTED & Q(participants__connection=_RECONNECTING)
        ),
        lobby=Count(
            "participants",
            filter=_CONNECTED & Q(participants__status=Participant.Status.LOBBY),
        ),
        camera_mic=Count(
            "participants",
            filter=_PRESENT & Q(participants__media=Participant.Media.CAMERA_MIC),
        ),
        text_only=Count(
            "participants",
            filter=_PRESENT & Q(participants__media=Participant.Media.TEXT_ONLY),
        ),
    ).filter(Q(in_room__gt=0) | Q(reconnecting__gt=0) | Q(lobby__gt=0))
    values = counted.order_by("created_at").values(
        "id",
        "title",
        "in_room",
        "reconnecting",
        "lobby",
        "camera_mic",
        "text_only",
        "occurrence__group__title",
        "occurrence__group__kind",
        "occurrence__group__organisation__name",
    )
    return [
        {
            "id": str(row["id"]),
            "title": _title(row),
            "organisation": row["occurrence__group__organisation__name"] or "",
            "group": _group(row),
            **{key: row[key] for key in ("in_room", "reconnecting", "lobby")},
            **{key: row[key] for key in ("camera_mic", "text_only")},
            "worker": "",
        }
        for row in values
    ]


# A one-to-one session is often named after its one peer ("Session with Sam"): neither
# its title nor its group's is shown.
def _title(row: dict[str, Any]) -> str:
    if row["occurrence__group__kind"] == Group.Kind.ONE_TO_ONE:
        return "One-to-one session"
    return str(row["title"])


def _group(row: dict[str, Any]) -> str:
    if row["occurrence__group__kind"] == Group.Kind.ONE_TO_ONE:
        return "one-to-one"
    return str(row["occurrence__group__title"] or "")


async def media_workers(meetings: list[dict[str, Any]]) -> dict[str, Any]:
    """The workers and which one carries each meeting (filled into ``meetings``)."""
    from signaling import media_bridge

    if not settings.MEDIA_ENABLED:
        return {"mode": "off", "problem": "", "workers": []}
    if settings.MEDIA_REGISTRY_URL:
        try:
            workers, placed = await asyncio.wait_for(
                media_bridge.registry().snapshot([m["id"] for m in meetings]),
                REGISTRY_TIMEOUT_SECONDS,
            )
        except Exception as exc:
            problem = f"The media workers' registry did not answer ({type(exc).__name__})."
            return {"mode": "registry", "problem": problem, "workers": []}
        lease = settings.MEDIA_WORKER_LEASE_SECONDS
        for meeting, worker in zip(meetings, placed, strict=True):
            meeting["worker"] = worker
        return {
            "mode": "registry",
            "problem": "",
            "workers": [
                {
                    "worker": w.worker,
                    "alive": w.alive and not w.draining,
                    "state": _state(w),
                    "participants": w.load,
                    "streams": w.streams,
                    "meetings": w.meetings,
                    "renewed_seconds_ago": round(max(0.0, lease - w.lease_left_seconds), 1)
                    if w.alive
                    else None,
                }
                for w in workers
            ],
        }
    local = media_bridge.local_worker()
    if local is None:
        return {"mode": "embedded", "problem": "", "workers": []}
    hosting = local.hosting()
    for meeting in meetings:
        meeting["worker"] = EMBEDDED_WORKER if meeting["id"] in hosting else ""
    relay = {
        "worker": EMBEDDED_WORKER,
        "alive": True,
        "state": "alive",
        "participants": len(local.meetings),
        "streams": local.relay.forwarded_streams(),
        "meetings": len(hosting),
        "renewed_seconds_ago": None,
    }
    return {"mode": "embedded", "problem": "", "workers": [relay]}


EMBEDDED_WORKER = "built-in relay"


def _state(worker: WorkerState) -> str:
    if not worker.alive:
        return "lapsed"
    if worker.draining:
        return "draining"
    return "alive" if worker.ready else "not ready"


def _errors() -> list[dict[str, Any]]:
    from signaling.protocol import ERROR_CODES

    since = timezone.now() - ERRORS_SINCE
    return [
        {"code": code, "count": n, "meaning": ERROR_CODES.get(code, "")}
        for code, n in error_counts.counts_since(since)
    ]


def status(scope: Scope) -> dict[str, Any]:
    """Everything the page shows, JSON-safe: the page renders it and the JSON endpoint
    returns it as it is. Called from a sync view: under daphne the registry is read on the
    server's event loop, where this process's relay and Redis clients live."""
    meetings = live_meetings(scope=scope)
    media = async_to_sync(media_workers)(meetings)
    errors = _errors()
    totals = {
        "meetings": len(meetings),
        "people": sum(m["in_room"] + m["reconnecting"] + m["lobby"] for m in meetings),
        "workers_alive": sum(1 for w in media["workers"] if w["alive"]),
        "errors": sum(e["count"] for e in errors),
    }
    return {
        "generated_at": timezone.now().isoformat(timespec="seconds"),
        "totals": totals,
        "meetings": meetings,
        "media": media,
        "errors": errors,
    }
