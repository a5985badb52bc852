"""What the meeting page needs to know of the server, embedded in room.html as JSON.

The browser app has no build step, so instead of copying the server's lists into
JavaScript by hand, the page carries them (`{{ client_constants|json_script }}`) and
frontend/static/js/protocol.js reads them: the message types, error codes, close codes,
the goodbye texts the server also sends, and the check-in results step.
"""

from __future__ import annotations

from rooms import checkins, moderation
from signaling import protocol


def client_constants() -> dict:
    return {
        "protocol_version": protocol.PROTOCOL_VERSION,
        "client_types": sorted(protocol.CLIENT_TYPES),
        "server_types": sorted(protocol.SERVER_TYPES),
        "error_codes": dict(sorted(protocol.ERROR_CODES.items())),
        # JSON object keys are strings; protocol.js turns them back into numbers.
        "close_codes": {str(code): text for code, text in sorted(protocol.CLOSE_CODES.items())},
        # The words of a removal or the end, for a page that missed the server's message.
        "goodbyes": {"4411": moderation.REMOVED_MESSAGE, "4412": moderation.ENDED_MESSAGE},
        "checkin_live_step": checkins.LIVE_STEP,
    }
