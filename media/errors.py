"""Typed relay errors. ``code`` is stable: signaling forwards it to clients as is."""

from __future__ import annotations


class MediaError(Exception):
    code = "media_error"

    def __init__(self, participant: str, detail: str = "") -> None:
        super().__init__(f"{self.code}: {participant}: {detail}" if detail else participant)
        self.participant = participant
        self.detail = detail


class BadSdp(MediaError):
    code = "bad_sdp"


class BadCandidate(MediaError):
    code = "bad_candidate"


class UnknownParticipant(MediaError):
    code = "unknown_participant"


class AlreadyJoined(MediaError):
    code = "already_joined"


class ConnectionClosed(MediaError):
    code = "connection_closed"


class NegotiationInProgress(MediaError):
    """The client offered while the relay's own offer awaits its answer (glare)."""

    code = "negotiation_in_progress"


class UnexpectedAnswer(MediaError):
    code = "unexpected_answer"


class RelayClosed(MediaError):
    code = "relay_closed"


# every error above: each is a direct subclass of MediaError, defined in this module
ERROR_CODES = sorted(cls.code for cls in MediaError.__subclasses__())
