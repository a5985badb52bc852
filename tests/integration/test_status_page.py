"""The status page on production's shape (PostgreSQL, Redis, a separate media worker): staff
see a real meeting's live counts and the worker carrying it, errors sent to a page are
counted by code, nobody's name appears, and peers, visitors and facilitators are refused."""

import asyncio
import http.cookiejar
import json
import logging
import urllib.error
import urllib.parse
import urllib.request

from tests import servers
from tests.integration import peers
from tests.integration.test_two_servers_on_redis import open_socket
from tests.signaling.media_peer import MediaMeeting, WebsocketTransport

logging.getLogger("aiortc").setLevel(logging.ERROR)

MARKER = "Zebra Marker Quill"


def _signed_in(base_url: str, username: str, password: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base_url}/accounts/login/", timeout=10).read()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    form = {"username": username, "password": password, "csrfmiddlewaretoken": csrf}
    request = urllib.request.Request(
        f"{base_url}/accounts/login/",
        data=urllib.parse.urlencode(form).encode(),
        headers={"Referer": base_url + "/"},
    )
    opener.open(request, timeout=10).read()
    return opener


def _get(opener, url: str) -> tuple[int, str, str]:
    """Status, final URL (after redirects) and body."""
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.geturl(), response.read().decode()
    except urllib.error.HTTPError as refused:
        return refused.code, url, refused.read().decode()


def test_peers_visitors_and_facilitators_who_are_not_staff_are_refused(status_deployment):
    demo, base_url, _ = status_deployment
    page, figures = f"{base_url}/ops/status/", f"{base_url}/ops/status.json"

    visitor = urllib.request.build_opener()
    status, landed, _ = _get(visitor, page)
    assert status == 200 and "/accounts/login/?next=/ops/status/" in landed
    assert _get(visitor, figures)[0] == 403

    # a peer has an invite session in this browser, and no account
    jar = http.cookiejar.CookieJar()
    peer = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    peer.open(f"{base_url}/join/{demo.peer_invite}/", timeout=10).read()
    status, landed, _ = _get(peer, page)
    assert status == 200 and "/accounts/login/" in landed
    assert _get(peer, figures)[0] == 403

    facilitator = _signed_in(base_url, demo.username, demo.password)
    status, _, body = _get(facilitator, page)
    assert status == 403 and "for organisation admins" in body
    assert _get(facilitator, figures)[0] == 403


async def test_staff_see_the_live_meeting_its_worker_and_errors_by_code(status_deployment):
    demo, base_url, worker = status_deployment
    operator = await asyncio.to_thread(_signed_in, base_url, *servers.STATUS_OPERATOR)

    async def figures() -> dict:
        status, _, body = await asyncio.to_thread(_get, operator, f"{base_url}/ops/status.json")
        assert status == 200
        return json.loads(body)

    fac = await asyncio.to_thread(servers.facilitator_over_http, base_url, demo, "Facilitator Fern")
    fac_socket = await open_socket(base_url, demo.meeting_id, fac["token"])
    await fac_socket.expect("room.state")
    joined = await asyncio.to_thread(
        servers.join_over_http, base_url, demo.peer_invite, MARKER, "text_only"
    )
    peer = await peers.connect(base_url, demo.meeting_id, joined["token"], expect="lobby.waiting")

    before = await figures()
    assert [(m["in_room"], m["lobby"]) for m in before["meetings"]] == [(1, 1)]

    await fac_socket.ws.send(
        json.dumps({"type": "lobby.admit", "participant_id": joined["participant_id"]})
    )
    await peer.expect("room.state")
    cofac = await asyncio.to_thread(servers.facilitator_over_http, base_url, demo, "Co Cedar")
    cofac_socket = await open_socket(base_url, demo.meeting_id, cofac["token"])
    await cofac_socket.expect("room.state")
    meeting = MediaMeeting()
    try:
        for socket, joined_media in ((fac_socket, fac), (cofac_socket, cofac)):
            media = meeting.add_transport(
                WebsocketTransport(socket.ws), joined_media["participant_id"]
            )
            await media.join()

        # a peer trying a facilitator's power is refused with `forbidden`
        await peer.send("mute", kind="audio", participant_id=fac["participant_id"])
        refused = await peer.expect("error")
        assert refused["code"] == "forbidden"

        async def settled() -> dict:
            found = await figures()
            row = found["meetings"][0] if found["meetings"] else {}
            errors = {e["code"]: e["count"] for e in found["errors"]}
            load = {
                w["worker"]: (w["participants"], w["streams"]) for w in found["media"]["workers"]
            }
            # two people with camera and mic: each gets the other's audio and video
            if (
                row.get("worker") == worker
                and load.get(worker) == (2, 4)
                and errors.get("forbidden")
            ):
                return found
            return {}

        now: dict = {}
        for _ in range(60):  # the worker's lease, media and the error flush take a few seconds
            now = await settled()
            if now:
                break
            await asyncio.sleep(0.5)
        assert now, await figures()
        (row,) = now["meetings"]
        assert (row["in_room"], row["lobby"], row["reconnecting"]) == (3, 0, 0)
        assert (row["camera_mic"], row["text_only"]) == (2, 1)
        (carrier,) = [w for w in now["media"]["workers"] if w["worker"] == worker]
        assert carrier["alive"] and carrier["meetings"] == 1
        assert carrier["renewed_seconds_ago"] < 3
        assert {e["code"]: e["count"] for e in now["errors"]}["forbidden"] == 1

        status, _, html = await asyncio.to_thread(_get, operator, f"{base_url}/ops/status/")
        assert status == 200
        assert worker in html and "forbidden" in html
        for shown in (html, json.dumps(now)):
            for name in (MARKER, "Facilitator Fern", "Co Cedar"):
                assert name not in shown
    finally:
        await meeting.close()
        await fac_socket.ws.close()
        await cofac_socket.ws.close()
        await peer.ws.close()
