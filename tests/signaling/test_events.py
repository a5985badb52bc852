"""Every domain event (rooms/events.py) is a server message of the protocol, field for field."""

import pytest

from rooms import events
from signaling import protocol

_SERVER = {protocol._literal_type(m): m for m in protocol._SERVER_MODELS}


def test_the_event_list_is_complete():
    assert len(events.EVENT_MODELS) == len(set(m.type for m in events.EVENT_MODELS))
    assert {m.type for m in events.EVENT_MODELS} <= protocol.SERVER_TYPES


@pytest.mark.parametrize("model", events.EVENT_MODELS, ids=lambda m: m.type)
def test_each_event_has_the_fields_of_its_server_message(model):
    server = _SERVER[model.type]
    payload = {k: f for k, f in model.model_fields.items() if k not in ("to", "then")}
    wire = {k: f for k, f in server.model_fields.items() if k != "type"}
    assert set(payload) == set(wire)
    for name, field in payload.items():
        assert field.annotation == wire[name].annotation, name
        assert field.is_required() == wire[name].is_required(), name


def test_a_wrong_payload_fails_where_the_event_is_built():
    with pytest.raises(ValueError):
        events.Muted(kind="audio", by_role="peer", to=events.ToParticipant("a"))
    with pytest.raises(ValueError):
        events.HandsUpdated(queue=[], to="room")
    with pytest.raises(ValueError):
        events.BreakoutsClosed(reason="timer", extra=1, to=events.ToMeeting())
