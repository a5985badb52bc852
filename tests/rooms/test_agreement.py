"""The group agreement and muted on entry, as pure rules (rooms/agreement.py, state, moderation)."""

from __future__ import annotations

import pytest

from rooms import agreement, moderation, state
from rooms.events import ToMeeting
from tests.rooms.test_moderation import cofac, refused
from tests.rooms.test_state import fac, make_room, peer


def test_the_agreement_falls_back_from_meeting_to_group_to_default():
    assert agreement.effective("  Our own rules ", "Group rules") == "Our own rules"
    assert agreement.effective("", "Group rules") == "Group rules"
    assert agreement.effective("", None) == agreement.DEFAULT_AGREEMENT
    assert (
        "stays here" in agreement.DEFAULT_AGREEMENT and "recording" in agreement.DEFAULT_AGREEMENT
    )


def test_an_agreement_longer_than_the_limit_is_refused():
    refused("invalid_agreement", agreement.clean, "x" * (agreement.MAX_AGREEMENT_CHARS + 1))
    assert agreement.clean("  a\r\nb  ") == "a\nb"


@pytest.mark.parametrize("answer", [False, None, "true", "yes", 1])
def test_a_peer_must_accept_with_a_plain_true(answer):
    refused("agreement_required", agreement.require_accepted, state.PEER, answer)
    refused("agreement_required", agreement.require_accepted, state.COFACILITATOR, answer)


def test_acceptance_lets_anyone_in_and_the_facilitator_is_not_asked():
    agreement.require_accepted(state.PEER, True)
    agreement.require_accepted(state.FACILITATOR, False)


def test_a_facilitator_shows_the_agreement_to_the_whole_meeting():
    room = make_room(fac(), cofac(), peer("a"), peer("t", media="text_only"))
    for actor in ("f", "c"):
        (shown,) = agreement.show(room, actor, "Be kind.")
        assert shown.type == "agreement.shown" and shown.to == ToMeeting()
        assert shown.data["text"] == "Be kind."
    assert shown.data["by_name"] == "C" and shown.data["by_role"] == "cofacilitator"


def test_a_peer_cannot_show_the_agreement_and_nothing_is_sent():
    room = make_room(fac(), peer("a"))
    refused("forbidden", agreement.show, room, "a", "Be kind.")


def test_nobody_shows_the_agreement_once_the_meeting_ended():
    room = make_room(fac(), peer("a"))
    room.ended = True
    refused("meeting_ended", agreement.show, room, "f", "Be kind.")


def test_a_peer_admitted_from_the_lobby_starts_muted_when_the_meeting_says_so():
    room = make_room(fac(), peer("a", status=state.LOBBY), peer("b", status=state.LOBBY))
    room.muted_on_entry = True
    room.admit("f", "a")
    assert room.members["a"].public().audio == "off_by_self"
    assert room.media_plans()["a"].audio is False  # the relay forwards nothing
    room.admit_all("f")
    assert room.members["b"].muted_by == state.BY_SELF


def test_muted_on_entry_is_a_self_mute_the_peer_may_lift():
    room = make_room(fac(), peer("a", status=state.LOBBY))
    room.muted_on_entry = True
    room.allow_self_unmute = False  # governs what a facilitator muted, not this
    room.admit("f", "a")
    moderation.unmute(room, "a", "audio")
    assert room.members["a"].muted_by is None


def test_a_peer_the_facilitator_muted_stays_muted_when_self_unmute_is_off():
    room = make_room(fac(), peer("a", status=state.LOBBY))
    room.muted_on_entry = True
    room.admit("f", "a")
    moderation.mute(room, "f", "a", "audio")
    moderation.configure(room, "f", allow_self_unmute=False)
    refused("self_unmute_disabled", moderation.unmute, room, "a", "audio")


def test_without_muted_on_entry_a_peer_comes_in_unmuted_and_a_cofacilitator_always_does():
    room = make_room(fac(), peer("a", status=state.LOBBY), cofac("c"))
    room.members["c"].status = state.LOBBY
    room.admit("f", "a")
    assert room.members["a"].muted_by is None
    room.muted_on_entry = True
    room.admit("f", "c")
    assert room.members["c"].muted_by is None
    assert agreement.starts_muted(True, state.PEER)
    assert not agreement.starts_muted(True, state.COFACILITATOR)
    assert not agreement.starts_muted(False, state.PEER)


def test_a_facilitator_turns_muted_on_entry_on_and_everyone_hears_of_it():
    room = make_room(fac(), peer("a"))
    (changed,) = moderation.configure(room, "f", muted_on_entry=True)
    assert changed.type == "room.settings" and changed.data["muted_on_entry"] is True
    assert room.snapshot_for("a")["settings"]["muted_on_entry"] is True
    assert moderation.configure(room, "f", muted_on_entry=True) == []  # nothing changed


def test_a_peer_cannot_change_muted_on_entry():
    room = make_room(fac(), peer("a"))
    refused("forbidden", moderation.configure, room, "a", muted_on_entry=False)
    assert room.muted_on_entry is False


def test_the_role_names_here_are_the_states():
    assert (agreement.FACILITATOR, agreement.PEER, agreement.BY_SELF) == (
        state.FACILITATOR,
        state.PEER,
        state.BY_SELF,
    )
