"""Screen sharing, pure: who may share, one share at a time, stopping, and every refusal.

`settle` is what rooms/services/unit.py runs after every operation; the tests of leaving,
switching to text only and role changes call it the same way.
"""

import copy
from datetime import UTC, datetime

import pytest

from rooms import moderation, screenshare, state
from rooms.events import ToMeeting, ToParticipant
from rooms.state import MeetingState, Member, RoomError


def member(id_, role=state.PEER, status=state.ADMITTED, media="camera_mic"):
    return Member(
        id=id_, name=id_.title(), role=role, media=media, status=status, connection=state.ONLINE
    )


@pytest.fixture
def room():
    room = MeetingState(meeting_id="m1", lobby_enabled=True)
    for m in (
        member("fern", state.FACILITATOR),
        member("cora", state.COFACILITATOR),
        member("heron"),
        member("lark"),
        member("wren", media="text_only"),
        member("willow", status=state.LOBBY),
    ):
        room.members[m.id] = m
    return room


def refused(room, code, call, *args):
    before = copy.deepcopy(room)
    with pytest.raises(RoomError) as error:
        call(room, *args)
    assert error.value.code == code
    assert room == before  # a refusal changes nothing
    return error.value


def types(events):
    return [(e.type, e.to) for e in events]


def screen(room, pid):
    return room.media_plans()[pid].screen


# --- who may share ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["fern", "cora"])
def test_facilitators_may_always_share_and_everyone_is_told(room, who):
    events = screenshare.start(room, who)
    assert types(events) == [("screenshare.updated", ToMeeting())]
    assert events[0].data == {"sharer": who, "allowed": []}
    assert screen(room, who) is True
    assert [pid for pid, plan in room.media_plans().items() if plan.screen] == [who]


def test_a_peer_may_not_share_until_a_facilitator_allows_them(room):
    refused(room, "share_not_permitted", screenshare.start, "heron")
    assert screen(room, "heron") is False

    events = screenshare.allow(room, "fern", "heron", True)
    assert types(events) == [("screenshare.updated", ToMeeting())]
    assert events[0].data == {"allowed": ["heron"]}  # nobody shares yet: no sharer
    screenshare.start(room, "heron")
    assert screen(room, "heron") is True
    # the permission is per person: lark still may not
    screenshare.stop(room, "heron")
    refused(room, "share_not_permitted", screenshare.start, "lark")


def test_only_facilitators_allow_and_not_themselves(room):
    refused(room, "forbidden", screenshare.allow, "heron", "lark", True)
    refused(room, "cannot_target_self", screenshare.allow, "fern", "fern", True)
    refused(room, "not_in_room", screenshare.allow, "fern", "willow", True)  # in the lobby
    refused(room, "not_found", screenshare.allow, "fern", "nobody", True)
    assert screenshare.allow(room, "cora", "heron", True)  # a co-facilitator may allow
    assert screenshare.allow(room, "fern", "heron", True) == []  # already allowed


def test_text_only_participants_cannot_share_even_when_allowed(room):
    screenshare.allow(room, "fern", "wren", True)
    refused(room, "share_needs_media", screenshare.start, "wren")
    assert screenshare.public(room).sharer is None


def test_people_in_the_lobby_and_in_an_ended_meeting_cannot_share(room):
    refused(room, "not_admitted", screenshare.start, "willow")
    moderation.end(room, "fern")
    refused(room, "meeting_ended", screenshare.start, "fern")


# --- one at a time ----------------------------------------------------------------------


def test_a_peer_is_refused_while_someone_else_shares(room):
    screenshare.allow(room, "fern", "heron", True)
    screenshare.allow(room, "fern", "lark", True)
    screenshare.start(room, "heron")
    refused(room, "share_busy", screenshare.start, "lark")
    assert screenshare.start(room, "heron") == []  # already sharing: nothing new


def test_a_facilitator_who_starts_sharing_takes_over_and_the_other_is_told(room):
    screenshare.allow(room, "fern", "heron", True)
    screenshare.start(room, "heron")
    events = screenshare.start(room, "cora")
    assert types(events) == [
        ("screenshare.updated", ToMeeting()),
        ("screenshare.stopped", ToParticipant("heron")),
    ]
    assert events[1].data == {"reason": "replaced", "by_role": "cofacilitator", "by_name": "Cora"}
    assert screen(room, "heron") is False and screen(room, "cora") is True


# --- stopping ---------------------------------------------------------------------------


def test_the_sharer_stops_their_own_share(room):
    screenshare.start(room, "fern")
    events = screenshare.stop(room, "fern")
    assert types(events) == [("screenshare.updated", ToMeeting())]
    assert events[0].data == {"allowed": []}
    assert screen(room, "fern") is False
    assert screenshare.stop(room, "fern") == []  # nothing left to stop is not an error


def test_a_facilitator_stops_anyones_share_and_the_sharer_is_told_by_whom(room):
    screenshare.start(room, "fern")
    events = screenshare.stop(room, "cora", "fern")
    assert types(events) == [
        ("screenshare.updated", ToMeeting()),
        ("screenshare.stopped", ToParticipant("fern")),
    ]
    assert events[1].data["reason"] == "facilitator"
    assert screen(room, "fern") is False


def test_a_peer_cannot_stop_someone_elses_share(room):
    screenshare.start(room, "fern")
    refused(room, "forbidden", screenshare.stop, "heron", "fern")
    assert screen(room, "fern") is True


def test_revoking_a_sharing_peers_permission_stops_their_share(room):
    screenshare.allow(room, "fern", "heron", True)
    screenshare.start(room, "heron")
    events = screenshare.allow(room, "fern", "heron", False)
    assert types(events) == [
        ("screenshare.updated", ToMeeting()),
        ("screenshare.stopped", ToParticipant("heron")),
    ]
    assert events[0].data == {"allowed": []}
    assert events[1].data["reason"] == "revoked"
    refused(room, "share_not_permitted", screenshare.start, "heron")


# --- camera and screen are separate ---------------------------------------------------


def test_stopping_the_camera_leaves_the_share_and_the_other_way_round(room):
    screenshare.allow(room, "fern", "heron", True)
    screenshare.start(room, "heron")
    moderation.mute(room, "fern", "heron", state.VIDEO)
    moderation.mute(room, "heron", "heron", state.AUDIO)
    assert screenshare.settle(room) == []
    plan = room.media_plans()["heron"]
    assert (plan.video, plan.audio, plan.screen) == (False, False, True)
    screenshare.stop(room, "heron")
    moderation.unmute(room, "heron", state.AUDIO)
    assert room.media_plans()["heron"].audio is True


# --- what a share does not survive ----------------------------------------------------


def test_switching_to_text_only_stops_the_share(room):
    screenshare.start(room, "fern")
    moderation.set_mode(room, "fern", moderation.TEXT_ONLY_MODE)
    events = screenshare.settle(room)
    assert types(events) == [
        ("screenshare.updated", ToMeeting()),
        ("screenshare.stopped", ToParticipant("fern")),
    ]
    assert events[1].data == {"reason": "no_longer_allowed"}
    assert screenshare.public(room).sharer is None


def test_a_cofacilitator_made_a_peer_stops_sharing_unless_allowed_as_a_peer(room):
    screenshare.start(room, "cora")
    room.set_role("fern", "cora", state.PEER)
    assert types(screenshare.settle(room))[0] == ("screenshare.updated", ToMeeting())
    assert screen(room, "cora") is False

    screenshare.allow(room, "fern", "lark", True)
    room.set_role("fern", "lark", state.COFACILITATOR)
    screenshare.start(room, "lark")
    room.set_role("fern", "lark", state.PEER)
    assert screenshare.settle(room) == []  # still allowed as a peer: the share goes on
    assert screen(room, "lark") is True


def test_a_reconnect_keeps_the_share_and_the_permission(room):
    screenshare.allow(room, "fern", "heron", True)
    screenshare.start(room, "heron")
    room.disconnect("heron", datetime(2026, 1, 1, tzinfo=UTC))
    room.connect("heron")
    assert screenshare.settle(room) == []
    assert screenshare.public(room).model_dump() == {"sharer": "heron", "allowed": ["heron"]}


@pytest.mark.parametrize("how", ["left", "removed"])
def test_leaving_or_being_removed_ends_the_share_and_the_permission(room, how):
    screenshare.allow(room, "fern", "heron", True)
    screenshare.start(room, "heron")
    if how == "left":
        room.leave("heron")
    else:
        moderation.remove(room, "fern", "heron")
    events = screenshare.settle(room)
    assert types(events) == [("screenshare.updated", ToMeeting())]  # they are gone: not told
    assert room.screenshare is None  # nothing of them is kept


def test_ending_the_meeting_ends_the_share_and_keeps_nothing(room):
    screenshare.allow(room, "fern", "heron", True)
    screenshare.start(room, "heron")
    moderation.end(room, "fern")
    assert screenshare.settle(room) == []
    assert room.screenshare is None and room.media_plans() == {}


def test_the_room_state_shows_the_share_once_there_is_one(room):
    assert "screenshare" not in room.snapshot_for("heron")
    screenshare.allow(room, "fern", "heron", True)
    screenshare.start(room, "fern")
    assert room.snapshot_for("wren")["screenshare"] == {"sharer": "fern", "allowed": ["heron"]}
