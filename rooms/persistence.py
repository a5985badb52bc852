"""The one mapping between a meeting's pure state (`state.MeetingState`) and its database rows.

`room_load` reads a meeting into a MeetingState; `Snapshot.take` remembers the persisted fields
before an operation and `Snapshot.write_back` stores only what the operation changed.
tests/rooms/test_persistence.py ties `state.Member`, `models.Participant` and the wire
shape `ParticipantInfo` together: a field added to one and not the others fails there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rooms import queue, state
from rooms.models import AttentionItem, Breakout, Meeting, Participant

# Participants who are no longer part of the meeting: never loaded into a MeetingState.
GONE = (Participant.Status.LEFT, Participant.Status.DENIED)

# Member attribute -> Participant column, for the fields an operation may change.
MEMBER_COLUMNS = {
    "role": "role",
    "media": "media",
    "status": "status",
    "connection": "connection",
    "hand_seq": "hand_raised_seq",
    "disconnected_at": "disconnected_at",
    "muted_by": "muted_by",
    "video_stopped_by": "video_stopped_by",
    "asked_audio": "asked_audio",
    "asked_video": "asked_video",
    "breakout": "breakout_id",
    "banned": "banned",
    "latecomer": "latecomer",
}
# Member attributes set when the participant is created and only read afterwards.
MEMBER_READ_ONLY = {"id": "id", "name": "display_name"}

# MeetingState attribute -> Meeting column, for the fields an operation may change.
ROOM_COLUMNS = {
    "hand_counter": "hand_counter",
    "locked": "locked",
    "allow_self_unmute": "allow_self_unmute",
    "muted_on_entry": "muted_on_entry",
    "self_select": "breakout_self_select",
    "breakout_ends_at": "breakout_ends_at",
    "breakout_warn_at": "breakout_warn_at",
    "breakout_warned": "breakout_warned",
    "goround": "goround",
    "screenshare": "screenshare",
}


def room_load(*, meeting: Meeting) -> state.MeetingState:
    room = state.MeetingState(
        meeting_id=str(meeting.id),
        lobby_enabled=meeting.lobby_enabled,
        ended=meeting.ended_at is not None,
        **{attr: getattr(meeting, column) for attr, column in ROOM_COLUMNS.items()},
    )
    for b in Breakout.objects.filter(meeting=meeting).order_by("position"):
        room.breakouts[str(b.id)] = state.Breakout(
            id=str(b.id), name=b.name, position=b.position, open=b.closed_at is None
        )
    for p in meeting.participants.exclude(status__in=GONE).order_by("created_at"):
        room.members[str(p.id)] = member_from_row(p)
    rows = AttentionItem.objects.filter(meeting=meeting).select_related(
        "participant", "subject", "handled_by"
    )
    for row in rows.order_by("seq"):
        room.attention[str(row.id)] = _item_from_row(row)
    return room


def _item_from_row(row: AttentionItem) -> queue.AttentionItem:
    return queue.AttentionItem(
        id=str(row.id),
        seq=row.seq,
        kind=row.kind,
        participant_id=str(row.participant_id),
        name=row.participant.display_name,
        state=row.state,
        note=row.note,
        breakout=row.breakout_id or None,
        reason=row.reason,
        subject_id=str(row.subject_id) if row.subject_id else None,
        subject_name=row.subject.display_name if row.subject else "",
        message_id=row.message_id,
        message_text=row.message_text,
        handled_by=str(row.handled_by_id) if row.handled_by_id else None,
        handled_by_name=row.handled_by.display_name if row.handled_by else "",
        created_at=row.created_at,
        latecomer=row.kind == AttentionItem.Kind.KNOCK and row.participant.latecomer,
        cofacilitator_link=row.kind == AttentionItem.Kind.KNOCK
        and row.participant.role == Participant.Role.COFACILITATOR,
    )


def _item_fields(item: queue.AttentionItem) -> dict[str, Any]:
    """The columns of an item that may change once it exists."""
    return {"state": item.state, "handled_by_id": item.handled_by}


def member_from_row(p: Participant) -> state.Member:
    fields = {attr: getattr(p, column) for attr, column in MEMBER_COLUMNS.items()}
    fields["breakout"] = str(p.breakout_id) if p.breakout_id else None
    return state.Member(id=str(p.id), name=p.display_name, **fields)


def _member_fields(member: state.Member) -> dict[str, Any]:
    return {column: getattr(member, attr) for attr, column in MEMBER_COLUMNS.items()}


def _facilitates(columns: dict[str, Any]) -> bool:
    admitted = columns["status"] == Participant.Status.ADMITTED
    return admitted and columns["role"] in state.FACILITATING_ROLES


def _room_fields(room: state.MeetingState) -> dict[str, Any]:
    return {column: getattr(room, attr) for attr, column in ROOM_COLUMNS.items()}


@dataclass(frozen=True)
class Snapshot:
    """The persisted fields of a loaded MeetingState, to write back only what changed."""

    members: dict[str, dict[str, Any]]  # participant id -> column -> value
    room: dict[str, Any]  # column -> value
    breakouts_open: dict[str, bool]
    attention: dict[str, dict[str, Any]]  # item id -> column -> value

    @classmethod
    def take(cls, room: state.MeetingState) -> Snapshot:
        return cls(
            members={pid: _member_fields(m) for pid, m in room.members.items()},
            room=_room_fields(room),
            breakouts_open={bid: b.open for bid, b in room.breakouts.items()},
            attention={iid: _item_fields(i) for iid, i in room.attention.items()},
        )

    def write_back(self, meeting: Meeting, room: state.MeetingState, now: datetime) -> None:
        _write_breakouts(meeting, room, self.breakouts_open, now)
        _write_attention(meeting, room, self.attention)
        for pid, member in room.members.items():
            before = self.members.get(pid, {})
            changed = {k: v for k, v in _member_fields(member).items() if before.get(k) != v}
            if before and _facilitates(before) != member.facilitates:
                changed["facilitates_since"] = now if member.facilitates else None
            if changed:
                Participant.objects.filter(id=pid).update(**changed)
        changed_room = {k: v for k, v in _room_fields(room).items() if self.room.get(k) != v}
        if room.ended and meeting.ended_at is None:
            changed_room["ended_at"] = now
        if changed_room:
            Meeting.objects.filter(id=meeting.id).update(**changed_room)


def _write_breakouts(
    meeting: Meeting, room: state.MeetingState, before: dict[str, bool], now: datetime
) -> None:
    new = [b for bid, b in room.breakouts.items() if bid not in before]
    Breakout.objects.bulk_create(
        Breakout(id=b.id, meeting=meeting, name=b.name, position=b.position, closed_at=None)
        for b in new
    )
    closed = [bid for bid, b in room.breakouts.items() if before.get(bid) and not b.open]
    if closed:
        Breakout.objects.filter(id__in=closed).update(closed_at=now)


def _write_attention(
    meeting: Meeting, room: state.MeetingState, before: dict[str, dict[str, Any]]
) -> None:
    new = [i for iid, i in room.attention.items() if iid not in before]
    AttentionItem.objects.bulk_create(
        AttentionItem(
            id=i.id,
            meeting=meeting,
            seq=i.seq,
            kind=i.kind,
            participant_id=i.participant_id,
            subject_id=i.subject_id,
            message_id=i.message_id,
            message_text=i.message_text,
            reason=i.reason,
            note=i.note,
            breakout_id=i.breakout or "",
            state=i.state,
            handled_by_id=i.handled_by,
        )
        for i in new
    )
    for iid, item in room.attention.items():
        if iid in before and before[iid] != _item_fields(item):
            AttentionItem.objects.filter(id=iid).update(**_item_fields(item))
