"""Breakout rooms: create, assign, move, self-select, help, broadcast, timer, close."""

import itertools
from datetime import timedelta

import pytest

from rooms import breakouts, state
from rooms.events import ToFacilitators, ToMeeting, ToParticipant
from tests.rooms.test_moderation import cofac, refused
from tests.rooms.test_state import NOW, fac, make_room, peer, types


def ids(prefix="b"):
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter)}"


def room_with(*members, count=2, self_select=False):
    room = make_room(*members)
    breakouts.create(room, "f", count=count, self_select=self_select, new_id=ids())
    return room


def where(room):
    return {pid: m.breakout for pid, m in room.members.items() if m.status == state.ADMITTED}


# --- create --------------------------------------------------------------------------------


def test_create_numbered_rooms_everyone_sees():
    room = make_room(fac(), peer("a"))
    events = breakouts.create(room, "f", count=3, new_id=ids())
    assert types(events) == [("breakouts.updated", ToMeeting())]
    assert [r["name"] for r in events[0].data["rooms"]] == ["Room 1", "Room 2", "Room 3"]
    assert events[0].data["self_select"] is False
    more = breakouts.create(room, "f", count=1, new_id=ids("x"))
    assert [r["name"] for r in more[0].data["rooms"]][-1] == "Room 4"


def test_create_named_rooms_trims_names():
    room = make_room(fac())
    events = breakouts.create(room, "f", names=["  Sharing ", "Listening"], new_id=ids())
    assert [r["name"] for r in events[0].data["rooms"]] == ["Sharing", "Listening"]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"names": [" "]}, "invalid_name"),
        ({"names": ["x" * 41]}, "invalid_name"),
        ({"names": []}, "invalid_name"),
        ({"names": ["Quiet\u202eroom"]}, "invalid_name"),  # bidi override
        ({"names": ["Room\x1b[5m"]}, "invalid_name"),  # terminal escape
        ({}, "invalid_message"),
        ({"count": 2, "names": ["A"]}, "invalid_message"),
        ({"count": 0}, "invalid_message"),
        ({"count": 51}, "too_many_breakouts"),
    ],
)
def test_create_refusals_change_nothing(kwargs, code):
    room = make_room(fac())
    refused(code, breakouts.create, room, "f", **kwargs)
    assert room.breakouts == {}


def test_peer_cannot_create_or_run_breakouts():
    room = room_with(fac(), peer("a"), peer("b"))
    refused("forbidden", breakouts.create, room, "a", count=1)
    refused("forbidden", breakouts.assign_automatically, room, "a")
    refused("forbidden", breakouts.move, room, "a", "b", "b1")
    refused("forbidden", breakouts.set_timer, room, "a", 60, NOW)
    refused("forbidden", breakouts.broadcast, room, "a", "hi")
    refused("forbidden", breakouts.close, room, "a", "b1")
    refused("forbidden", breakouts.close_all, room, "a")
    assert set(where(room).values()) == {None} and len(room.open_breakouts()) == 2


# --- assign ----------------------------------------------------------------------------------


def test_automatic_assignment_is_balanced_and_leaves_facilitators_out():
    room = room_with(fac(), cofac(), *(peer(x) for x in "abdeg"), peer("t", media="text_only"))
    events = breakouts.assign_automatically(room, "f")
    assert types(events) == [("breakouts.updated", ToMeeting())]
    placed = where(room)
    assert placed["f"] is None and placed["c"] is None
    sizes = [len(r["members"]) for r in events[0].data["rooms"]]
    assert sorted(sizes) == [3, 3]
    assert placed["t"] is not None  # text-only people go to breakouts like everyone


def test_automatic_assignment_can_include_facilitators():
    room = room_with(fac(), cofac(), peer("a"), peer("b"))
    breakouts.assign_automatically(room, "f", include_facilitators=True)
    assert None not in where(room).values()


def test_automatic_assignment_fills_around_manual_choices():
    room = room_with(fac(), peer("a"), peer("b"), peer("c"), peer("d"))
    breakouts.move(room, "f", "a", "b1")
    breakouts.move(room, "f", "b", "b1")
    breakouts.assign_automatically(room, "f")
    placed = where(room)
    assert (placed["a"], placed["b"], placed["c"], placed["d"]) == ("b1", "b1", "b2", "b2")
    assert breakouts.assign_automatically(room, "f") == []


def test_assigning_without_rooms_is_refused():
    room = make_room(fac(), peer("a"))
    refused("no_breakouts", breakouts.assign_automatically, room, "f")


# --- move, join, media ----------------------------------------------------------------------------


def test_breakout_members_get_their_own_media_room_and_come_back():
    room = room_with(fac(), peer("a"), peer("b"))
    breakouts.move(room, "f", "a", "b2")
    plans = room.media_plans()
    assert plans["a"].room == "m1/b2"
    assert plans["b"].room == plans["f"].room == "m1"
    breakouts.move(room, "f", "a", None)
    assert room.media_plans()["a"].room == "m1"


def test_move_refusals_and_repeats():
    room = room_with(fac(), peer("a"), peer("w", status=state.LOBBY))
    refused("breakout_not_found", breakouts.move, room, "f", "a", "nope")
    refused("not_in_room", breakouts.move, room, "f", "w", "b1")
    refused("not_found", breakouts.move, room, "f", "gone", "b1")
    assert breakouts.move(room, "f", "a", "b1")
    assert breakouts.move(room, "f", "a", "b1") == []  # two facilitators at once
    breakouts.close(room, "f", "b2")
    refused("breakout_closed", breakouts.move, room, "f", "a", "b2")
    assert where(room)["a"] == "b1"


def test_facilitator_visits_a_breakout_and_returns():
    room = room_with(fac(), peer("a"))
    breakouts.join(room, "f", "b2")
    assert room.media_plans()["f"].room == "m1/b2"
    breakouts.join(room, "f", None)
    assert where(room)["f"] is None


def test_peers_choose_only_while_self_select_is_on():
    room = room_with(fac(), peer("a"))
    refused("self_select_off", breakouts.join, room, "a", "b1")
    breakouts.create(room, "f", count=1, self_select=True, new_id=ids("s"))
    assert breakouts.join(room, "a", "b1")
    assert breakouts.join(room, "a", "b1") == []
    refused("breakout_not_found", breakouts.join, room, "a", "zzz")
    assert breakouts.join(room, "a", None)


# --- during breakouts ---------------------------------------------------------------------------


def test_help_alerts_facilitators_with_the_room_name():
    room = room_with(fac(), cofac(), peer("a"))
    refused("not_in_breakout", breakouts.ask_for_help, room, "a")
    breakouts.move(room, "f", "a", "b2")
    events = breakouts.ask_for_help(room, "a")
    assert types(events) == [
        ("breakout.help_requested", ToFacilitators()),
        ("breakout.help_requested", ToParticipant("a")),
        ("attention.item", ToFacilitators()),
    ]
    assert events[0].data["breakout_name"] == "Room 2" and events[0].data["name"] == "A"
    # it stays in the facilitators' attention queue, with the room to go to
    item = events[2].data["item"]
    assert (item["kind"], item["breakout_name"], item["state"]) == ("help", "Room 2", "open")


def test_broadcast_reaches_every_room():
    room = room_with(fac(), peer("a"))
    events = breakouts.broadcast(room, "f", "  Two minutes left  ")
    assert types(events) == [("breakout.broadcast", ToMeeting())]
    assert events[0].data == {"text": "Two minutes left", "sender_name": "F"}
    refused("empty_message", breakouts.broadcast, room, "f", "   ")
    refused("message_too_long", breakouts.broadcast, room, "f", "x" * 2001)


# --- timer ----------------------------------------------------------------------------------------


def test_timer_warns_once_then_closes_every_breakout_by_itself():
    room = room_with(fac(), peer("a"), peer("b"))
    breakouts.assign_automatically(room, "f")
    events = breakouts.set_timer(room, "f", 300, NOW)
    ends = NOW + timedelta(seconds=300)
    assert events[0].data["ends_at"] == ends.isoformat()
    assert events[0].data["warn_at"] == (ends - timedelta(seconds=60)).isoformat()
    assert breakouts.next_deadline(room) == ends - timedelta(seconds=60)

    assert breakouts.tick(room, NOW + timedelta(seconds=200)) == []
    warning = breakouts.tick(room, NOW + timedelta(seconds=241))
    assert types(warning) == [("breakout.warning", ToMeeting())]
    assert warning[0].data["seconds_left"] == 59
    assert breakouts.tick(room, NOW + timedelta(seconds=250)) == []
    assert breakouts.next_deadline(room) == ends

    closed = breakouts.tick(room, ends)
    assert types(closed) == [
        ("breakouts.closed", ToMeeting()),
        ("breakouts.updated", ToMeeting()),
    ]
    assert closed[0].data == {"reason": "timer"}
    assert set(where(room).values()) == {None}
    assert {p.room for p in room.media_plans().values()} == {"m1"}
    assert breakouts.next_deadline(room) is None
    assert breakouts.tick(room, ends + timedelta(seconds=5)) == []


def test_a_missed_deadline_closes_without_a_late_warning():
    room = room_with(fac(), peer("a"))
    breakouts.set_timer(room, "f", 60, NOW, warn_seconds=30)
    events = breakouts.tick(room, NOW + timedelta(hours=1))  # e.g. after a restart
    assert [e.type for e in events] == ["breakouts.closed", "breakouts.updated"]


def test_warning_longer_than_the_timer_warns_at_once_and_timer_can_be_stopped():
    room = room_with(fac(), peer("a"))
    breakouts.set_timer(room, "f", 30, NOW)
    assert room.breakout_warn_at == NOW
    events = breakouts.set_timer(room, "f", None, NOW)
    assert "ends_at" not in events[0].data
    assert breakouts.tick(room, NOW + timedelta(hours=1)) == []
    assert breakouts.set_timer(room, "f", None, NOW) == []


def test_timer_refusals():
    room = make_room(fac())
    refused("no_breakouts", breakouts.set_timer, room, "f", 60, NOW)
    room = room_with(fac())
    refused("invalid_message", breakouts.set_timer, room, "f", 0, NOW)
    refused("invalid_message", breakouts.set_timer, room, "f", 60, NOW, warn_seconds=-1)


# --- close -----------------------------------------------------------------------------------------


def test_close_one_room_sends_its_people_back():
    room = room_with(fac(), peer("a"), peer("b"), count=3)
    breakouts.move(room, "f", "a", "b1")
    breakouts.move(room, "f", "b", "b2")
    events = breakouts.close(room, "f", "b1")
    assert types(events) == [("breakouts.updated", ToMeeting())]
    assert where(room)["a"] is None and where(room)["b"] == "b2"
    assert [r["id"] for r in events[0].data["rooms"]] == ["b2", "b3"]
    assert breakouts.close(room, "f", "b1") == []  # double close
    refused("breakout_not_found", breakouts.close, room, "f", "nope")


def test_closing_the_last_room_is_closing_all():
    room = room_with(fac(), peer("a"), count=1)
    breakouts.set_timer(room, "f", 60, NOW)
    events = breakouts.close(room, "f", "b1")
    assert [e.type for e in events] == ["breakouts.closed", "breakouts.updated"]
    assert room.breakout_ends_at is None


def test_close_all_brings_everyone_back_and_is_idempotent():
    room = room_with(fac(), cofac(), peer("a"), peer("b"), self_select=True)
    breakouts.assign_automatically(room, "f", include_facilitators=True)
    events = breakouts.close_all(room, "c")
    assert events[0].data == {"reason": "facilitator"}
    assert set(where(room).values()) == {None}
    assert room.open_breakouts() == [] and room.self_select is False
    assert breakouts.close_all(room, "f") == []
    refused("breakout_closed", breakouts.move, room, "f", "a", "b1")
    refused("no_breakouts", breakouts.assign_automatically, room, "f")


def test_people_who_left_are_not_listed_in_a_breakout():
    room = room_with(fac(), peer("a"), peer("b"))
    breakouts.assign_automatically(room, "f")
    room.leave("a")
    members = [m for r in room.breakouts_public()["rooms"] for m in r["members"]]
    assert members == ["b"]


def test_snapshot_carries_settings_and_breakouts():
    room = room_with(fac(), peer("a"))
    snapshot = room.snapshot_for("a")
    assert snapshot["settings"] == {
        "locked": False,
        "allow_self_unmute": True,
        "muted_on_entry": False,
    }
    assert [r["name"] for r in snapshot["breakouts"]["rooms"]] == ["Room 1", "Room 2"]


def test_nothing_runs_after_the_meeting_ended():
    from rooms import moderation

    room = room_with(fac(), peer("a"))
    breakouts.set_timer(room, "f", 60, NOW)
    moderation.end(room, "f")
    refused("meeting_ended", breakouts.move, room, "f", "a", "b1")
    refused("meeting_ended", breakouts.create, room, "f", count=1)
    assert breakouts.tick(room, NOW + timedelta(hours=1)) == []
