"""The HTTP side: facilitator pages, invite links and the join endpoint."""

import json

import pytest

from meetings.settings import channel_layer_from_url, database_from_url
from rooms.models import Meeting, Participant
from tests.factories import make_facilitator_user, make_meeting

pytestmark = pytest.mark.django_db


def post_join(client, **body):
    return client.post("/api/join/", data=json.dumps(body), content_type="application/json")


def test_facilitator_creates_a_meeting_and_sees_both_invite_links(client):
    user = make_facilitator_user("fern")
    client.force_login(user)
    response = client.post(
        "/meetings/",
        {"title": "Thursday circle", "starts_at": "2026-11-26T18:30", "lobby_enabled": "on"},
    )
    meeting = Meeting.objects.get(title="Thursday circle")
    assert response.status_code == 302
    assert meeting.lobby_enabled and meeting.starts_at.isoformat() == "2026-11-26T18:30:00+00:00"
    page = client.get(response.url).content.decode()
    assert f"/join/{meeting.peer_invite}/" in page
    assert f"/join/{meeting.cofacilitator_invite}/" in page


def test_another_facilitator_cannot_open_someone_elses_meeting(client):
    meeting = make_meeting()
    client.force_login(make_facilitator_user("other"))
    assert client.get(f"/meetings/{meeting.id}/").status_code == 404
    assert client.get(f"/meetings/{meeting.id}/room/").status_code == 404
    assert (
        post_join(
            client, meeting_id=str(meeting.id), display_name="X", media="text_only"
        ).status_code
        == 404
    )


def test_signed_out_visitor_is_sent_to_sign_in(client):
    meeting = make_meeting()
    response = client.get(f"/meetings/{meeting.id}/room/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_invite_page_suggests_a_pseudonym_and_offers_text_only(client):
    meeting = make_meeting()
    page = client.get(f"/join/{meeting.peer_invite}/").content.decode()
    assert (
        'id="display-name"' in page and 'value=""' not in page.split('id="display-name"')[1][:120]
    )
    assert "Text only" in page


def test_unknown_invite_gets_a_kind_not_found_page(client):
    response = client.get("/join/not-a-real-invite/")
    assert response.status_code == 404
    assert "ask your facilitator" in response.content.decode()


def test_peer_joins_from_invite_into_lobby_with_a_token(client):
    meeting = make_meeting(lobby_enabled=True)
    response = post_join(
        client, invite=meeting.peer_invite, display_name=" Calm  Heron ", media="text_only"
    )
    body = response.json()
    assert response.status_code == 201
    assert (body["role"], body["status"]) == ("peer", "lobby")
    participant = Participant.objects.get(id=body["participant_id"])
    assert (participant.display_name, participant.media) == ("Calm Heron", "text_only")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"display_name": "", "media": "text_only"}, 400, "invalid_name"),
        ({"display_name": "x" * 41, "media": "text_only"}, 400, "invalid_name"),
        ({"display_name": "Ok", "media": "hologram"}, 400, "invalid_media"),
        ({"invite": "wrong", "display_name": "Ok", "media": "text_only"}, 404, "not_found"),
    ],
)
def test_bad_join_requests_are_refused_and_store_nothing(client, body, status, code):
    meeting = make_meeting()
    body.setdefault("invite", meeting.peer_invite)
    response = post_join(client, **body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert not Participant.objects.exists()


def test_malformed_join_body_is_refused(client):
    response = client.post("/api/join/", data="{oops", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "bad_json"


def test_environment_urls_choose_database_and_channel_layer():
    pg = database_from_url("postgres://u:p%40ss@db.example:5433/meet")
    assert (pg["ENGINE"], pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "django.db.backends.postgresql", "meet", "u", "p@ss", "db.example", "5433",
    )  # fmt: skip
    assert database_from_url(None)["ENGINE"] == "django.db.backends.sqlite3"
    assert channel_layer_from_url(None)["BACKEND"] == "signaling.layers.InMemoryChannelLayer"
    redis = channel_layer_from_url("redis://r:6379/0")
    assert redis["BACKEND"] == "signaling.redis_layer.RedisChannelLayer"
    (host,) = redis["CONFIG"]["hosts"]
    # an idle blocking pop (5 s) must not hit the socket timeout
    assert host["address"] == "redis://r:6379/0" and host["socket_timeout"] > 5
    with pytest.raises(ValueError):
        database_from_url("mysql://x/y")
