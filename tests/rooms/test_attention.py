"""The attention queue, "I need support", reports and knocks: every action and refusal."""

from datetime import UTC, datetime

import pytest

from rooms import attention, moderation, state
from rooms.events import ToFacilitators, ToParticipant
from rooms.state import RoomError
from tests.rooms.test_state import fac, make_room, peer, types


def refused(code, fn, *args, **kwargs):
    with pytest.raises(RoomError) as caught:
        fn(*args, **kwargs)
    assert caught.value.code == code


def room():
    return make_room(fac(), fac("c", role=state.COFACILITATOR), peer("a"), peer("b"))


def queue(r):
    return [(i.kind, i.participant_id, i.state) for i in r.attention.values()]


# --- I need support ---------------------------------------------------------------------------


def test_need_support_alerts_facilitators_only_and_answers_the_person():
    r = room()
    events = attention.need_support(r, "a", "  rough day  ")
    assert types(events) == [
        ("attention.item", ToFacilitators()),
        ("support.status", ToParticipant("a")),
    ]
    assert events[0].data["item"]["note"] == "rough day"
    assert events[1].data["support"] == {"state": "open", "note": "rough day"}
    assert queue(r) == [("support", "a", "open")]
    # nobody else is told anything: no event reaches the meeting or b
    assert all(e.to in (ToFacilitators(), ToParticipant("a")) for e in events)


def test_a_second_press_alerts_nobody_again():
    r = room()
    attention.need_support(r, "a")
    events = attention.need_support(r, "a", "again")
    assert types(events) == [("support.status", ToParticipant("a"))]
    assert len(r.attention) == 1


def test_need_support_refusals_change_nothing():
    r = make_room(fac(), peer("a"), peer("w", status=state.LOBBY))
    refused("note_too_long", attention.need_support, r, "a", "x" * 501)
    refused("not_admitted", attention.need_support, r, "w")
    r.ended = True
    refused("meeting_ended", attention.need_support, r, "a")
    assert r.attention == {}


def test_the_person_can_withdraw_it_and_facilitators_see_it_withdrawn():
    r = room()
    refused("no_support_request", attention.cancel_support, r, "a")
    attention.need_support(r, "a")
    events = attention.cancel_support(r, "a")
    assert types(events) == [
        ("attention.item", ToFacilitators()),
        ("support.status", ToParticipant("a")),
    ]
    assert events[0].data["item"]["state"] == "cancelled"
    assert events[1].data["support"]["state"] == "cancelled"
    refused("no_support_request", attention.cancel_support, r, "a")
    # asking again after withdrawing is a new alert
    assert types(attention.need_support(r, "a"))[0] == ("attention.item", ToFacilitators())


def test_a_facilitator_handles_it_for_every_facilitator_and_the_person_learns_it():
    r = room()
    item = attention.need_support(r, "a")[0].data["item"]
    events = attention.handle(r, "c", item["id"])
    assert types(events) == [
        ("attention.item", ToFacilitators()),
        ("support.status", ToParticipant("a")),
    ]
    assert events[0].data["item"]["handled_by_name"] == "C"
    assert events[1].data["support"]["state"] == "handled"
    assert attention.handle(r, "f", item["id"]) == []  # the second facilitator: already done


# --- the queue is facilitators' only -----------------------------------------------------------


def test_a_peer_can_neither_read_nor_handle_the_queue():
    r = room()
    item = attention.need_support(r, "a")[0].data["item"]
    refused("forbidden", attention.handle, r, "b", item["id"])
    refused("forbidden", attention.handle, r, "a", item["id"])
    assert r.attention[item["id"]].state == "open"
    assert "attention" not in r.snapshot_for("b")
    assert r.snapshot_for("b")["support"] == {"state": "none", "note": ""}
    assert r.snapshot_for("a")["support"]["state"] == "open"
    assert [i["kind"] for i in r.snapshot_for("c")["attention"]] == ["support"]


def test_handling_an_unknown_item_is_refused():
    refused("attention_not_found", attention.handle, room(), "f", "nope")


def test_items_come_in_arrival_order_and_help_keeps_its_breakout():
    r = room()
    r.breakouts["b1"] = state.Breakout(id="b1", name="Room 1", position=1)
    r.members["b"].breakout = "b1"
    attention.ask_for_help(r, "a", "stuck", message_id=7)
    attention.need_support(r, "b")
    attention.report(r, "a", reason="hurtful", subject_id="b")
    items = r.snapshot_for("f")["attention"]
    assert [(i["seq"], i["kind"]) for i in items] == [(1, "help"), (2, "support"), (3, "report")]
    assert items[1]["breakout_name"] == "Room 1"
    assert items[0]["message_id"] == 7


def test_a_facilitator_asking_for_help_adds_no_item():
    r = room()
    assert attention.ask_for_help(r, "c") == [] and r.attention == {}


# --- reports -----------------------------------------------------------------------------------


def test_report_a_person_reaches_facilitators_with_the_reporters_name():
    r = room()
    events = attention.report(r, "a", reason="harassment", note="keeps messaging", subject_id="b")
    assert types(events) == [
        ("attention.item", ToFacilitators()),
        ("report.received", ToParticipant("a")),
    ]
    item = events[0].data["item"]
    assert (item["name"], item["subject_name"], item["reason"]) == ("A", "B", "harassment")
    assert not any(e.to == ToParticipant("b") for e in events)  # the reported person is not told


def test_report_a_message_of_someone_who_left():
    r = room()
    events = attention.report(
        r,
        "a",
        reason="unsafe",
        subject_id="gone",
        subject_name="Gone",
        message_id=3,
        message_text="hi",
    )
    item = events[0].data["item"]
    assert (item["subject_name"], item["message_text"]) == ("Gone", "hi")


def test_report_refusals_change_nothing():
    r = make_room(fac(), peer("a"), peer("b"), peer("w", status=state.LOBBY))
    refused("invalid_reason", attention.report, r, "a", reason="meh", subject_id="b")
    refused("nothing_to_report", attention.report, r, "a", reason="spam")
    refused("cannot_report_self", attention.report, r, "a", reason="spam", subject_id="a")
    refused("not_found", attention.report, r, "a", reason="spam", subject_id="zz")
    refused(
        "note_too_long", attention.report, r, "a", reason="spam", subject_id="b", note="x" * 501
    )
    refused("not_admitted", attention.report, r, "w", reason="spam", subject_id="b")
    assert r.attention == {}


# --- knocks ------------------------------------------------------------------------------------


def latecomer(id_="l"):
    m = peer(id_, status=state.LOBBY, connection=state.OFFLINE)
    m.latecomer = True
    return m


def test_a_latecomer_knocking_is_in_the_lobby_marked_and_in_the_queue_once():
    r = make_room(fac(), latecomer())
    events = r.connect("l")
    assert types(events) == [
        ("lobby.updated", ToFacilitators()),
        ("attention.item", ToFacilitators()),
    ]
    assert events[0].data["lobby"][0]["latecomer"] is True
    assert events[1].data["item"]["kind"] == "knock"
    assert events[1].data["item"]["latecomer"] is True
    r.disconnect("l", datetime.now(UTC))
    assert types(r.connect("l")) == [
        ("lobby.updated", ToFacilitators())
    ]  # reconnecting: no second knock
    assert len(r.attention) == 1


def waiting(id_, role=state.PEER):
    m = peer(id_, status=state.LOBBY, connection=state.OFFLINE)
    m.role = role  # a co-facilitator in the lobby came with the co-facilitator link
    return m


def test_every_lobby_arrival_is_a_knock_in_arrival_order():
    r = make_room(fac(), waiting("a"), waiting("b"))
    events = r.connect("b")
    assert types(events) == [
        ("lobby.updated", ToFacilitators()),
        ("attention.item", ToFacilitators()),
    ]
    item = events[1].data["item"]
    assert (item["kind"], item["name"], item["state"]) == ("knock", "B", "open")
    assert (item["latecomer"], item["cofacilitator_link"]) == (False, False)
    r.connect("a")
    assert queue(r) == [("knock", "b", "open"), ("knock", "a", "open")]
    assert [i["participant_id"] for i in r.snapshot_for("f")["attention"]] == ["b", "a"]


def test_a_cofacilitator_link_knock_waits_for_the_owner():
    r = make_room(fac(), fac("c", role=state.COFACILITATOR), waiting("k", state.COFACILITATOR))
    item = r.connect("k")[1].data["item"]
    assert item["cofacilitator_link"] is True
    refused("forbidden", r.admit, "c", "k")
    assert queue(r) == [("knock", "k", "open")]
    r.admit("f", "k")
    assert queue(r) == [("knock", "k", "handled")]


def test_admit_all_settles_the_peers_knocks_and_leaves_the_owners_confirmation_open():
    r = make_room(fac(), waiting("a"), waiting("k", state.COFACILITATOR), latecomer())
    for who in ("a", "k", "l"):
        r.connect(who)
    r.admit_all("f")
    assert queue(r) == [
        ("knock", "a", "handled"),
        ("knock", "k", "open"),
        ("knock", "l", "handled"),
    ]
    assert {i.handled_by_name for i in r.attention.values() if i.state == "handled"} == {"F"}


def test_a_lobby_stay_that_times_out_cancels_the_knock():
    r = make_room(fac(), waiting("a"))
    r.connect("a")
    r.disconnect("a", datetime(2026, 1, 1, tzinfo=UTC))
    r.expire("a", datetime(2026, 1, 2, tzinfo=UTC))
    assert queue(r) == [("knock", "a", "cancelled")]


@pytest.mark.parametrize("arrival", [latecomer, lambda: waiting("l")])
@pytest.mark.parametrize(
    ("decide", "expected"),
    [
        (lambda r: r.admit("f", "l"), ("handled", "admitted", "F")),
        (lambda r: r.admit_all("f"), ("handled", "admitted", "F")),
        (lambda r: r.deny("f", "l"), ("handled", "turned_away", "F")),
        (lambda r: r.leave("l"), ("cancelled", "left", None)),
    ],
)
def test_the_knock_is_settled_by_the_decision_and_says_which(arrival, decide, expected):
    r = make_room(fac(), arrival())
    r.connect("l")
    events = decide(r)
    assert ("attention.item", ToFacilitators()) in types(events)
    [item] = r.snapshot_for("f")["attention"]
    assert (item["state"], item["outcome"], item["handled_by_name"]) == expected


def test_an_open_knock_has_no_outcome_yet():
    r = make_room(fac(), waiting("a"))
    r.connect("a")
    assert r.snapshot_for("f")["attention"][0]["outcome"] is None


def test_a_peer_cannot_admit_a_latecomer():
    r = make_room(fac(), peer("a"), latecomer())
    r.connect("l")
    refused("forbidden", r.admit, "a", "l")
    assert r.members["l"].status == state.LOBBY


def test_removing_someone_keeps_their_items_for_the_facilitators():
    r = room()
    attention.need_support(r, "a")
    moderation.remove(r, "f", "a")
    assert [i["state"] for i in r.snapshot_for("f")["attention"]] == ["open"]
