"""Reads for presence that does not depend on a socket's own goodbye: who is online on
which socket, and which meetings have people whose reconnect grace has run out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rooms.models import Participant


@dataclass(frozen=True)
class OnlineSocket:
    meeting_id: str
    participant_id: str
    channel_name: str


def online_sockets() -> list[OnlineSocket]:
    """Everyone counted online in a meeting that has not ended, with the socket that holds them."""
    rows = (
        Participant.objects.filter(
            connection=Participant.Connection.ONLINE, meeting__ended_at__isnull=True
        )
        .exclude(channel_name="")
        .values_list("meeting_id", "id", "channel_name")
    )
    return [OnlineSocket(str(m), str(p), channel) for m, p, channel in rows]


def meetings_with_lapsed_reconnects(*, disconnected_before: datetime) -> list[str]:
    """Meetings where someone has been reconnecting since before the cut-off."""
    rows = (
        Participant.objects.filter(
            connection=Participant.Connection.RECONNECTING,
            disconnected_at__lt=disconnected_before,
            meeting__ended_at__isnull=True,
        )
        .values_list("meeting_id", flat=True)
        .distinct()
    )
    return [str(m) for m in rows]
