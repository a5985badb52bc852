"""Coming back after the reconnect grace: the same name, the same way of taking part, the
camera open again; the lobby decides as for any newcomer (it is not skipped for a peer)."""

import pytest
from playwright.sync_api import expect

from tests import servers
from tests.browser import pages

GRACE_SECONDS = "3"


@pytest.fixture(scope="module")
def short_grace_server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("short-grace")
    env = servers.server_env(
        DATABASE_URL=f"sqlite:///{workdir / 'meetings.sqlite3'}",
        RECONNECT_GRACE_SECONDS=GRACE_SECONDS,
    )
    servers.manage(env, "migrate", "-v0")
    demo = servers.seed_demo(env)
    with servers.daphne(env, workdir / "daphne.log") as base_url:
        yield demo, base_url


def _stay_away_past_the_grace(page) -> None:
    """The socket drops and does not come back until the grace is over (a long outage)."""
    page.evaluate(
        """() => { const c = window.peerMeeting.connection;
                   c.reopen = c.open; c.open = () => {};
                   c.socket.close(); }"""
    )
    page.wait_for_timeout(int(GRACE_SECONDS) * 1000 + 2500)
    page.evaluate("() => window.peerMeeting.connection.reopen()")


@pytest.mark.timeout(240)
def test_a_peer_back_after_the_grace_keeps_name_and_camera_and_waits_in_the_lobby(
    short_grace_server, browser, artifacts
):
    demo, base_url = short_grace_server
    fac = pages.facilitator_page(browser, demo, base_url)
    heron = pages.admitted_peer(browser, base_url, demo, fac, "Calm Heron")
    try:
        first_id = pages.participant_id(heron)
        pages.wait_receiving_video(fac, first_id)

        _stay_away_past_the_grace(heron)
        expect(heron.locator("#join")).to_be_visible(timeout=10_000)
        expect(heron.locator("#status")).to_contain_text("expired")
        expect(heron.get_by_label("Display name")).to_have_value("Calm Heron")
        expect(heron.locator("input[name=media][value=camera_mic]")).to_be_checked()
        # the camera is open again: a live preview, not a black box
        heron.wait_for_function(
            """() => { const v = document.getElementById('preview');
                       return window.peerMeeting.local.videoTrack && v.srcObject && v.videoWidth > 0; }""",
            timeout=10_000,
        )
        expect(heron.locator("#status")).to_contain_text("a facilitator will let you back in")
        heron.screenshot(path=str(artifacts / "rejoin-after-grace-prejoin.png"))

        # a reload keeps the name too, instead of a new random pseudonym
        heron.reload()
        expect(heron.get_by_label("Display name")).to_have_value("Calm Heron")
        expect(heron.locator("input[name=media][value=camera_mic]")).to_be_checked()
        heron.wait_for_function("() => window.peerMeeting.local.videoTrack !== null")

        heron.get_by_role("button", name="Join").click()
        # a peer goes through the lobby again: the server's policy, not weakened here
        expect(heron.locator("#lobby-screen")).to_be_visible()
        fac.get_by_role("button", name="Admit Calm Heron").click()
        expect(heron.locator("#room")).to_be_visible(timeout=pages.JOIN_TIMEOUT_MS)
        second_id = pages.participant_id(heron)
        assert second_id != first_id
        # joined with camera and microphone, not silently text only
        assert heron.evaluate("() => window.peerMeeting.view.mode") == "video"
        heron.wait_for_function("() => window.peerMeeting.media.publish === true")
        pages.wait_receiving_video(fac, second_id)
        expect(fac.locator(f'#grid [data-participant-id="{second_id}"]')).to_contain_text(
            "Calm Heron"
        )
    finally:
        for page in (heron, fac):
            page.context.close()


@pytest.mark.timeout(240)
def test_the_way_you_took_part_last_is_the_one_you_rejoin_with(short_grace_server, browser):
    demo, base_url = short_grace_server
    fac = pages.facilitator_page(browser, demo, base_url)
    wren = pages.admitted_peer(browser, base_url, demo, fac, "Bold Wren")
    try:
        pages.open_more_menu(wren)
        wren.get_by_label("Mode").select_option("text")
        expect(wren.locator("#self-connection")).to_have_text("Connected (text only)")
        wren_id = pages.participant_id(wren)
        expect(
            fac.locator(f'#grid [data-participant-id="{wren_id}"] [data-icon=text-only]')
        ).to_be_visible()
        wren.wait_for_function(  # the server's answer has reached Wren's page too
            "() => { const v = window.peerMeeting.view; return v.participants.get(v.you).media === 'text_only'; }"
        )
        _stay_away_past_the_grace(wren)
        expect(wren.locator("#join")).to_be_visible(timeout=10_000)
        expect(wren.get_by_label("Display name")).to_have_value("Bold Wren")
        expect(wren.locator("input[name=media][value=text_only]")).to_be_checked()
        assert wren.evaluate("() => window.peerMeeting.local.stream.getTracks().length") == 0
    finally:
        for page in (wren, fac):
            page.context.close()
