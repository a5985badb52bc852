"""The one refusal the domain raises: a stable code the client explains, and a sentence."""

from __future__ import annotations


class RoomError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
