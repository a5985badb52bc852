"""Real Chromium publishes its camera in simulcast layers; a viewer whose tile shrinks gets a
smaller layer from the relay and one whose tile grows a larger one, with no freeze."""

import time

import pytest

from tests.browser import pages

SENT_LAYERS = """async () => {
    const report = await window.peerMeeting.media.pc.getStats();
    const layers = {};
    report.forEach((s) => {
        if (s.type === "outbound-rtp" && s.kind === "video" && s.rid && s.framesEncoded > 0)
            layers[s.rid] = s.frameWidth || 0;
    });
    return layers;
}"""

RECEIVED_WIDTH = """async (pid) => {
    const media = window.peerMeeting.media;
    const report = await media.pc.getStats();
    let width = 0;
    report.forEach((s) => {
        const info = media.tracks[s.mid];
        if (s.type === "inbound-rtp" && info && info.participant_id === pid && info.kind === "video")
            width = s.frameWidth || 0;
    });
    return width;
}"""


@pytest.fixture(scope="module")
def meeting(embedded_server, browser):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url)
    heron = pages.admitted_peer(browser, base_url, demo, fac, "Calm Heron")
    people = {"fac": fac, "heron": heron}
    yield people, {key: pages.participant_id(page) for key, page in people.items()}
    for page in people.values():
        page.context.close()


def _width_received(page, pid) -> int:
    return page.evaluate(RECEIVED_WIDTH, pid)


SENT_DETAIL = """async () => {
    const report = await window.peerMeeting.media.pc.getStats();
    const layers = [];
    report.forEach((s) => {
        if (s.type === "outbound-rtp" && s.kind === "video")
            layers.push([s.rid, s.frameWidth, s.framesEncoded, s.qualityLimitationReason,
                         s.active, s.targetBitrate]);
    });
    return layers;
}"""


RECEIVED_DETAIL = """async (pid) => {
    const media = window.peerMeeting.media;
    const report = await media.pc.getStats();
    const seen = [];
    report.forEach((s) => {
        const info = media.tracks[s.mid];
        if (s.type === "inbound-rtp" && info && info.participant_id === pid && info.kind === "video")
            seen.push([s.mid, s.ssrc, s.frameWidth, s.framesDecoded, s.keyFramesDecoded,
                       s.pliCount, s.nackCount, s.packetsLost, s.framesDropped]);
    });
    return seen;
}"""


def _wait_width(page, pid, test: str, what: str, sender=None) -> None:
    try:
        pages.poll(
            page, f"async (pid) => {{ const w = await ({RECEIVED_WIDTH})(pid); return {test}; }}",
            pid, 20_000, what=what,
        )  # fmt: skip
    except AssertionError as failed:
        # what each side saw, for a failure that only shows under load
        told = page.evaluate("() => window.peerMeeting.tileSizes.last")
        seen = f"received width {_width_received(page, pid)}, tiles told {told}"
        # mid, ssrc, width, decoded, keyframes, PLIs, NACKs, lost, dropped
        seen += f"; inbound {page.evaluate(RECEIVED_DETAIL, pid)}"
        if sender is not None:
            seen += f"; sender's layers now {sender.evaluate(SENT_DETAIL)}"
        raise AssertionError(f"{failed}; {seen}") from None


@pytest.mark.timeout(180)
def test_the_viewer_gets_the_layer_its_tile_needs_and_keeps_decoding(meeting, artifacts):
    people, ids = meeting
    fac, heron = people["fac"], people["heron"]
    pages.wait_receiving_video(heron, ids["fac"])
    # a 640x480 camera: Chromium sends two layers, 320 and 640 wide
    pages.poll(fac, f"async () => Object.keys(await ({SENT_LAYERS})()).length >= 2", None, 30_000)
    sent = fac.evaluate(SENT_LAYERS)
    full, low = max(sent.values()), min(sent.values())
    assert low < full

    heron.set_viewport_size({"width": 1280, "height": 800})  # a large tile: the full layer
    _wait_width(heron, ids["fac"], f"w === {full}", f"the full layer; sent {sent}", fac)

    # the page's tile reporter tells a thumbnail (as after a layout change). Through the
    # reporter, not a bare message: it sends only sizes it has not told, and a 1200-wide
    # window shows the same square tile as a 1280-wide one
    # (once the report the new window size set off has gone, or it would come after)
    pages.poll(heron, "() => window.peerMeeting.tileSizes.timer === null", None, 5_000)
    heron.evaluate(
        "(pid) => window.peerMeeting.tileSizes.say({[pid]: {width: 160, height: 120}})",
        ids["fac"],
    )
    _wait_width(heron, ids["fac"], f"w === {low}", f"the low layer; sent {sent}", fac)
    decoded = pages.inbound(heron, ids["fac"], "video", "framesDecoded")
    time.sleep(2)
    assert pages.inbound(heron, ids["fac"], "video", "framesDecoded") > decoded + 10
    heron.screenshot(path=str(artifacts / "simulcast-low-layer.png"))

    # a layout change: the page reports its real tile again and the full layer comes back
    heron.set_viewport_size({"width": 1200, "height": 800})
    _wait_width(heron, ids["fac"], f"w === {full}", "back to the full layer", fac)
    pages.wait_receiving_video(heron, ids["fac"])
