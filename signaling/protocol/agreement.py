"""The group agreement in the room: a facilitator shows it to everyone again."""

from __future__ import annotations

from typing import Literal

from signaling.protocol.base import Message

FacilitatorRole = Literal["facilitator", "cofacilitator"]

# --- client -> server ------------------------------------------------------------


class AgreementShow(Message):
    type: Literal["agreement.show"]


CLIENT_MODELS = (AgreementShow,)

# --- server -> client ------------------------------------------------------------


class AgreementShownOut(Message):
    type: Literal["agreement.shown"]
    text: str
    by_name: str
    by_role: FacilitatorRole


SERVER_MODELS = (AgreementShownOut,)
