"""The go-round, pure: every action and every refusal, without a database or sockets."""

import copy
import random
from datetime import UTC, datetime, timedelta

import pytest

from rooms import goround, moderation, state
from rooms.events import ToMeeting
from rooms.state import MeetingState, Member, RoomError

T0 = datetime(2026, 1, 1, 18, 0, tzinfo=UTC)


def member(id_, role=state.PEER, status=state.ADMITTED, media="camera_mic"):
    return Member(
        id=id_, name=id_.title(), role=role, media=media, status=status, connection=state.ONLINE
    )


@pytest.fixture
def room():
    room = MeetingState(meeting_id="m1", lobby_enabled=True)
    for m in (
        member("fern", state.FACILITATOR),
        member("heron"),
        member("wren", media="text_only"),
        member("lark"),
        member("willow", status=state.LOBBY),
    ):
        room.members[m.id] = m
    return room


def start(room, actor="fern", order=("heron", "wren", "lark"), shuffle=False, seconds=120):
    return goround.start(
        room,
        actor,
        order=list(order) if order is not None else None,
        shuffle=shuffle,
        seconds=seconds,
        now=T0,
        rng=random.Random(4),
    )


def view(room):
    return goround.public(room)


def outcomes(room):
    return {t["participant_id"]: t["outcome"] for t in view(room)["turns"]}


def refused(code, operation, room):
    before = copy.deepcopy(room)
    with pytest.raises(RoomError) as exc:
        operation()
    assert exc.value.code == code
    assert room == before  # nothing changed


def test_start_shows_everyone_whose_turn_and_who_is_next(room):
    events = start(room)
    assert [e.type for e in events] == ["goround.updated"]
    assert events[0].to == ToMeeting()
    shown = events[0].goround
    assert shown.current == "heron" and shown.next == "wren"
    assert shown.seconds == 120 and shown.turn_started_at == T0.isoformat()
    assert [t.name for t in shown.turns] == ["Heron", "Wren", "Lark"]
    assert [t.text_only for t in shown.turns] == [False, True, False]


def test_start_without_an_order_takes_everyone_in_the_room(room):
    start(room, order=None)
    assert [t["participant_id"] for t in view(room)["turns"]] == ["fern", "heron", "wren", "lark"]


def test_shuffled_start_keeps_the_same_people(room):
    start(room, order=None, shuffle=True)
    ids = [t["participant_id"] for t in view(room)["turns"]]
    assert sorted(ids) == ["fern", "heron", "lark", "wren"]
    assert ids != ["fern", "heron", "wren", "lark"]  # this seed moves them


def test_next_walks_the_order_and_finishes(room):
    start(room)
    goround.next_turn(room, "fern", T0 + timedelta(minutes=2))
    assert view(room)["current"] == "wren" and view(room)["next"] == "lark"
    goround.next_turn(room, "fern", T0 + timedelta(minutes=4))
    assert view(room)["next"] is None
    goround.next_turn(room, "fern", T0 + timedelta(minutes=6))
    shown = view(room)
    assert shown["finished"] and shown["current"] is None
    assert outcomes(room) == {"heron": "spoke", "wren": "spoke", "lark": "spoke"}
    wren = shown["turns"][1]
    assert wren["started_at"] == (T0 + timedelta(minutes=2)).isoformat()
    assert wren["ended_at"] == (T0 + timedelta(minutes=4)).isoformat()


def test_the_speaker_passes_their_own_turn(room):
    start(room)
    goround.pass_turn(room, "heron", T0)
    assert outcomes(room)["heron"] == "passed"
    assert view(room)["current"] == "wren"


def test_a_facilitator_marks_a_pass_for_the_speaker(room):
    start(room)
    goround.pass_turn(room, "fern", T0)
    assert outcomes(room)["heron"] == "passed"


def test_a_peer_cannot_pass_someone_elses_turn(room):
    start(room)
    refused("not_your_turn", lambda: goround.pass_turn(room, "lark", T0), room)


def test_nobody_can_pass_when_the_round_is_finished(room):
    start(room, order=["heron"])
    goround.next_turn(room, "fern", T0)
    refused("not_your_turn", lambda: goround.pass_turn(room, "heron", T0), room)


def test_a_peer_cannot_start_a_go_round(room):
    refused("forbidden", lambda: start(room, actor="heron"), room)


@pytest.mark.parametrize(
    "operation",
    [
        lambda room: goround.next_turn(room, "heron", T0),
        lambda room: goround.previous_turn(room, "heron", T0),
        lambda room: goround.reorder(room, "heron", ["lark"], T0),
        lambda room: goround.end(room, "heron"),
    ],
    ids=["next", "previous", "reorder", "end"],
)
def test_peers_cannot_run_the_go_round(room, operation):
    start(room)
    goround.next_turn(room, "fern", T0)  # so that "previous" would have somewhere to go
    refused("forbidden", lambda: operation(room), room)


def test_someone_in_the_lobby_cannot_pass(room):
    start(room)
    refused("not_admitted", lambda: goround.pass_turn(room, "willow", T0), room)


def test_people_who_left_are_skipped(room):
    start(room)
    room.take_out(room.members["wren"], reason="left")
    assert view(room)["next"] == "lark"
    goround.next_turn(room, "fern", T0)
    assert view(room)["current"] == "lark"
    assert outcomes(room)["wren"] == "skipped"
    assert view(room)["turns"][1]["present"] is False


def test_a_latecomer_is_added_to_the_turns_to_come(room):
    start(room)
    room.members["otter"] = member("otter")
    goround.reorder(room, "fern", ["otter", "lark", "wren"], T0)
    shown = view(room)
    assert [t["participant_id"] for t in shown["turns"]] == ["heron", "otter", "lark", "wren"]
    assert shown["current"] == "heron" and shown["next"] == "otter"


def test_someone_added_after_everyone_spoke_gets_their_turn_at_once(room):
    start(room, order=["heron"])
    goround.next_turn(room, "fern", T0)
    goround.reorder(room, "fern", ["lark"], T0 + timedelta(minutes=3))
    assert view(room)["current"] == "lark"
    assert view(room)["turn_started_at"] == (T0 + timedelta(minutes=3)).isoformat()


@pytest.mark.parametrize(
    ("order", "code"),
    [
        (["heron", "lark"], "invalid_goround"),  # heron is speaking: not "to come"
        (["lark", "lark"], "invalid_goround"),
        (["willow"], "not_in_room"),  # in the lobby
        (["nobody"], "not_in_room"),
    ],
)
def test_reorder_refuses_a_bad_order(room, order, code):
    start(room)
    refused(code, lambda: goround.reorder(room, "fern", order, T0), room)


@pytest.mark.parametrize(
    ("order", "seconds", "code"),
    [
        ([], 120, "invalid_goround"),
        (["heron", "heron"], 120, "invalid_goround"),
        (["willow"], 120, "not_in_room"),
        (["heron"], 5, "invalid_goround"),
        (["heron"], 3600, "invalid_goround"),
    ],
)
def test_start_refuses_a_bad_go_round(room, order, seconds, code):
    refused(code, lambda: start(room, order=order, seconds=seconds), room)


def test_only_one_go_round_at_a_time(room):
    start(room)
    refused("goround_running", lambda: start(room), room)


def test_previous_goes_back_a_turn(room):
    start(room)
    goround.next_turn(room, "fern", T0)
    goround.previous_turn(room, "fern", T0 + timedelta(minutes=1))
    shown = view(room)
    assert shown["current"] == "heron" and shown["next"] == "wren"
    assert outcomes(room) == {"heron": "speaking", "wren": "waiting", "lark": "waiting"}
    assert shown["turn_started_at"] == (T0 + timedelta(minutes=1)).isoformat()


def test_previous_from_a_finished_round_reopens_the_last_turn(room):
    start(room, order=["heron", "lark"])
    goround.next_turn(room, "fern", T0)
    goround.next_turn(room, "fern", T0)
    goround.previous_turn(room, "fern", T0)
    assert view(room)["current"] == "lark"


def test_previous_at_the_first_turn_is_refused(room):
    start(room)
    refused("goround_at_start", lambda: goround.previous_turn(room, "fern", T0), room)


def test_actions_without_a_go_round_are_refused(room):
    for operation in (
        lambda: goround.next_turn(room, "fern", T0),
        lambda: goround.previous_turn(room, "fern", T0),
        lambda: goround.pass_turn(room, "heron", T0),
        lambda: goround.reorder(room, "fern", ["lark"], T0),
        lambda: goround.end(room, "fern"),
    ):
        refused("no_goround", operation, room)


def test_end_clears_it_for_everyone(room):
    start(room)
    events = goround.end(room, "fern")
    assert events[0].goround is None and events[0].to == ToMeeting()
    assert room.goround is None and view(room) is None


def test_the_meeting_ending_clears_the_go_round(room):
    start(room)
    moderation.end(room, "fern")
    assert room.goround is None


def test_no_go_round_in_an_ended_meeting(room):
    room.ended = True
    refused("meeting_ended", lambda: start(room), room)


def test_the_stored_go_round_holds_no_names(room):
    start(room)
    assert "Heron" not in repr(room.goround)
