"""The refusal groups/ raises: a stable code and a sentence a person can act on."""

from __future__ import annotations


class GroupError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
