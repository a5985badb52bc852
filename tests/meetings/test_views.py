"""The HTTP side: facilitator pages, invite links and the join endpoint."""

import json

import pytest

from meetings.settings import channel_layer_from_url, database_from_url
from meetings.views import invite_links
from rooms.models import Meeting, Participant
from tests.factories import make_facilitator_user, make_meeting

pytestmark = pytest.mark.django_db


def post_join(client, **body):
    body.setdefault("agreement_accepted", True)
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
    assert f"/join/#{meeting.peer_invite}" in page
    assert f"/join/#{meeting.cofacilitator_invite}" in page


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
    page = client.get(f"/join/{meeting.peer_invite}/", follow=True).content.decode()
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
        "meetings.postgres", "meet", "u", "p@ss", "db.example", "5433",
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


@pytest.mark.parametrize(
    "name", ["Nul\x00Byte", "\x1b[2JWiped", "Ring\x07", "Ada\u202eevil", 42, None, ["Ada"]]
)
def test_join_refuses_control_characters_and_non_text_names(client, name):
    meeting = make_meeting()
    response = post_join(client, invite=meeting.peer_invite, display_name=name, media="text_only")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_name"
    assert not Participant.objects.exists()


def test_join_stores_the_normalised_name(client):
    meeting = make_meeting()
    response = post_join(
        client, invite=meeting.peer_invite, display_name="\uff21da  Lovelace", media="text_only"
    )
    assert response.status_code == 201
    assert Participant.objects.get().display_name == "Ada Lovelace"


@pytest.mark.parametrize("title", ["Circle\x00", "Circle\x1b]0;owned\x07", "\u202eelcric"])
def test_meeting_form_refuses_control_characters_in_the_title(client, title):
    client.force_login(make_facilitator_user("fern"))
    response = client.post("/meetings/", {"title": title})
    assert response.status_code == 200
    assert "meeting title contains" in response.content.decode()
    assert not Meeting.objects.exists()


def test_invite_link_keeps_its_secret_in_the_fragment_and_trades_it_for_the_session(client):
    meeting = make_meeting()
    link = invite_links(meeting)["peer"]
    path, secret = link.split("#")
    assert path.endswith("/join/") and secret == meeting.peer_invite
    page = client.get("/join/").content.decode()
    assert "js/join-link.js" in page and meeting.title not in page  # nothing before the POST

    exchanged = client.post("/join/", {"invite": secret})
    assert exchanged.status_code == 302
    assert exchanged.url == f"/join/{meeting.id}/" and secret not in exchanged.url
    room = client.get(exchanged.url)
    assert room.status_code == 200 and meeting.title in room.content.decode()
    # the page still sends the invite with the join request, in the body
    assert f'data-invite="{secret}"' in room.content.decode()


def test_meeting_join_url_without_an_exchanged_invite_is_not_found(client):
    meeting = make_meeting()
    assert client.get(f"/join/{meeting.id}/").status_code == 404
    other = make_meeting()
    client.post("/join/", {"invite": other.peer_invite})
    assert client.get(f"/join/{meeting.id}/").status_code == 404  # only the meeting it opens


def test_old_style_link_redirects_to_a_url_without_the_secret(client):
    meeting = make_meeting()
    response = client.get(f"/join/{meeting.cofacilitator_invite}/")
    assert response.status_code == 302 and response.url == f"/join/{meeting.id}/"
    assert 'data-role="cofacilitator"' in client.get(response.url).content.decode()
    assert client.post("/join/", {"invite": "made-up"}).status_code == 404
