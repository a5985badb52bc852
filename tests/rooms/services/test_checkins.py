"""Check-in prompts against the real database: storage, anonymity, races and the mood trend."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection, connections

from rooms import selectors, state
from rooms.events import ToFacilitators
from rooms.models import CheckinAnswer, CheckinPrompt, Meeting, Participant
from rooms.services import checkins as checkin_services
from rooms.services import facilitation, meetings, participants
from tests.factories import make_facilitator_user, make_meeting, make_participant

pytestmark = pytest.mark.django_db(transaction=True)


def setup_meeting(*names, meeting=None):
    meeting = meeting or make_meeting(lobby_enabled=False)
    fac, _ = make_participant(meeting, "Facilitator Fern", role="facilitator")
    peers = [make_participant(meeting, name)[0] for name in names]
    return meeting, str(fac.id), [str(p.id) for p in peers]


def post(meeting, fac_id, **spec):
    spec = {"kind": "scale", "question": "How are you arriving?", "options": [],
            "anonymous": True, "moment": None, **spec}  # fmt: skip
    outcome = checkin_services.checkin_post(meeting_id=str(meeting.id), actor_id=fac_id, **spec)
    return outcome.events[0].data["prompt"]["id"]


def answer(meeting, pid, prompt_id, **value):
    return checkin_services.checkin_answer(
        meeting_id=str(meeting.id), actor_id=pid, prompt_id=prompt_id, **value
    ).events


def close(meeting, fac_id, prompt_id):
    return checkin_services.checkin_close(
        meeting_id=str(meeting.id), actor_id=fac_id, prompt_id=prompt_id
    ).events


def stored(prompt_id) -> dict:
    """Every column of the prompt row except its own id and the prompt's own times."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tally, published, ballot_key, ballots, status FROM rooms_checkinprompt "
            "WHERE id = %s",
            [prompt_id.replace("-", "") if connection.vendor == "sqlite" else prompt_id],
        )
        row = cursor.fetchone()
    return dict(zip(["tally", "published", "ballot_key", "ballots", "status"], row, strict=True))


def test_an_anonymous_answer_is_stored_with_no_link_to_its_author():
    # Two meetings where the same two people swap their answers: what is stored must be
    # identical, so nothing in it can say who gave which answer.
    rows = []
    for heron_says, wren_says in [(1, 5), (5, 1)]:
        meeting, fac_id, (heron, wren) = setup_meeting("Calm Heron", "Bold Wren")
        prompt_id = post(meeting, fac_id)
        answer(meeting, heron, prompt_id, scale=heron_says)
        answer(meeting, wren, prompt_id, scale=wren_says)
        close(meeting, fac_id, prompt_id)
        rows.append(stored(prompt_id))
        assert not CheckinAnswer.objects.exists()
        dump = repr(rows[-1])
        for person in Participant.objects.filter(meeting=meeting):
            for trace in (str(person.id), person.id.hex, person.display_name, person.token_hash):
                assert trace not in dump
    assert rows[0] == rows[1]
    assert rows[0]["ballot_key"] is None and rows[0]["ballots"] in ([], "[]")
    # And the schema has no column that could hold a link for anonymous prompts.
    prompt_columns = {f.name for f in CheckinPrompt._meta.get_fields()}
    assert not {"participant", "created_at", "answered_at", "sender"} & prompt_columns


def test_while_open_the_ballots_hold_keyed_hashes_only():
    meeting, fac_id, (heron,) = setup_meeting("Calm Heron")
    prompt_id = post(meeting, fac_id)
    answer(meeting, heron, prompt_id, scale=3)
    row = CheckinPrompt.objects.get(id=prompt_id)
    assert len(row.ballots) == 1 and heron not in row.ballots[0]
    assert len(bytes(row.ballot_key)) == 32


def test_named_answers_keep_who_answered_and_show_it_to_facilitators():
    meeting, fac_id, (heron, wren) = setup_meeting("Calm Heron", "Bold Wren")
    prompt_id = post(meeting, fac_id, kind="single", options=["Listen", "Share"], anonymous=False)
    answer(meeting, heron, prompt_id, choices=[1])
    events = answer(meeting, wren, prompt_id, choices=[0])
    assert {(a["name"], a["value"][0]) for a in events[-1].data["prompt"]["answers"]} == {
        ("Calm Heron", 1),
        ("Bold Wren", 0),
    }
    assert CheckinAnswer.objects.filter(prompt_id=prompt_id).count() == 2
    view = selectors.checkin_state(meeting=meeting, viewer_id=fac_id, facilitates=True)
    assert len(view["prompts"][0]["answers"]) == 2
    peer_view = selectors.checkin_state(meeting=meeting, viewer_id=heron, facilitates=False)
    assert "answers" not in peer_view["prompts"][0] and "mood" not in peer_view


def test_refusals_store_nothing():
    meeting, fac_id, (heron,) = setup_meeting("Calm Heron")
    other, other_fac, _ = setup_meeting()
    prompt_id = post(meeting, fac_id)
    before = stored(prompt_id)
    with pytest.raises(state.RoomError) as bad:
        answer(meeting, heron, prompt_id, scale=9)
    with pytest.raises(state.RoomError) as elsewhere:
        close(other, other_fac, prompt_id)  # another meeting's facilitator
    with pytest.raises(state.RoomError) as peer_posts:
        post(meeting, heron)
    assert (bad.value.code, elsewhere.value.code, peer_posts.value.code) == (
        "invalid_answer",
        "prompt_not_found",
        "forbidden",
    )
    assert stored(prompt_id) == before
    assert CheckinPrompt.objects.count() == 1


def test_someone_who_left_cannot_answer():
    meeting, fac_id, (heron,) = setup_meeting("Calm Heron")
    prompt_id = post(meeting, fac_id)
    participants.participant_leave(meeting_id=str(meeting.id), actor_id=heron)
    with pytest.raises(state.RoomError) as refused:
        answer(meeting, heron, prompt_id, scale=3)
    assert refused.value.code == "not_found"


def _in_thread(fn):
    def run(*args):
        try:
            return fn(*args)
        except state.RoomError as exc:
            return exc.code
        finally:
            connections.close_all()

    return run


def needs_row_locks():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL behaviour; SQLite serialises writes anyway")


def test_the_same_person_answering_twice_at_once_is_counted_once():
    needs_row_locks()
    meeting, fac_id, (heron,) = setup_meeting("Calm Heron")
    prompt_id = post(meeting, fac_id)
    send = _in_thread(lambda n: answer(meeting, heron, prompt_id, scale=n))
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(send, [1, 2, 3, 4, 5, 1]))
    assert results.count("already_answered") == 5
    assert CheckinPrompt.objects.get(id=prompt_id).tally["answers"] == 1


def test_two_facilitators_closing_at_once_close_it_once():
    needs_row_locks()
    meeting, fac_id, _ = setup_meeting("Calm Heron")
    co, _ = make_participant(meeting, "Co Cedar", role="cofacilitator")
    prompt_id = post(meeting, fac_id)
    shut = _in_thread(lambda actor: close(meeting, actor, prompt_id))
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(shut, [fac_id, str(co.id)]))
    assert sorted(len(r) for r in results) == [0, 2]  # one closes, the other is a no-op


def test_answers_racing_a_close_are_either_counted_or_refused():
    needs_row_locks()
    meeting, fac_id, peers = setup_meeting(*[f"Peer {i}" for i in range(6)])
    prompt_id = post(meeting, fac_id)
    send = _in_thread(lambda pid: answer(meeting, pid, prompt_id, scale=3))
    with ThreadPoolExecutor(7) as pool:
        answers = [pool.submit(send, pid) for pid in peers]
        pool.submit(_in_thread(close), meeting, fac_id, prompt_id).result()
        results = [f.result() for f in answers]
    counted = sum(1 for r in results if isinstance(r, list))
    assert counted + results.count("prompt_closed") == 6
    row = CheckinPrompt.objects.get(id=prompt_id)
    assert row.tally["answers"] == counted and row.status == "closed"


def test_mood_trend_follows_the_group_of_meetings_with_the_same_owner_and_title():
    owner = make_facilitator_user()
    group = [
        meetings.meeting_create(owner=owner, title="Tuesday circle", lobby_enabled=False)
        for _ in range(3)
    ]
    other_title = meetings.meeting_create(owner=owner, title="Other", lobby_enabled=False)
    other_owner = make_meeting(title="Tuesday circle", lobby_enabled=False)
    for days_ago, meeting in zip(
        [21, 14, 7, 7, 7], [*group, other_title, other_owner], strict=True
    ):
        Meeting.objects.filter(id=meeting.id).update(
            created_at=meeting.created_at - timedelta(days=days_ago)
        )
    for index, meeting in enumerate([*group, other_title, other_owner]):
        meeting.refresh_from_db()
        meeting, fac_id, (a, b) = setup_meeting("A", "B", meeting=meeting)
        for moment, points in [("check_in", (2, 2)), ("check_out", (3, 3 + index % 3))]:
            prompt_id = post(meeting, fac_id, moment=moment)
            for pid, point in zip((a, b), points, strict=True):
                answer(meeting, pid, prompt_id, scale=point)
            events = close(meeting, fac_id, prompt_id)
    latest = group[-1]
    mood = events[-1].data["mood"]  # the last close of the loop: other_owner's
    assert mood["trend"] == []
    mood = selectors.meeting_mood(meeting=Meeting.objects.get(id=latest.id))
    assert (mood["check_in"], mood["check_out"], mood["change"]) == (2.0, 4.0, 2.0)
    assert [(p["meeting_id"], p["change"]) for p in mood["trend"]] == [
        (str(group[0].id), 1.0),
        (str(group[1].id), 1.5),
    ]


def test_mood_is_sent_to_facilitators_when_a_check_out_closes():
    meeting, fac_id, (a, b) = setup_meeting("A", "B")
    prompt_id = post(meeting, fac_id, moment="check_out")
    answer(meeting, a, prompt_id, scale=4)
    answer(meeting, b, prompt_id, scale=5)
    events = close(meeting, fac_id, prompt_id)
    assert [(e.type, e.to) for e in events][-1] == ("checkin.mood", ToFacilitators())
    assert events[-1].data["mood"]["check_out"] == 4.5


def test_ending_a_meeting_closes_its_open_prompts_and_drops_their_keys():
    meeting, fac_id, (heron,) = setup_meeting("Calm Heron")
    first, second = post(meeting, fac_id), post(meeting, fac_id, kind="text")
    answer(meeting, heron, first, scale=2)
    close(meeting, fac_id, second)
    facilitation.meeting_end(meeting_id=str(meeting.id), actor_id=fac_id)
    assert CheckinPrompt.objects.get(id=first).closed_at is not None
    assert Meeting.objects.get(id=meeting.id).ended_at is not None
    assert set(CheckinPrompt.objects.values_list("status", "ballot_key")) == {("closed", None)}
