"""Check-in prompts over real sockets: who gets which message, and every refusal."""

import logging

import pytest

from tests.signaling.client import Client

pytestmark = pytest.mark.django_db(transaction=True)

SCALE = {"type": "checkin.post", "kind": "scale", "question": "How are you arriving today?"}


async def posted(room, *peers, **spec):
    await room.facilitator.send({**SCALE, **spec})
    prompt = (await room.facilitator.expect("checkin.posted"))["prompt"]
    await room.facilitator.expect("checkin.results")
    for peer in peers:
        assert (await peer.expect("checkin.posted"))["prompt"]["id"] == prompt["id"]
    return prompt["id"]


async def test_anonymous_check_in_answered_by_peers_reaches_facilitators_as_an_aggregate(room):
    heron = await room.admitted_peer("Calm Heron")
    wren = await room.admitted_peer("Bold Wren", media="text_only")
    await heron.expect("participant.joined")
    prompt_id = await posted(room, heron, wren, anonymous=True, moment="check_in")

    await heron.send({"type": "checkin.answer", "prompt_id": prompt_id, "scale": 2})
    await heron.expect("checkin.answered", prompt_id=prompt_id)
    live = (await room.facilitator.expect("checkin.results"))["prompt"]
    assert (live["answered"], live.get("results")) == (1, None)  # no breakdown of one answer
    await wren.send({"type": "checkin.answer", "prompt_id": prompt_id, "scale": 5})
    await wren.expect("checkin.answered")
    assert (await room.facilitator.expect("checkin.results"))["prompt"]["answered"] == 2

    await room.facilitator.send({"type": "checkin.close", "prompt_id": prompt_id})
    for client in (heron, wren, room.facilitator):
        await client.expect("checkin.closed", prompt_id=prompt_id)
    final = (await room.facilitator.expect("checkin.results"))["prompt"]
    assert final["results"] == {"answers": 2, "counts": [0, 1, 0, 0, 1], "mean": 3.5, "texts": []}
    mood = (await room.facilitator.expect("checkin.mood"))["mood"]
    assert (mood["check_in"], mood.get("change")) == (3.5, None)  # no check-out yet

    await room.facilitator.send({"type": "checkin.share", "prompt_id": prompt_id})
    shared = (await wren.expect("checkin.shared"))["prompt"]
    assert shared["results"]["mean"] == 3.5 and "answers" not in shared
    # Peers never saw the facilitators' live view or the mood.
    assert not {"checkin.results", "checkin.mood"} & {m["type"] for m in heron.seen + wren.seen}


async def test_named_prompt_shows_facilitators_who_answered(room):
    heron = await room.admitted_peer("Calm Heron")
    prompt_id = await posted(
        room, heron, kind="single", options=["Listening", "Sharing"], anonymous=False
    )
    await heron.send({"type": "checkin.answer", "prompt_id": prompt_id, "choices": [1]})
    view = (await room.facilitator.expect("checkin.results"))["prompt"]
    assert view["answers"] == [
        {"participant_id": heron.participant_id, "name": "Calm Heron", "value": [1]}
    ]
    assert view["results"]["counts"] == [0, 1]


async def test_peer_using_facilitator_powers_gets_forbidden_and_keeps_its_socket(room):
    heron = await room.admitted_peer("Calm Heron")
    prompt_id = await posted(room, heron)
    for message in (
        SCALE,
        {"type": "checkin.close", "prompt_id": prompt_id},
        {"type": "checkin.share", "prompt_id": prompt_id},
    ):
        await heron.send(message)
        assert (await heron.expect("error"))["code"] == "forbidden"
    await heron.send({"type": "ping"})
    await heron.expect("pong")
    await room.facilitator.nothing_more()


async def test_answer_refusals_have_their_own_codes(room):
    heron = await room.admitted_peer("Calm Heron")
    prompt_id = await posted(room, heron)
    unknown = "2d0c5c3e-5f36-4c9b-9a57-0c1f6f4e8d21"
    cases = [
        ({"prompt_id": prompt_id, "scale": 7}, "invalid_answer"),
        ({"prompt_id": prompt_id, "text": "fine"}, "invalid_answer"),
        ({"prompt_id": unknown, "scale": 3}, "prompt_not_found"),
        ({"prompt_id": "not-a-uuid", "scale": 3}, "invalid_message"),
        ({"prompt_id": prompt_id, "scale": 3}, None),
        ({"prompt_id": prompt_id, "scale": 4}, "already_answered"),
    ]
    for fields, code in cases:
        await heron.send({"type": "checkin.answer", **fields})
        reply = await heron.expect("error" if code else "checkin.answered")
        assert reply.get("code") == code
    await room.facilitator.send({"type": "checkin.close", "prompt_id": prompt_id})
    await heron.expect("checkin.closed")
    await heron.send({"type": "checkin.answer", "prompt_id": prompt_id, "scale": 1})
    assert (await heron.expect("error"))["code"] == "prompt_closed"


async def test_facilitator_refusals_have_their_own_codes(room):
    heron = await room.admitted_peer("Calm Heron")
    prompt_id = await posted(room, heron)
    fac = room.facilitator
    await fac.send({"type": "checkin.share", "prompt_id": prompt_id})
    assert (await fac.expect("error"))["code"] == "prompt_open"
    await fac.send({"type": "checkin.close", "prompt_id": prompt_id})
    await fac.expect("checkin.closed")
    await fac.send({"type": "checkin.close", "prompt_id": prompt_id})  # again: quiet success
    await fac.send({"type": "checkin.share", "prompt_id": prompt_id})
    assert (await fac.expect("error"))["code"] == "too_few_answers"
    await fac.send({**SCALE, "kind": "single", "options": ["only"]})
    assert (await fac.expect("error"))["code"] == "invalid_prompt"
    for _ in range(3):
        await posted(room)
    await fac.send(SCALE)
    assert (await fac.expect("error"))["code"] == "too_many_open_prompts"


async def test_late_joiner_and_facilitator_get_the_check_in_state_on_entering(room):
    heron = await room.admitted_peer("Calm Heron")
    prompt_id = await posted(room, heron, kind="text", anonymous=True)
    await heron.send({"type": "checkin.answer", "prompt_id": prompt_id, "text": "tired"})
    await heron.expect("checkin.answered")

    late = await room.admitted_peer("Late Lark")
    state = late.seen[-1]
    assert state["type"] == "checkin.state"
    assert [(p["id"], p["you_answered"]) for p in state["prompts"]] == [(prompt_id, False)]
    assert "mood" not in state

    co = await room.connect("Co Cedar", role="cofacilitator")
    await co.expect("room.state")
    state = await co.expect("checkin.state")
    assert state["prompts"][0]["answered"] == 1 and state["mood"]["trend"] == []

    await heron.close()  # back with the same token: the page knows it answered
    again = Client(room.meeting.id, heron.token)
    await again.open()
    state = await again.expect("checkin.state")
    assert state["prompts"][0]["you_answered"] is True
    await again.close()


async def test_nothing_about_an_anonymous_answer_reaches_the_log(room, caplog):
    caplog.set_level(logging.DEBUG)
    heron = await room.admitted_peer("Calm Heron")
    prompt_id = await posted(room, heron, kind="text", anonymous=True)
    for _ in range(2):  # the second one is refused: even that must not say who
        await heron.send(
            {"type": "checkin.answer", "prompt_id": prompt_id, "text": "secret sorrow"}
        )
    await heron.expect("error", code="already_answered")
    await heron.close()  # a socket's refusals are written a minute at a time, or at its close
    refused = [r for r in caplog.records if r.getMessage() == "frames refused"]
    assert [r.codes for r in refused] == [{"already_answered": 1}]
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for trace in ("secret sorrow", heron.participant_id, "Calm Heron"):
        assert trace not in logged


async def test_ending_the_meeting_drops_open_prompts_ballot_keys(room):
    from asgiref.sync import sync_to_async

    from rooms.models import CheckinPrompt

    heron = await room.admitted_peer("Calm Heron")
    prompt_id = await posted(room, heron, anonymous=True)
    await heron.send({"type": "checkin.answer", "prompt_id": prompt_id, "scale": 3})
    await heron.expect("checkin.answered")

    await room.facilitator.send({"type": "meeting.end"})
    await heron.expect("meeting.ended")
    prompt = await sync_to_async(CheckinPrompt.objects.get)(id=prompt_id)
    assert prompt.status == CheckinPrompt.Status.CLOSED
    assert not prompt.ballot_key and not prompt.ballots
