"""The meeting page's copies of server lists: embedded from the server, or checked against it.

room.html carries meetings.client_constants as JSON for frontend/static/js/protocol.js.
Where a module keeps its own selection (the errors it explains, the messages it handles),
every code and type it names must exist on the server; these tests read the JS files.
"""

import html
import json
import re
from pathlib import Path

import pytest

from rooms import checkins, moderation
from signaling import protocol
from tests.factories import make_meeting

JS = Path(__file__).resolve().parents[2] / "frontend" / "static" / "js"
SOURCES = {str(p.relative_to(JS)): p.read_text() for p in sorted(JS.rglob("*.js"))}
ALL_JS = "\n".join(SOURCES.values())
# `type: "..."` that is a DOM input or an RTCSessionDescription, not a protocol message.
NOT_MESSAGES = {
    "button",
    "submit",
    "checkbox",
    "radio",
    "number",
    "text",
    "offer",
    "answer",
    "rollback",
}


def _strings(text: str) -> list[str]:
    return re.findall(r'"([^"]+)"', text)


def _embedded(page: str) -> dict:
    match = re.search(
        r'<script id="client-constants" type="application/json">(.*?)</script>', page, re.S
    )
    assert match, "room.html embeds client-constants"
    return json.loads(html.unescape(match.group(1)))


@pytest.mark.django_db
def test_the_page_embeds_the_servers_own_lists(client):
    meeting = make_meeting()
    page = client.get(f"/join/{meeting.peer_invite}/", follow=True).content.decode()
    embedded = _embedded(page)
    assert embedded["error_codes"] == protocol.ERROR_CODES
    assert embedded["close_codes"] == {str(k): v for k, v in protocol.CLOSE_CODES.items()}
    assert set(embedded["client_types"]) == protocol.CLIENT_TYPES
    assert set(embedded["server_types"]) == protocol.SERVER_TYPES
    assert embedded["protocol_version"] == protocol.PROTOCOL_VERSION
    assert embedded["goodbyes"] == {
        "4411": moderation.REMOVED_MESSAGE,
        "4412": moderation.ENDED_MESSAGE,
    }
    assert embedded["checkin_live_step"] == checkins.LIVE_STEP


def _named_error_codes() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    lists = r"(?:onError\(\[|[A-Z_]*(?:ERRORS|CODES)\s*=\s*(?:new Set\()?\[)([^\]]*)\]"
    for name, text in SOURCES.items():
        codes = {s for body in re.findall(lists, text) for s in _strings(body)}
        codes |= set(re.findall(r'code === "([a-z_]+)"', text))
        if codes:
            found[name] = codes
    return found


def test_every_error_code_the_page_names_exists_on_the_server():
    found = _named_error_codes()
    # The modules that explain errors are all seen, so a renamed list cannot hide.
    assert {
        "media.js",
        "selfmedia.js",
        "features/facilitation.js",
        "features/breakouts.js",
        "features/checkins.js",
    } <= set(found)
    unknown = {name: sorted(codes - set(protocol.ERROR_CODES)) for name, codes in found.items()}
    assert {name: codes for name, codes in unknown.items() if codes} == {}


def test_close_codes_are_named_only_in_protocol_js_and_exist_on_the_server():
    close = re.search(r"export const CLOSE = \{(.*?)\};", SOURCES["protocol.js"], re.S).group(1)
    codes = {int(c) for c in re.findall(r"\b(\d{4})\b", close)}
    assert codes == set(protocol.CLOSE_CODES)
    for name, text in SOURCES.items():
        if name != "protocol.js":
            assert not re.search(r"\b44\d\d\b", text), (
                f"{name} names a close code; use protocol.js CLOSE"
            )


def test_no_module_copies_the_servers_texts_or_the_checkin_step():
    for text in (
        moderation.REMOVED_MESSAGE,
        moderation.ENDED_MESSAGE,
        *protocol.ERROR_CODES.values(),
    ):
        assert text not in ALL_JS
    assert not re.search(r"LIVE_STEP\s*=\s*\d", ALL_JS)


def _received_types() -> set[str]:
    types = set(re.findall(r'onMessage\("([^"]+)"', ALL_JS))
    types |= set(re.findall(r'message\.type === "([^"]+)"', ALL_JS))
    media = re.search(r"MEDIA_MESSAGES = \[([^\]]*)\]", SOURCES["media.js"]).group(1)
    return types | set(_strings(media)) | set(re.findall(r'case "([^"]+)":', SOURCES["media.js"]))


def _sent_types() -> set[str]:
    types = set(re.findall(r'\btype: "([^"]+)"', ALL_JS)) - NOT_MESSAGES
    types |= set(re.findall(r'\bsend\("([^"]+)"', ALL_JS))
    types |= set(re.findall(r'\bact\("([^"]+)"', ALL_JS))
    return types


def test_every_message_type_the_page_handles_is_one_the_server_sends():
    received = _received_types()
    assert {
        "room.state",
        "chat.message",
        "media.offer",
        "checkin.state",
        "breakouts.updated",
        "muted",
    } <= received
    assert received - protocol.SERVER_TYPES == set()


@pytest.mark.parametrize("type_", sorted(_sent_types()))
def test_every_message_type_the_page_sends_is_one_the_server_takes(type_):
    assert type_ in protocol.CLIENT_TYPES
