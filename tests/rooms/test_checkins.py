"""Check-in prompts, pure: every power and every refusal, without a database or sockets."""

import random

import pytest

from rooms import checkins, state
from rooms.events import ToFacilitators, ToMeeting, ToParticipant
from rooms.state import MeetingState, Member, RoomError

KEY = b"k" * 32


def member(id_, role=state.PEER, status=state.ADMITTED, media="camera_mic"):
    return Member(
        id=id_,
        name=id_.title(),
        role=role,
        media=media,
        status=status,
        connection=state.ONLINE,
    )


@pytest.fixture
def room():
    room = MeetingState(meeting_id="m1", lobby_enabled=True)
    for m in (
        member("fern", state.FACILITATOR),
        member("cedar", state.COFACILITATOR),
        member("heron"),
        member("wren", media="text_only"),
        member("lark"),
        member("willow", status=state.LOBBY),
    ):
        room.members[m.id] = m
    return room


def post(room, actor="fern", *, kind="scale", options=(), anonymous=True, moment=None, open_=0):
    prompt, events = checkins.post(
        room,
        actor,
        prompt_id="p1",
        kind=kind,
        question="  How are   you arriving today? ",
        options=list(options),
        anonymous=anonymous,
        moment=moment,
        open_prompts=open_,
        key=KEY,
    )
    return prompt, events


def answer(room, prompt, who, **value):
    return checkins.answer(room, prompt, who, rng=random.Random(1), **value)


def kinds(events):
    return [(e.type, e.to) for e in events]


# --- posting ---------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["fern", "cedar"])
def test_facilitators_post_a_prompt_everyone_sees_and_facilitators_follow(room, actor):
    prompt, events = post(room, actor)
    assert kinds(events) == [
        ("checkin.posted", ToMeeting()),
        ("checkin.results", ToFacilitators()),
    ]
    assert events[0].data["prompt"]["question"] == "How are you arriving today?"
    assert prompt.options == checkins.DEFAULT_SCALE_LABELS
    assert "results" not in events[0].data["prompt"]  # the room gets the question only
    assert events[1].data["prompt"]["answered"] == 0


@pytest.mark.parametrize("actor", ["heron", "wren", "willow"])
def test_peers_and_lobby_cannot_post(room, actor):
    with pytest.raises(RoomError) as refused:
        post(room, actor)
    assert refused.value.code == "forbidden"


def test_someone_not_in_the_meeting_cannot_post(room):
    with pytest.raises(RoomError) as refused:
        post(room, "stranger")
    assert refused.value.code == "not_found"


@pytest.mark.parametrize(
    ("kind", "options", "moment"),
    [
        ("poll", [], None),
        ("scale", ["a", "b"], None),  # a scale needs five labels or none
        ("single", ["only one"], None),
        ("single", ["same", "same"], None),
        ("multiple", [str(i) for i in range(9)], None),
        ("single", ["ok", " "], None),
        ("text", ["an option"], None),
        ("text", [], "check_in"),  # only a scale can be a check-in
        ("scale", [], "halftime"),
    ],
)
def test_malformed_prompts_are_refused(room, kind, options, moment):
    with pytest.raises(RoomError) as refused:
        post(room, kind=kind, options=options, moment=moment)
    assert refused.value.code == "invalid_prompt"


@pytest.mark.parametrize("question", ["", "   ", "x" * 201])
def test_question_must_have_text(room, question):
    with pytest.raises(RoomError) as refused:
        checkins.post(
            room, "fern", prompt_id="p", kind="text", question=question, options=[],
            anonymous=True, moment=None, open_prompts=0, key=KEY,
        )  # fmt: skip
    assert refused.value.code == "invalid_prompt"


def test_at_most_three_prompts_are_open(room):
    with pytest.raises(RoomError) as refused:
        post(room, open_=checkins.MAX_OPEN_PROMPTS)
    assert refused.value.code == "too_many_open_prompts"


# --- answering -------------------------------------------------------------------


def test_anonymous_answer_is_folded_into_counters_with_no_trace_of_who(room):
    prompt, _ = post(room)
    events = answer(room, prompt, "heron", scale=4)
    assert kinds(events) == [
        ("checkin.answered", ToParticipant("heron")),
        ("checkin.results", ToFacilitators()),
    ]
    assert prompt.tally.counts == [0, 0, 0, 1, 0]
    assert prompt.named == {}
    assert "heron" not in repr(prompt.tally) and "heron" not in repr(prompt.ballots)
    assert checkins.has_answered(prompt, "heron")
    assert not checkins.has_answered(prompt, "wren")


def test_text_only_participants_answer_like_everyone(room):
    prompt, _ = post(room, kind="text")
    answer(room, prompt, "wren", text="  hopeful ")
    assert prompt.tally.texts == ["hopeful"]


def test_anonymous_breakdown_waits_for_three_answers_then_moves_in_steps(room):
    prompt, _ = post(room)
    seen = []
    for who, point in [("heron", 1), ("wren", 5), ("lark", 3), ("cedar", 2)]:
        view = answer(room, prompt, who, scale=point)[-1].data["prompt"]
        seen.append((view["answered"], view.get("results", {}).get("answers")))
    # The count is live; the breakdown shows up at 3 and does not move for the 4th answer.
    assert seen == [(1, None), (2, None), (3, 3), (4, 3)]
    assert prompt.published.mean(checkins.SCALE) == 3.0


def test_named_prompt_shows_facilitators_who_answered_what_live(room):
    prompt, _ = post(room, kind="multiple", options=["Listening", "Sharing"], anonymous=False)
    view = answer(room, prompt, "heron", choices=[1, 0, 1])[-1].data["prompt"]
    assert view["answers"] == [{"participant_id": "heron", "name": "Heron", "value": [0, 1]}]
    assert view["results"]["counts"] == [1, 1]


@pytest.mark.parametrize(
    ("kind", "options", "value"),
    [
        ("scale", [], {"scale": 0}),
        ("scale", [], {"scale": 6}),
        ("scale", [], {"choices": [1]}),
        ("scale", [], {"scale": 3, "text": "and words"}),
        ("scale", [], {}),
        ("single", ["a", "b"], {"choices": [0, 1]}),
        ("single", ["a", "b"], {"choices": [2]}),
        ("multiple", ["a", "b"], {"choices": []}),
        ("multiple", ["a", "b"], {"choices": [-1]}),
        ("text", [], {"text": "   "}),
        ("text", [], {"text": "x" * 281}),
    ],
)
def test_answers_that_do_not_fit_the_prompt_are_refused_and_change_nothing(
    room, kind, options, value
):
    prompt, _ = post(room, kind=kind, options=options)
    with pytest.raises(RoomError) as refused:
        answer(room, prompt, "heron", **value)
    assert refused.value.code == "invalid_answer"
    assert prompt.tally.answers == 0
    assert not checkins.has_answered(prompt, "heron")


@pytest.mark.parametrize("anonymous", [True, False])
def test_answering_twice_is_refused_and_the_first_answer_stands(room, anonymous):
    prompt, _ = post(room, anonymous=anonymous)
    answer(room, prompt, "heron", scale=2)
    with pytest.raises(RoomError) as refused:
        answer(room, prompt, "heron", scale=5)
    assert refused.value.code == "already_answered"
    assert prompt.tally.counts == [0, 1, 0, 0, 0]


def test_answering_a_closed_prompt_is_refused(room):
    prompt, _ = post(room)
    checkins.close(room, prompt, "fern")
    with pytest.raises(RoomError) as refused:
        answer(room, prompt, "heron", scale=3)
    assert refused.value.code == "prompt_closed"


def test_lobby_and_departed_people_cannot_answer(room):
    prompt, _ = post(room)
    with pytest.raises(RoomError) as waiting:
        answer(room, prompt, "willow", scale=3)
    room.leave("lark")
    with pytest.raises(RoomError) as gone:
        answer(room, prompt, "lark", scale=3)
    assert (waiting.value.code, gone.value.code) == ("not_admitted", "not_admitted")
    assert prompt.tally.answers == 0


def test_free_texts_are_kept_in_an_order_unrelated_to_arrival(room):
    orders = set()
    for seed in range(12):
        prompt, _ = post(room, kind="text")
        for who in ("heron", "wren", "lark", "cedar"):
            checkins.answer(room, prompt, who, text=who, rng=random.Random(seed))
        orders.add(tuple(prompt.tally.texts))
    assert len(orders) > 3


# --- closing ---------------------------------------------------------------------


def test_close_drops_the_ballot_key_and_set_and_publishes_the_full_result(room):
    prompt, _ = post(room)
    for who, point in [("heron", 1), ("wren", 5), ("lark", 3), ("cedar", 2)]:
        answer(room, prompt, who, scale=point)
    events = checkins.close(room, prompt, "cedar")
    assert kinds(events) == [
        ("checkin.closed", ToMeeting()),
        ("checkin.results", ToFacilitators()),
    ]
    assert prompt.ballot_key is None and prompt.ballots == set()
    assert events[1].data["prompt"]["results"]["answers"] == 4
    assert not checkins.has_answered(prompt, "heron")  # nobody can tell any more


def test_a_single_anonymous_answer_is_never_shown(room):
    prompt, _ = post(room)
    answer(room, prompt, "heron", scale=1)
    view = checkins.close(room, prompt, "fern")[-1].data["prompt"]
    assert view["answered"] == 1
    assert "results" not in view
    assert checkins.mood_point([prompt], []) == {
        "check_in": None,
        "check_out": None,
        "change": None,
    }


def test_closing_twice_is_a_quiet_success(room):
    prompt, _ = post(room)
    checkins.close(room, prompt, "fern")
    assert checkins.close(room, prompt, "cedar") == []


@pytest.mark.parametrize("operation", [checkins.close, checkins.share])
def test_peers_cannot_close_or_share(room, operation):
    prompt, _ = post(room)
    with pytest.raises(RoomError) as refused:
        operation(room, prompt, "heron")
    assert refused.value.code == "forbidden"
    assert (prompt.status, prompt.shared) == (checkins.OPEN, False)


def test_a_demoted_cofacilitator_loses_the_powers(room):
    prompt, _ = post(room, "cedar")
    room.set_role("fern", "cedar", state.PEER)
    with pytest.raises(RoomError) as refused:
        checkins.close(room, prompt, "cedar")
    assert refused.value.code == "forbidden"


# --- sharing ---------------------------------------------------------------------


def test_share_shows_the_room_the_result_without_names(room):
    prompt, _ = post(room, kind="single", options=["Yes", "No"], anonymous=False)
    answer(room, prompt, "heron", choices=[0])
    answer(room, prompt, "wren", choices=[1])
    checkins.close(room, prompt, "fern")
    events = checkins.share(room, prompt, "fern")
    assert kinds(events) == [
        ("checkin.shared", ToMeeting()),
        ("checkin.results", ToFacilitators()),
    ]
    shared = events[0].data["prompt"]
    assert shared["results"]["counts"] == [1, 1]
    assert "answers" not in shared and "Heron" not in repr(shared)
    assert prompt.for_participant("lark")["results"]["counts"] == [1, 1]
    assert checkins.share(room, prompt, "cedar") == []  # again: nothing new


def test_share_needs_a_closed_prompt_with_two_answers(room):
    prompt, _ = post(room)
    answer(room, prompt, "heron", scale=2)
    with pytest.raises(RoomError) as still_open:
        checkins.share(room, prompt, "fern")
    checkins.close(room, prompt, "fern")
    with pytest.raises(RoomError) as too_few:
        checkins.share(room, prompt, "fern")
    assert (still_open.value.code, too_few.value.code) == ("prompt_open", "too_few_answers")
    assert not prompt.shared


def test_participants_see_open_and_shared_prompts_only(room):
    prompt, _ = post(room)
    assert prompt.visible_to_participants()
    answer(room, prompt, "heron", scale=2)
    assert prompt.for_participant("heron")["you_answered"] is True
    assert "results" not in prompt.for_participant("heron")
    checkins.close(room, prompt, "fern")
    assert not prompt.visible_to_participants()


# --- mood ------------------------------------------------------------------------


def closed_scale(room, points, moment):
    prompt, _ = post(room, moment=moment)
    for who, point in zip(["heron", "wren", "lark", "cedar"], points, strict=False):
        answer(room, prompt, who, scale=point)
    checkins.close(room, prompt, "fern")
    return prompt


def test_mood_change_is_check_out_mean_minus_check_in_mean(room):
    check_in = closed_scale(room, [2, 3, 2], checkins.CHECK_IN)
    check_out = closed_scale(room, [4, 4, 3], checkins.CHECK_OUT)
    assert checkins.mood_point([check_in], [check_out]) == {
        "check_in": 2.33,
        "check_out": 3.67,
        "change": 1.33,
    }


def test_mood_ignores_prompts_still_open(room):
    check_in = closed_scale(room, [2, 3], checkins.CHECK_IN)
    still_open, _ = post(room, moment=checkins.CHECK_OUT)
    answer(room, still_open, "heron", scale=5)
    assert checkins.mood_point([check_in], [still_open])["change"] is None
