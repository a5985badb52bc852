"""A facilitator and two peers hold a video meeting in real Chromium pages (fake devices)."""

import time

import pytest
from playwright.sync_api import expect

from tests.browser import pages


@pytest.fixture(scope="module")
def meeting(embedded_server, browser):
    demo, base_url = embedded_server
    people, ids = pages.three_people(browser, demo, base_url)
    yield demo, base_url, people, ids
    for page in people.values():
        page.context.close()


@pytest.mark.timeout(240)
def test_everyone_receives_everyone_elses_video(meeting, artifacts):
    _, _, people, ids = meeting
    for me, page in people.items():
        for other, pid in ids.items():
            if other != me:
                pages.wait_receiving_video(page, pid)
                size = pages.tile_video(page, pid)
                assert size["width"] > 0 and size["height"] > 0
    # Frames keep being decoded for every sender, seen from every page.
    before = {
        (me, o): pages.inbound(page, ids[o], "video", "framesDecoded")
        for me, page in people.items()
        for o in ids
        if o != me
    }
    time.sleep(2)
    for (me, other), count in before.items():
        assert pages.inbound(people[me], ids[other], "video", "framesDecoded") > count > 0
    # Every tile is named, the facilitator's marked as verified.
    tiles = people["heron"].locator("#grid .tile")
    expect(tiles).to_have_count(3)
    expect(people["heron"].locator(f'#grid [data-participant-id="{ids["fac"]}"]')).to_contain_text(
        "Facilitator · verified"
    )
    expect(people["fac"].locator("#self-connection")).to_have_text("Connected")
    for me, page in people.items():
        page.screenshot(path=str(artifacts / f"video-meeting-{me}.png"))


@pytest.mark.timeout(120)
def test_mic_and_camera_buttons_show_on_your_tile(meeting):
    _, _, people, ids = meeting
    wren = people["wren"]
    mine = wren.locator(f'#grid [data-participant-id="{ids["wren"]}"]')
    wren.get_by_role("button", name="Mute").click()
    expect(mine.locator("[data-icon=muted]")).to_be_visible()
    assert wren.evaluate("() => window.peerMeeting.local.audioTrack.enabled") is False
    # Muting yourself is server state: the others see it too.
    wren_at_heron = people["heron"].locator(f'#grid [data-participant-id="{ids["wren"]}"]')
    expect(wren_at_heron.locator("[data-icon=muted]")).to_be_visible()
    wren.keyboard.press("m")  # the shortcut toggles back
    expect(mine.locator("[data-icon=muted]")).to_have_count(0)
    expect(wren_at_heron.locator("[data-icon=muted]")).to_have_count(0)
    assert wren.evaluate("() => window.peerMeeting.local.audioTrack.enabled") is True
    wren.get_by_role("button", name="Stop video").click()
    expect(mine.locator("[data-icon=camera-off]")).to_be_visible()
    # the others see a name card instead of a frozen picture
    expect(
        people["heron"].locator(
            f'#grid [data-participant-id="{ids["wren"]}"] [data-icon=camera-off]'
        )
    ).to_be_visible(timeout=10_000)
    wren.get_by_role("button", name="Start video").click()
    pages.wait_receiving_video(people["heron"], ids["wren"])


@pytest.mark.timeout(150)
def test_audio_only_and_text_only_modes_during_the_meeting(meeting):
    _, _, people, ids = meeting
    wren, heron = people["wren"], people["heron"]
    pages.open_more_menu(wren)
    wren.get_by_label("Mode").select_option("audio")
    # no video reaches Wren any more, audio still does; Wren's camera is off for everyone
    pages.poll(
        wren,
        """(pid) => { const r = window.peerMeeting.view.remote.get(pid);
                      return window.peerMeeting.media.state === "connected" && r && r.audio && !r.video; }""",
        ids["heron"],
        20_000,
    )
    pages.wait_inbound_rising(wren, ids["heron"], "audio", "packetsReceived")
    assert pages.inbound(wren, ids["heron"], "video", "framesDecoded") == -1
    assert wren.evaluate("() => window.peerMeeting.local.videoTrack") is None
    expect(
        heron.locator(f'#grid [data-participant-id="{ids["wren"]}"] [data-icon=camera-off]')
    ).to_be_visible(timeout=10_000)
    pages.wait_inbound_rising(heron, ids["wren"], "audio", "packetsReceived")

    pages.open_more_menu(wren)
    wren.get_by_label("Mode").select_option("text")
    expect(wren.locator("#self-connection")).to_have_text("Connected (text only)")
    # the microphone button now offers audio again rather than sitting greyed out
    expect(wren.get_by_role("button", name="Unmute")).to_be_enabled()
    assert wren.evaluate("() => window.peerMeeting.local.stream.getTracks().length") == 0
    expect(
        heron.locator(f'#grid [data-participant-id="{ids["wren"]}"] [data-icon=text-only]')
    ).to_be_visible(timeout=10_000)

    pages.open_more_menu(wren)
    wren.get_by_label("Mode").select_option("video")
    pages.wait_receiving_video(wren, ids["heron"])
    pages.wait_receiving_video(heron, ids["wren"])


@pytest.mark.timeout(150)
def test_a_killed_socket_reconnects_and_video_resumes_within_10_seconds(meeting, artifacts):
    _, _, people, ids = meeting
    wren, heron = people["wren"], people["heron"]

    # The socket alone: the peer connection carries on, the page checks nothing was lost.
    wren.evaluate(
        """() => { window.pcBeforeDrop = window.peerMeeting.media.pc;
                   window.peerMeeting.connection.socket.close(); }"""
    )
    expect(wren.locator("#reconnect-banner")).to_be_visible()
    started = time.monotonic()
    expect(wren.locator("#reconnect-banner")).to_be_hidden(timeout=10_000)
    pages.wait_receiving_video(heron, ids["wren"], timeout_ms=10_000)
    pages.wait_receiving_video(wren, ids["fac"], timeout_ms=10_000)
    assert time.monotonic() - started < 10
    assert wren.evaluate("() => window.peerMeeting.media.pc === window.pcBeforeDrop")

    # The socket and the media connection together, as a dropped network would.
    wren.evaluate(
        """() => { window.peerMeeting.media.pc.close();
                   window.peerMeeting.connection.socket.close(); }"""
    )
    expect(wren.locator("#reconnect-banner")).to_be_visible()
    wren.screenshot(path=str(artifacts / "video-meeting-reconnecting.png"))
    started = time.monotonic()
    pages.wait_receiving_video(wren, ids["fac"], timeout_ms=10_000)
    pages.wait_receiving_video(wren, ids["heron"], timeout_ms=10_000)
    pages.wait_receiving_video(heron, ids["wren"], timeout_ms=10_000)
    pages.wait_receiving_video(people["fac"], ids["wren"], timeout_ms=10_000)
    assert time.monotonic() - started < 10
    expect(wren.locator("#reconnect-banner")).to_be_hidden()
    # same person, not a new one
    expect(heron.locator("#grid .tile")).to_have_count(3)


@pytest.mark.timeout(150)
def test_a_text_only_peer_chats_with_video_peers_and_sees_every_name(meeting, browser, artifacts):
    demo, base_url, people, ids = meeting
    otter = pages.admitted_peer(browser, base_url, demo, people["fac"], "Quiet Otter", "text_only")
    try:
        otter_id = pages.participant_id(otter)
        tiles = otter.locator("#grid .tile")
        expect(tiles).to_have_count(4)
        for name in ("Facilitator Fern", "Calm Heron", "Bold Wren", "Quiet Otter (you)"):
            expect(otter.locator("#grid .tile-name", has_text=name)).to_have_count(1)
        assert otter.evaluate("() => window.peerMeeting.media.wanted") is None
        expect(otter.locator("#self-connection")).to_have_text("Connected (text only)")
        otter_tile = people["wren"].locator(f'#grid [data-participant-id="{otter_id}"]')
        expect(otter_tile).to_contain_text("Quiet Otter")
        expect(otter_tile.locator("[data-icon=text-only]")).to_be_visible()

        otter.get_by_label("Message").fill("Hello from the text side")
        otter.get_by_label("Message").press("Enter")
        expect(people["wren"].locator("#chat-log")).to_contain_text("Hello from the text side")
        people["wren"].get_by_label("Message").fill("Welcome, Otter")
        people["wren"].get_by_label("Message").press("Enter")
        expect(otter.locator("#chat-log")).to_contain_text("Welcome, Otter")
        # the video peers keep receiving each other
        pages.wait_receiving_video(people["heron"], ids["wren"])
        otter.screenshot(path=str(artifacts / "video-meeting-text-only-peer.png"))
    finally:
        otter.context.close()
