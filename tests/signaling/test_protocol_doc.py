"""docs/protocol.md is the protocol's one description: it must list exactly what the code has."""

import json
import re
from pathlib import Path

import pytest

from signaling import protocol

DOC = (Path(__file__).resolve().parents[2] / "docs" / "protocol.md").read_text()


def _section(title: str) -> str:
    match = re.search(rf"^## {title}\n(.*?)(?=^## |\Z)", DOC, re.S | re.M)
    assert match, f"docs/protocol.md has no section '## {title}'"
    return match.group(1)


def _examples(section: str) -> dict[str, dict]:
    found = {}
    for heading, body in re.findall(r"^### `([^`]+)`\n(.*?)(?=^### |\Z)", section, re.S | re.M):
        block = re.search(r"```json\n(.*?)\n```", body, re.S)
        assert block, f"{heading} has no JSON example"
        found[heading] = json.loads(block.group(1))
    return found


def test_every_client_message_is_documented_with_an_example_that_parses():
    examples = _examples(_section("Client messages"))
    assert set(examples) == set(protocol.CLIENT_TYPES)
    for type_, example in examples.items():
        parsed = protocol.parse_client_frame(json.dumps(example))
        assert parsed.type == type_


def test_every_server_message_is_documented_with_an_example_that_validates():
    examples = _examples(_section("Server messages"))
    assert set(examples) == set(protocol.SERVER_TYPES)
    for type_, example in examples.items():
        data = {k: v for k, v in example.items() if k != "type"}
        assert protocol.server_message(type_, **data)["type"] == type_


@pytest.mark.parametrize(
    ("title", "codes"),
    [("Error codes", protocol.ERROR_CODES), ("Close codes", protocol.CLOSE_CODES)],
)
def test_every_code_is_documented(title, codes):
    documented = set(re.findall(r"^\| `?(\w+)`? \|", _section(title), re.M)) - {"code"}
    assert documented == {str(c) for c in codes}


def test_a_message_missing_from_the_doc_would_fail(monkeypatch):
    monkeypatch.setattr(protocol, "CLIENT_TYPES", protocol.CLIENT_TYPES | {"room.teleport"})
    with pytest.raises(AssertionError):
        test_every_client_message_is_documented_with_an_example_that_parses()


# Creating a meeting, joining one and changing its invite links are HTTP requests
# (meetings/views.py answers them with a status and the sentence), not socket messages.
# rooms/agreement.py raises its own codes only for the join and the meeting's page; its one
# socket power (agreement.show) refuses through rooms/policy.py.
HTTP_ONLY = {
    Path("rooms/services/meetings.py"),
    Path("rooms/services/invites.py"),
    Path("rooms/agreement.py"),
}


def test_every_refusal_the_server_raises_has_a_documented_code():
    # rooms/ and signaling/ raise codes by name; a code missing from ERROR_CODES would reach
    # a client undocumented, with no text the page can show.
    root = Path(__file__).resolve().parents[2]
    raised = set()
    for folder in ("rooms", "signaling", "media"):
        for path in (root / folder).rglob("*.py"):
            if path.relative_to(root) in HTTP_ONLY:
                continue
            text = path.read_text()
            raised |= set(re.findall(r"(?:RoomError|ProtocolError|Failed)\(\s*\"([a-z_]+)\"", text))
    assert {"forbidden", "not_admitted", "rate_limited"} <= raised
    assert raised - set(protocol.ERROR_CODES) == set()
