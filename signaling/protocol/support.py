"""The attention queue, "I need support" and reports (docs/protocol.md, Support)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from rooms.shapes import AttentionInfo, SupportInfo
from signaling.protocol.base import ERROR_CODES, Message

# --- client -> server ------------------------------------------------------------


class SupportRequest(Message):
    """ "I need support": private, to the facilitators only."""

    type: Literal["support.request"]
    note: str = Field(default="", max_length=4000)


class SupportCancel(Message):
    type: Literal["support.cancel"]


class ReportSend(Message):
    type: Literal["report.send"]
    reason: str = Field(max_length=40)
    note: str = Field(default="", max_length=4000)
    participant_id: UUID | None = None
    message_id: int | None = Field(default=None, ge=1)


class AttentionHandle(Message):
    type: Literal["attention.handle"]
    item_id: UUID


CLIENT_MODELS = (SupportRequest, SupportCancel, ReportSend, AttentionHandle)

# --- server -> client ------------------------------------------------------------


class AttentionItemOut(Message):
    type: Literal["attention.item"]
    item: AttentionInfo


class SupportStatusOut(Message):
    type: Literal["support.status"]
    support: SupportInfo


class ReportReceivedOut(Message):
    type: Literal["report.received"]
    report_id: str


SERVER_MODELS = (AttentionItemOut, SupportStatusOut, ReportReceivedOut)

ERROR_CODES.update(
    {
        "note_too_long": "A note can be at most 500 characters.",
        "no_support_request": "There is no open request for support.",
        "invalid_reason": "Choose one of the reasons offered.",
        "nothing_to_report": "Choose a message or a person to report.",
        "cannot_report_self": "You cannot report yourself.",
        "message_not_found": "There is no such message to report.",
        "message_removed": "A facilitator has already removed that message.",
        "attention_not_found": "There is no such item in the queue.",
    }
)
