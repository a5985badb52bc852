"""Mute, stop video, ask to unmute, lock, remove and end: every power and every refusal."""

import pytest

from rooms import moderation, state
from rooms.events import ToFacilitators, ToMeeting, ToParticipant
from rooms.state import Member, RoomError
from tests.rooms.test_state import fac, make_room, peer, types


def cofac(id_="c"):
    return fac(id_, role=state.COFACILITATOR)


def refused(code, call, *args, **kwargs):
    with pytest.raises(RoomError) as error:
        call(*args, **kwargs)
    assert error.value.code == code
    return error.value


def plan(room, pid):
    return room.media_plans()[pid]


# --- mute ----------------------------------------------------------------------------------


def test_facilitator_mute_stops_audio_at_the_relay_and_tells_the_person_who():
    room = make_room(fac(), peer("a"), peer("b"))
    events = moderation.mute(room, "f", "a", state.AUDIO)
    assert types(events) == [("participant.updated", ToMeeting()), ("muted", ToParticipant("a"))]
    assert events[0].data["participant"]["audio"] == "off_by_facilitator"
    assert events[1].data == {"kind": "audio", "by_role": "facilitator", "by_name": "F"}
    assert plan(room, "a").audio is False and plan(room, "a").video is True
    assert plan(room, "b").audio is True


def test_facilitator_may_show_only_their_role():
    room = make_room(fac(), cofac(), peer("a"))
    events = moderation.mute(room, "c", "a", state.AUDIO, show_name=False)
    assert events[1].data == {"kind": "audio", "by_role": "cofacilitator"}


def test_stop_video_is_enforced_the_same_way():
    room = make_room(fac(), peer("a"))
    moderation.mute(room, "f", "a", state.VIDEO)
    assert (plan(room, "a").audio, plan(room, "a").video) == (True, False)
    assert room.members["a"].public().model_dump()["video"] == "off_by_facilitator"


def test_muting_yourself_is_a_server_state_others_see():
    room = make_room(fac(), peer("a"))
    events = moderation.mute(room, "a", "a", state.AUDIO)
    assert types(events) == [("participant.updated", ToMeeting())]
    assert events[0].data["participant"]["audio"] == "off_by_self"
    assert plan(room, "a").audio is False
    assert moderation.mute(room, "a", "a", state.AUDIO) == []


@pytest.mark.parametrize("kind", [state.AUDIO, state.VIDEO])
def test_peer_cannot_mute_or_stop_someone_else(kind):
    room = make_room(fac(), peer("a"), peer("b"))
    refused("forbidden", moderation.mute, room, "a", "b", kind)
    refused("forbidden", moderation.mute, room, "a", "f", kind)
    assert plan(room, "b").audio and plan(room, "b").video


def test_nobody_mutes_the_meetings_facilitator_but_cofacilitators_can_be_muted():
    room = make_room(fac(), cofac(), cofac("d"))
    refused("protected_participant", moderation.mute, room, "c", "f", state.AUDIO)
    assert moderation.mute(room, "c", "d", state.AUDIO)
    assert moderation.mute(room, "f", "c", state.AUDIO)


def test_muting_twice_or_by_two_facilitators_at_once_is_one_mute():
    room = make_room(fac(), cofac(), peer("a"))
    assert moderation.mute(room, "f", "a", state.AUDIO)
    assert moderation.mute(room, "c", "a", state.AUDIO) == []


def test_facilitator_mute_overrides_a_self_mute():
    room = make_room(fac(), peer("a"))
    room.allow_self_unmute = False
    moderation.mute(room, "a", "a", state.AUDIO)
    events = moderation.mute(room, "f", "a", state.AUDIO)
    assert "muted" in [e.type for e in events]
    refused("self_unmute_disabled", moderation.unmute, room, "a", state.AUDIO)


def test_acting_on_people_who_left_or_wait_in_the_lobby():
    # as loaded from the database: people who left are not in the room at all
    room = make_room(fac(), peer("w", status=state.LOBBY))
    refused("not_found", moderation.mute, room, "f", "gone", state.AUDIO)
    refused("not_in_room", moderation.mute, room, "f", "w", state.AUDIO)
    refused("not_found", moderation.remove, room, "f", "gone")
    refused("not_found", moderation.ask_unmute, room, "f", "gone", state.AUDIO)


def test_lobby_member_cannot_mute_even_themselves():
    room = make_room(fac(), peer("w", status=state.LOBBY))
    refused("not_admitted", moderation.mute, room, "w", "w", state.AUDIO)


def test_unknown_kind_is_refused():
    room = make_room(fac(), peer("a"))
    refused("invalid_message", moderation.mute, room, "f", "a", "screen")


# --- mute all ------------------------------------------------------------------------------


def test_mute_all_mutes_peers_with_a_microphone_and_keeps_facilitators():
    room = make_room(fac(), cofac(), peer("a"), peer("b"), peer("t", media="text_only"))
    moderation.mute(room, "f", "b", state.AUDIO)
    events = moderation.mute_all(room, "f", show_name=False)
    assert types(events) == [("participant.updated", ToMeeting()), ("muted", ToParticipant("a"))]
    plans = room.media_plans()
    assert [pid for pid, p in plans.items() if not p.audio] == ["a", "b", "t"]
    assert room.members["t"].muted_by is None  # text only: nothing to forward, nothing muted
    assert moderation.mute_all(room, "c") == []


def test_peer_cannot_mute_all():
    room = make_room(fac(), peer("a"), peer("b"))
    refused("forbidden", moderation.mute_all, room, "a")
    assert all(p.audio for p in room.media_plans().values())


# --- unmute ----------------------------------------------------------------------------------


def test_self_unmute_allowed_by_default_lifts_a_facilitator_mute():
    room = make_room(fac(), peer("a"))
    moderation.mute(room, "f", "a", state.AUDIO)
    events = moderation.unmute(room, "a", state.AUDIO)
    assert types(events) == [("participant.updated", ToMeeting())]
    assert plan(room, "a").audio is True
    assert moderation.unmute(room, "a", state.AUDIO) == []


@pytest.mark.parametrize("kind", [state.AUDIO, state.VIDEO])
def test_without_self_unmute_a_muted_peer_cannot_turn_it_back_on(kind):
    room = make_room(fac(), peer("a"))
    moderation.configure(room, "f", allow_self_unmute=False)
    moderation.mute(room, "f", "a", kind)
    refused("self_unmute_disabled", moderation.unmute, room, "a", kind)
    assert room.members["a"].public().model_dump()[kind] == "off_by_facilitator"


def test_without_self_unmute_what_you_muted_yourself_you_still_unmute():
    room = make_room(fac(), peer("a"))
    moderation.configure(room, "f", allow_self_unmute=False)
    moderation.mute(room, "a", "a", state.AUDIO)
    assert moderation.unmute(room, "a", state.AUDIO)
    assert plan(room, "a").audio


def test_facilitators_can_always_unmute_themselves():
    room = make_room(fac(), cofac())
    moderation.configure(room, "f", allow_self_unmute=False)
    moderation.mute(room, "f", "c", state.AUDIO)
    assert moderation.unmute(room, "c", state.AUDIO)


# --- ask to unmute -----------------------------------------------------------------------------


def test_ask_to_unmute_only_asks_and_yes_turns_audio_on():
    room = make_room(fac(), peer("a"))
    moderation.configure(room, "f", allow_self_unmute=False)
    moderation.mute(room, "f", "a", state.AUDIO)
    events = moderation.ask_unmute(room, "f", "a", state.AUDIO)
    assert types(events) == [("unmute.requested", ToParticipant("a"))]
    assert plan(room, "a").audio is False  # asking forces nothing
    events = moderation.answer_unmute(room, "a", state.AUDIO, accept=True)
    assert types(events) == [
        ("participant.updated", ToMeeting()),
        ("unmute.answered", ToFacilitators()),
    ]
    assert events[1].data == {"kind": "audio", "participant_id": "a", "accepted": True}
    assert plan(room, "a").audio is True


def test_declining_keeps_the_mute_and_tells_facilitators():
    room = make_room(fac(), peer("a"))
    moderation.mute(room, "f", "a", state.VIDEO)
    moderation.ask_unmute(room, "f", "a", state.VIDEO)
    events = moderation.answer_unmute(room, "a", state.VIDEO, accept=False)
    assert types(events) == [("unmute.answered", ToFacilitators())]
    assert plan(room, "a").video is False


def test_answering_twice_or_without_a_request_is_refused():
    room = make_room(fac(), peer("a"))
    refused("no_request", moderation.answer_unmute, room, "a", state.AUDIO, True)
    moderation.mute(room, "f", "a", state.AUDIO)
    moderation.ask_unmute(room, "f", "a", state.AUDIO)
    moderation.answer_unmute(room, "a", state.AUDIO, accept=False)
    refused("no_request", moderation.answer_unmute, room, "a", state.AUDIO, True)
    assert plan(room, "a").audio is False


def test_a_request_is_closed_by_unmuting_yourself_or_a_new_mute():
    room = make_room(fac(), peer("a"))
    moderation.mute(room, "a", "a", state.AUDIO)
    moderation.ask_unmute(room, "f", "a", state.AUDIO)
    moderation.unmute(room, "a", state.AUDIO)
    refused("no_request", moderation.answer_unmute, room, "a", state.AUDIO, True)
    moderation.mute(room, "a", "a", state.AUDIO)
    moderation.ask_unmute(room, "f", "a", state.AUDIO)
    moderation.mute(room, "f", "a", state.AUDIO)
    refused("no_request", moderation.answer_unmute, room, "a", state.AUDIO, True)


def test_asking_twice_asks_once_and_asking_someone_unmuted_is_refused():
    room = make_room(fac(), cofac(), peer("a"))
    refused("not_muted", moderation.ask_unmute, room, "f", "a", state.AUDIO)
    moderation.mute(room, "f", "a", state.AUDIO)
    assert moderation.ask_unmute(room, "f", "a", state.AUDIO)
    assert moderation.ask_unmute(room, "c", "a", state.AUDIO) == []


def test_peer_cannot_ask_someone_to_unmute():
    room = make_room(fac(), peer("a"), peer("b"))
    moderation.mute(room, "f", "b", state.AUDIO)
    refused("forbidden", moderation.ask_unmute, room, "a", "b", state.AUDIO)


# --- lock and settings -----------------------------------------------------------------------------


def test_lock_and_self_unmute_settings_reach_everyone_once():
    room = make_room(fac(), cofac(), peer("a"))
    events = moderation.configure(room, "f", locked=True)
    assert types(events) == [("room.settings", ToMeeting())]
    assert events[0].data == {"locked": True, "allow_self_unmute": True, "muted_on_entry": False}
    assert moderation.configure(room, "c", locked=True) == []
    refused("forbidden", moderation.configure, room, "a", locked=False)
    assert room.locked


# --- remove ------------------------------------------------------------------------------------------


def test_remove_tells_the_person_first_then_everyone_and_stops_their_media():
    room = make_room(fac(), peer("a"), peer("b"))
    room.raise_hand("a")
    events = moderation.remove(room, "f", "a")
    assert types(events) == [
        ("removed", ToParticipant("a")),
        ("participant.left", ToMeeting()),
        ("hands.updated", ToMeeting()),
    ]
    assert events[0].data["may_rejoin"] is True
    assert events[1].data == {"participant_id": "a", "reason": "removed"}
    assert "a" not in room.media_plans()
    assert room.members["a"].status == state.LEFT and not room.members["a"].banned


def test_remove_with_no_rejoin_marks_the_ban():
    room = make_room(fac(), peer("a"))
    events = moderation.remove(room, "f", "a", ban=True)
    assert events[0].data["may_rejoin"] is False
    assert room.members["a"].banned


def test_remove_refusals():
    room = make_room(fac(), cofac(), peer("a"), peer("w", status=state.LOBBY))
    refused("forbidden", moderation.remove, room, "a", "w")
    refused("protected_participant", moderation.remove, room, "c", "f")
    refused("cannot_target_self", moderation.remove, room, "c", "c")
    refused("not_in_room", moderation.remove, room, "f", "w")
    moderation.remove(room, "f", "a")
    refused("not_admitted", moderation.mute, room, "a", "a", state.AUDIO)


# --- end ---------------------------------------------------------------------------------------------


def test_end_tells_everyone_including_the_lobby_and_stops_all_media():
    room = make_room(fac(), peer("a"), peer("w", status=state.LOBBY))
    events = moderation.end(room, "f")
    assert types(events) == [("meeting.ended", ToMeeting()), ("meeting.ended", ToParticipant("w"))]
    assert room.ended and room.media_plans() == {}
    assert room.members["a"].connection == state.OFFLINE  # nobody shows "reconnecting"
    assert moderation.end(room, "f") == []
    refused("forbidden", moderation.end, room, "a")
    refused("meeting_ended", moderation.mute, room, "f", "a", state.AUDIO)
    refused("meeting_ended", moderation.configure, room, "f", locked=True)


def test_peer_cannot_end_the_meeting():
    room = make_room(fac(), peer("a"))
    refused("forbidden", moderation.end, room, "a")
    assert not room.ended


def test_a_waiting_cofacilitator_has_no_powers_yet():
    waiting = Member("c", "C", state.COFACILITATOR, "camera_mic", state.LOBBY, state.ONLINE)
    room = make_room(fac(), waiting, peer("a"))
    refused("not_admitted", moderation.mute, room, "c", "a", state.AUDIO)
    refused("forbidden", moderation.remove, room, "c", "a")
    refused("forbidden", moderation.end, room, "c")


# --- how you take part (media.set) -----------------------------------------------------------


def _public(room, pid):
    return room.members[pid].public().model_dump()


def test_a_text_only_peer_switches_to_audio_then_video_and_back():
    room = make_room(fac(), peer("t", media="text_only"))
    assert plan(room, "t").publish is False

    events = moderation.set_mode(room, "t", "audio")
    assert types(events) == [("participant.updated", ToMeeting())]
    assert events[0].data["participant"]["media"] == "camera_mic"
    assert (_public(room, "t")["audio"], _public(room, "t")["video"]) == ("on", "off_by_self")
    assert (plan(room, "t").publish, plan(room, "t").audio, plan(room, "t").video) == (
        True,
        True,
        False,
    )

    moderation.set_mode(room, "t", "video")
    assert (_public(room, "t")["audio"], _public(room, "t")["video"]) == ("on", "on")
    assert plan(room, "t").video is True

    events = moderation.set_mode(room, "t", "text_only")
    assert events[0].data["participant"]["media"] == "text_only"
    # nothing a connection made before the switch still sends is forwarded
    assert (plan(room, "t").publish, plan(room, "t").audio, plan(room, "t").video) == (
        False,
        False,
        False,
    )
    assert moderation.set_mode(room, "t", "text_only") == []  # nothing changed, nothing sent


def test_audio_keeps_a_self_muted_microphone_and_only_turns_the_camera_off():
    room = make_room(fac(), peer("a"))
    moderation.mute(room, "a", "a", state.AUDIO)
    moderation.set_mode(room, "a", "audio")
    assert (_public(room, "a")["audio"], _public(room, "a")["video"]) == (
        "off_by_self",
        "off_by_self",
    )
    moderation.set_mode(room, "a", "video")
    assert (_public(room, "a")["audio"], _public(room, "a")["video"]) == ("off_by_self", "on")


def test_switching_mode_does_not_lift_a_facilitators_mute_when_self_unmute_is_off():
    room = make_room(fac(), peer("a"))
    moderation.configure(room, "f", allow_self_unmute=False)
    moderation.mute(room, "f", "a", state.AUDIO)
    moderation.mute(room, "f", "a", state.VIDEO)
    moderation.set_mode(room, "a", "text_only")
    events = moderation.set_mode(room, "a", "video")
    assert events[0].data["participant"]["media"] == "camera_mic"
    assert (_public(room, "a")["audio"], _public(room, "a")["video"]) == (
        "off_by_facilitator",
        "off_by_facilitator",
    )
    assert (plan(room, "a").audio, plan(room, "a").video) == (False, False)
    # the same switch with self-unmute allowed turns both on, as unmute would
    moderation.configure(room, "f", allow_self_unmute=True)
    moderation.set_mode(room, "a", "text_only")
    moderation.set_mode(room, "a", "video")
    assert (_public(room, "a")["audio"], _public(room, "a")["video"]) == ("on", "on")


def test_audio_keeps_a_camera_stopped_by_a_facilitator_as_theirs():
    room = make_room(fac(), peer("a"))
    moderation.mute(room, "f", "a", state.VIDEO)
    moderation.set_mode(room, "a", "audio")
    assert _public(room, "a")["video"] == "off_by_facilitator"


def test_only_admitted_people_change_mode_and_only_in_a_live_meeting():
    room = make_room(fac(), peer("l", status=state.LOBBY), peer("a"))
    refused("not_admitted", moderation.set_mode, room, "l", "video")
    refused("invalid_message", moderation.set_mode, room, "a", "hologram")
    moderation.end(room, "f")
    refused("meeting_ended", moderation.set_mode, room, "a", "text_only")
    assert room.members["a"].media == "camera_mic"
