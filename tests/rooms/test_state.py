"""Pure room state: every power and every refusal, without a database or sockets."""

from datetime import UTC, datetime, timedelta

import pytest

from rooms import state
from rooms.events import ToFacilitators, ToMeeting, ToParticipant
from rooms.state import MeetingState, Member, RoomError

NOW = datetime(2026, 1, 1, 18, 0, tzinfo=UTC)


def make_room(*members: Member) -> MeetingState:
    room = MeetingState(meeting_id="m1", lobby_enabled=True)
    for m in members:
        room.members[m.id] = m
    return room


def fac(id_="f", role=state.FACILITATOR):
    return Member(
        id=id_,
        name=id_.upper(),
        role=role,
        media="camera_mic",
        status=state.ADMITTED,
        connection=state.ONLINE,
    )


def peer(id_, status=state.ADMITTED, connection=state.ONLINE, media="camera_mic"):
    return Member(
        id=id_, name=id_.upper(), role=state.PEER, media=media, status=status, connection=connection
    )


def types(events):
    return [(e.type, e.to) for e in events]


def test_admit_moves_lobby_member_into_room_and_tells_everyone():
    room = make_room(fac(), peer("a", status=state.LOBBY))
    events = room.admit("f", "a")
    assert room.members["a"].status == state.ADMITTED
    assert types(events) == [
        ("lobby.updated", ToFacilitators()),
        ("lobby.admitted", ToParticipant("a")),
        ("participant.joined", ToMeeting()),
    ]


def test_admit_all_lets_everyone_waiting_in_in_order():
    room = make_room(fac(), peer("a", status=state.LOBBY), peer("b", status=state.LOBBY))
    events = room.admit_all("f")
    assert room.members["a"].status == room.members["b"].status == state.ADMITTED
    assert types(events) == [
        ("lobby.updated", ToFacilitators()),
        ("lobby.admitted", ToParticipant("a")),
        ("participant.joined", ToMeeting()),
        ("lobby.admitted", ToParticipant("b")),
        ("participant.joined", ToMeeting()),
    ]
    assert events[0].lobby == []


def test_admit_all_leaves_a_co_facilitator_link_for_the_owner_to_confirm():
    cofac = peer("c", status=state.LOBBY)
    cofac.role = state.COFACILITATOR
    room = make_room(fac(), peer("a", status=state.LOBBY), cofac)
    room.admit_all("f")
    assert room.members["a"].status == state.ADMITTED
    assert room.members["c"].status == state.LOBBY


def test_a_peer_cannot_admit_everyone():
    room = make_room(fac(), peer("p"), peer("a", status=state.LOBBY))
    with pytest.raises(RoomError) as refused:
        room.admit_all("p")
    assert refused.value.code == "forbidden"
    assert room.members["a"].status == state.LOBBY


@pytest.mark.parametrize("operation", ["admit", "deny"])
def test_peer_cannot_use_lobby_powers(operation):
    room = make_room(fac(), peer("p"), peer("a", status=state.LOBBY))
    with pytest.raises(RoomError) as refused:
        getattr(room, operation)("p", "a")
    assert refused.value.code == "forbidden"
    assert room.members["a"].status == state.LOBBY


def test_lobby_member_cannot_admit_themselves_even_with_facilitator_role():
    waiting_cofac = Member("c", "C", state.COFACILITATOR, "camera_mic", state.LOBBY, state.ONLINE)
    room = make_room(waiting_cofac, peer("a", status=state.LOBBY))
    with pytest.raises(RoomError, match="facilitator"):
        room.admit("c", "a")


def test_admitting_someone_not_in_lobby_is_refused():
    room = make_room(fac(), peer("a"))
    with pytest.raises(RoomError) as refused:
        room.admit("f", "a")
    assert refused.value.code == "not_in_lobby"
    with pytest.raises(RoomError) as unknown:
        room.admit("f", "ghost")
    assert unknown.value.code == "not_found"


def test_deny_sends_a_kind_message_only_to_that_person():
    room = make_room(fac(), peer("a", status=state.LOBBY))
    events = room.deny("f", "a")
    assert room.members["a"].status == state.DENIED
    denied = [e for e in events if e.type == "lobby.denied"]
    assert denied[0].to == ToParticipant("a") and "welcome" in denied[0].data["message"]


def test_hands_queue_in_raise_order_and_raising_twice_keeps_place():
    room = make_room(fac(), peer("a"), peer("b"))
    room.raise_hand("b")
    room.raise_hand("a")
    assert room.raise_hand("b") == []
    assert room.hand_queue() == ["b", "a"]
    room.lower_hand("b", "b")
    room.raise_hand("b")
    assert room.hand_queue() == ["a", "b"]


def test_facilitator_lowers_a_hand_but_peer_cannot_lower_another():
    room = make_room(fac(), peer("a"), peer("b"))
    room.raise_hand("a")
    with pytest.raises(RoomError) as refused:
        room.lower_hand("b", "a")
    assert refused.value.code == "forbidden"
    assert room.hand_queue() == ["a"]
    events = room.lower_hand("f", "a")
    assert room.hand_queue() == [] and events[0].data == {"queue": []}


def test_promote_and_demote_cofacilitator():
    room = make_room(fac(), peer("a"))
    room.set_role("f", "a", state.COFACILITATOR)
    assert room.members["a"].facilitates
    assert "lobby" in room.snapshot_for("a")
    room.set_role("f", "a", state.PEER)
    assert "lobby" not in room.snapshot_for("a")


@pytest.mark.parametrize(
    ("actor", "target", "role", "code"),
    [
        ("a", "b", state.COFACILITATOR, "forbidden"),
        ("c", "f", state.PEER, "cannot_change_owner"),
        ("f", "a", state.FACILITATOR, "invalid_role"),
        ("f", "ghost", state.PEER, "not_found"),
    ],
)
def test_role_changes_that_are_refused(actor, target, role, code):
    room = make_room(fac(), fac("c", state.COFACILITATOR), peer("a"), peer("b"))
    before = {m.id: m.role for m in room.members.values()}
    with pytest.raises(RoomError) as refused:
        room.set_role(actor, target, role)
    assert refused.value.code == code
    assert {m.id: m.role for m in room.members.values()} == before


def test_disconnect_then_reconnect_keeps_hand_and_role():
    room = make_room(fac(), peer("a"))
    room.raise_hand("a")
    assert types(room.disconnect("a", NOW)) == [("participant.updated", ToMeeting())]
    assert room.members["a"].connection == state.RECONNECTING
    assert room.expire("a", NOW - timedelta(seconds=1)) == []  # still within grace
    events = room.connect("a")
    assert room.members["a"].connection == state.ONLINE
    assert events[0].data["participant"]["connection"] == "online"
    assert room.hand_queue() == ["a"]


def test_expire_after_grace_counts_as_left_and_drops_hand():
    room = make_room(fac(), peer("a"))
    room.raise_hand("a")
    room.disconnect("a", NOW)
    events = room.expire("a", NOW + timedelta(seconds=30))
    assert types(events) == [("participant.left", ToMeeting()), ("hands.updated", ToMeeting())]
    assert events[0].data["reason"] == "timeout"
    assert room.members["a"].status == state.LEFT


def test_lobby_shows_only_connected_waiters():
    room = make_room(
        fac(),
        peer("a", status=state.LOBBY),
        peer("b", status=state.LOBBY, connection=state.OFFLINE),
    )
    assert [m["id"] for m in room.snapshot_for("f")["lobby"]] == ["a"]


def test_text_only_member_is_a_full_member():
    room = make_room(fac(), peer("t", media="text_only"))
    room.raise_hand("t")
    assert room.check_can_chat("t").media == "text_only"
    assert room.snapshot_for("t")["participants"][1]["media"] == "text_only"


def test_lobby_member_cannot_chat_or_raise_hand():
    room = make_room(fac(), peer("a", status=state.LOBBY))
    for act in (lambda: room.check_can_chat("a"), lambda: room.raise_hand("a")):
        with pytest.raises(RoomError) as refused:
            act()
        assert refused.value.code == "not_admitted"


# --- leaving with a hand-over ------------------------------------------------------------


def test_the_last_facilitator_hands_the_group_to_a_peer_as_they_leave():
    room = make_room(fac(), peer("a"), peer("b"))
    events = room.leave("f", hand_over_to="a")
    assert types(events) == [
        ("participant.updated", ToMeeting()),
        ("participant.left", ToMeeting()),
    ]
    assert events[0].data["participant"]["role"] == state.COFACILITATOR
    assert events[1].data == {"participant_id": "f", "reason": "left"}
    assert room.members["a"].facilitates and room.members["f"].status == state.LEFT
    # the new co-facilitator sees the room afresh, with the lobby and their powers
    assert [d.participant_id for d in events[0].then] == ["a"]


def test_handing_over_to_someone_who_already_facilitates_only_leaves():
    room = make_room(fac(), fac("c", role=state.COFACILITATOR), peer("a"))
    events = room.leave("f", hand_over_to="c")
    assert types(events) == [("participant.left", ToMeeting())]


@pytest.mark.parametrize(
    ("leaver", "target", "code"),
    [
        ("a", "b", "forbidden"),  # a peer has nothing to hand over
        ("f", "f", "cannot_target_self"),
        ("f", "gone", "not_found"),
        ("f", "l", "not_in_room"),  # still waiting in the lobby
    ],
)
def test_a_refused_hand_over_leaves_nobody_and_changes_nothing(leaver, target, code):
    room = make_room(fac(), peer("a"), peer("b"), peer("l", status=state.LOBBY))
    with pytest.raises(RoomError) as refused:
        room.leave(leaver, hand_over_to=target)
    assert refused.value.code == code
    assert room.members[leaver].status == state.ADMITTED
    assert [m.role for m in room.members.values()] == [state.FACILITATOR] + [state.PEER] * 3
