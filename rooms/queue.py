"""The attention queue's items as part of a meeting's state, and the reads and changes that
`MeetingState` itself needs (a knock comes and goes with a stay in the lobby). The actions
people take on the queue are in attention.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from rooms.events import AttentionUpdated, Event, ToFacilitators
from rooms.shapes import AttentionInfo, SupportInfo

if TYPE_CHECKING:
    from rooms.state import MeetingState, Member

OPEN, HANDLED, CANCELLED = "open", "handled", "cancelled"
COFACILITATOR = "cofacilitator"  # as rooms.state.COFACILITATOR (state imports this module)


@dataclass
class AttentionItem:
    """One entry of the facilitators' attention queue."""

    id: str
    seq: int
    kind: str  # help, support, report, knock
    participant_id: str
    name: str  # who asked, knocked or reported, as they were called then
    state: str = OPEN  # open, handled, cancelled
    note: str = ""
    breakout: str | None = None  # where the person was when they asked
    reason: str = ""
    subject_id: str | None = None
    subject_name: str = ""
    message_id: int | None = None
    message_text: str = ""
    handled_by: str | None = None
    handled_by_name: str = ""
    created_at: datetime | None = None
    # a knock's extra marks: came after the meeting was locked; came with the co-facilitator
    # link (then only the meeting's owner may admit them)
    latecomer: bool = False
    cofacilitator_link: bool = False
    outcome: str = ""  # a settled knock: admitted, turned_away or left

    @property
    def open(self) -> bool:
        return self.state == OPEN


def item_public(room: MeetingState, item: AttentionItem) -> AttentionInfo:
    breakout = room.breakouts.get(item.breakout) if item.breakout else None
    return AttentionInfo.model_validate(
        {
            "id": item.id,
            "seq": item.seq,
            "kind": item.kind,
            "participant_id": item.participant_id,
            "name": item.name,
            "state": item.state,
            "note": item.note,
            "breakout_id": breakout.id if breakout else None,
            "breakout_name": breakout.name if breakout else None,
            "reason": item.reason or None,
            "subject_id": item.subject_id,
            "subject_name": item.subject_name or None,
            "message_id": item.message_id,
            "message_text": item.message_text or None,
            "handled_by_name": item.handled_by_name or None,
            "created_at": item.created_at.isoformat() if item.created_at else None,
            "latecomer": item.latecomer,
            "cofacilitator_link": item.cofacilitator_link,
            "outcome": item.outcome or None,
        }
    )


def item_event(room: MeetingState, item: AttentionItem) -> Event:
    return AttentionUpdated(item=item_public(room, item), to=ToFacilitators())


def add_item(room: MeetingState, *, kind: str, member: Member, **fields: Any) -> AttentionItem:
    seq = max((i.seq for i in room.attention.values()), default=0) + 1
    item = AttentionItem(
        id=str(uuid4()),
        seq=seq,
        kind=kind,
        participant_id=member.id,
        name=member.name,
        created_at=datetime.now(UTC),
        **fields,
    )
    room.attention[item.id] = item
    return item


def support_item(room: MeetingState, participant_id: str) -> AttentionItem | None:
    """The person's latest "I need support" signal, if any."""
    mine = [
        i
        for i in room.attention.values()
        if i.kind == "support" and i.participant_id == participant_id
    ]
    return mine[-1] if mine else None


def support_of(room: MeetingState, participant_id: str) -> SupportInfo:
    item = support_item(room, participant_id)
    if item is None:
        return SupportInfo(state="none")
    return SupportInfo.model_validate({"state": item.state, "note": item.note})


def knock(room: MeetingState, member: Member) -> list[Event]:
    """Whoever waits in the lobby is also an item of the queue, once per stay (a reconnect
    from the lobby adds nothing)."""
    if any(
        i.kind == "knock" and i.participant_id == member.id and i.open
        for i in room.attention.values()
    ):
        return []
    item = add_item(
        room,
        kind="knock",
        member=member,
        latecomer=member.latecomer,
        cofacilitator_link=member.role == COFACILITATOR,
    )
    return [item_event(room, item)]


ADMITTED, TURNED_AWAY, LEFT = "admitted", "turned_away", "left"  # how a knock ended


def settle_knocks(
    room: MeetingState, member: Member, outcome: str, handled_by: Member | None = None
) -> list[Event]:
    """A knock is over once they are let in, turned away or gone from the lobby; the card
    says which, so a facilitator reading the queue later knows what became of them."""
    events: list[Event] = []
    for item in room.attention.values():
        if item.kind == "knock" and item.participant_id == member.id and item.open:
            item.state = HANDLED if handled_by else CANCELLED
            item.outcome = outcome
            if handled_by:
                item.handled_by, item.handled_by_name = handled_by.id, handled_by.name
            events.append(item_event(room, item))
    return events
