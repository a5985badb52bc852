"""Every field of every client message, sent with a wrongly typed value, is refused.

The cases are generated from the Pydantic models in signaling/protocol/, so a field added
later is covered without touching this file. Each wrong value is picked to be one that
lax parsing would coerce ("true" for a boolean, "5" or 5.0 for an integer, 1 for a
boolean); the protocol is strict, so each must come back as a typed `invalid_message`
error and change nothing.
"""

from __future__ import annotations

import asyncio
import json
import types
import typing
import uuid
from dataclasses import dataclass
from typing import Any, Literal, Union

import annotated_types
import pytest
from pydantic import BaseModel

from signaling import protocol as p
from signaling.protocol import _CLIENT_MODELS, _client_adapter

TARGET = "11111111-2222-4333-8444-555555555555"  # replaced by a real participant's id


@dataclass(frozen=True)
class Case:
    type: str
    path: tuple[str | int, ...]
    wrong: Any
    base: dict

    def frame(self, target: str = TARGET) -> str:
        message = json.loads(json.dumps(self.base).replace(TARGET, target))
        holder = message
        path = [target if key == TARGET else key for key in self.path]
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] = self.wrong
        return json.dumps(message)

    def __str__(self) -> str:
        return f"{self.type}.{'.'.join(map(str, self.path))}={self.wrong!r}"


def _arms(annotation) -> list:
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return list(typing.get_args(annotation))
    return [annotation]


def _kinds(annotation) -> set[str]:
    """The JSON types a strict field of this annotation accepts."""
    kinds: set[str] = set()
    for arm in _arms(annotation):
        origin = typing.get_origin(arm)
        if arm is type(None):
            kinds.add("null")
        elif origin is Literal:
            kinds |= {_json_kind(v) for v in typing.get_args(arm)}
        elif origin in (list, tuple):
            kinds.add("array")
        elif origin is dict or (isinstance(arm, type) and issubclass(arm, BaseModel)):
            kinds.add("object")
        elif arm is bool:
            kinds.add("boolean")
        elif arm is int:
            kinds.add("integer")
        elif arm is float:
            kinds |= {"integer", "number"}
        elif arm in (str, uuid.UUID):
            kinds.add("string")
        else:
            raise AssertionError(f"the generator does not know {arm!r}; teach it")
    return kinds


def _json_kind(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    return {str: "string", int: "integer", float: "number"}[type(value)]


def _valid(annotation, metadata=()) -> Any:
    arm = next(a for a in _arms(annotation) if a is not type(None))
    origin = typing.get_origin(arm)
    if origin is Literal:
        return typing.get_args(arm)[0]
    if origin is list:
        return [_valid(typing.get_args(arm)[0])]
    if origin is dict:  # keyed by participant id
        return {TARGET: _valid(typing.get_args(arm)[1])}
    if isinstance(arm, type) and issubclass(arm, BaseModel):
        return _required(arm)
    if arm is bool:
        return True
    if arm in (int, float):
        lower = [m.ge for m in metadata if isinstance(m, annotated_types.Ge)]
        return lower[0] if lower and lower[0] > 0 else 7
    if arm is uuid.UUID:
        return TARGET
    return "x"


def _required(model: type[BaseModel]) -> dict:
    return {
        name: _valid(f.annotation, f.metadata)
        for name, f in model.model_fields.items()
        if f.is_required()
    }


def _wrong_values(annotation, valid) -> list:
    """One value of each JSON type the field refuses, preferring ones lax mode would coerce."""
    kinds = _kinds(annotation)
    number = valid if isinstance(valid, int) and not isinstance(valid, bool) else 1
    by_kind = {
        "string": "true" if "boolean" in kinds else str(number),
        "integer": 1,
        "number": float(number) if "integer" in kinds else 1.5,
        "boolean": True,
        "null": None,
        "array": [],
        "object": {},
    }
    return [v for k, v in by_kind.items() if k not in kinds]


def _field_cases(type_: str, model: type[BaseModel], base: dict, prefix: tuple) -> list[Case]:
    cases = []
    for name, field in model.model_fields.items():
        if name == "type":
            continue
        valid = _valid(field.annotation, field.metadata)
        with_field = json.loads(json.dumps(base))
        holder = with_field
        for key in prefix:
            holder = holder[key]
        holder[name] = valid
        if not prefix:
            with_field = _satisfy_model_checks(model, with_field)
        path = (*prefix, name)
        cases += [Case(type_, path, w, with_field) for w in _wrong_values(field.annotation, valid)]
        arm = next(a for a in _arms(field.annotation) if a is not type(None))
        if typing.get_origin(arm) is dict:
            value = typing.get_args(arm)[1]
            cases += [
                Case(type_, (*path, TARGET), w, with_field)
                for w in _wrong_values(value, valid[TARGET])
            ]
            if isinstance(value, type) and issubclass(value, BaseModel):
                cases += _field_cases(type_, value, with_field, (*path, TARGET))
        elif isinstance(valid, dict):
            nested = next(a for a in _arms(field.annotation) if isinstance(a, type))
            cases += _field_cases(type_, nested, with_field, path)
        if isinstance(valid, list):
            item = typing.get_args(next(a for a in _arms(field.annotation) if a is not None))[0]
            cases += [Case(type_, (*path, 0), w, with_field) for w in _wrong_values(item, valid[0])]
    return cases


def _parses(message: dict) -> bool:
    try:
        p.parse_client_frame(json.dumps(message))
    except p.ProtocolError:
        return False
    return True


def _satisfy_model_checks(model: type[BaseModel], message: dict) -> dict:
    """Adds one optional field when a model-level rule (e.g. "count or names") asks for it."""
    if _parses(message):
        return message
    for name, field in model.model_fields.items():
        if name not in message:
            candidate = {**message, name: _valid(field.annotation, field.metadata)}
            if _parses(candidate):
                return candidate
    raise AssertionError(f"cannot build a valid {message['type']} from {message}")


def _all_cases() -> list[Case]:
    cases = []
    for model in _CLIENT_MODELS:
        type_ = typing.get_args(model.model_fields["type"].annotation)[0]
        cases += _field_cases(type_, model, {"type": type_, **_required(model)}, ())
    return cases


CASES = _all_cases()


def test_the_generator_covers_every_field_of_every_client_message():
    covered = {(c.type, c.path[0]) for c in CASES}
    for model in _CLIENT_MODELS:
        type_ = typing.get_args(model.model_fields["type"].annotation)[0]
        for name in model.model_fields:
            assert name == "type" or (type_, name) in covered, (type_, name)
    # The cases would mostly be accepted by a lax parser; otherwise this file proves little.
    coerced = 0
    for case in CASES:
        try:
            _client_adapter.validate_json(case.frame(), strict=False)
            coerced += 1
        except ValueError:
            pass
    assert coerced >= 30, coerced


@pytest.mark.parametrize("case", CASES, ids=str)
def test_wrongly_typed_field_is_refused(case):
    p.parse_client_frame(json.dumps(case.base).replace(TARGET, str(uuid.uuid4())))  # base is fine
    with pytest.raises(p.ProtocolError) as refused:
        p.parse_client_frame(case.frame())
    assert refused.value.code == "invalid_message"
    assert ".".join(map(str, case.path)) in refused.value.detail


@pytest.mark.django_db(transaction=True)
async def test_wrong_types_over_the_socket_get_typed_errors_and_change_nothing(room):
    """The facilitator may do everything, so any coerced message would take effect."""
    peer = await room.admitted_peer("Steady Heron")
    for case in CASES:
        await room.facilitator.send_raw(case.frame(target=peer.participant_id))
        error = await room.facilitator.expect("error")
        assert error["code"] == "invalid_message", f"{case}: {error}"
        await asyncio.sleep(0.05)  # under the 20 frames a second the socket allows
    await peer.nothing_more()
    await room.facilitator.send({"type": "chat.send", "text": "nothing happened"})
    assert (await room.facilitator.next())["type"] == "chat.ack"  # the sender's, first
    for client in (peer, room.facilitator):
        arrived = await client.next()
        assert arrived["type"] == "chat.message", arrived
        assert arrived["message"]["text"] == "nothing happened"
