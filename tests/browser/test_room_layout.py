"""The room fits the window: at 1280x800, 1440x900 and 390x844, with 1, 4, 9 and 16 people,
the control bar, the stage and (with the chat open) the chat box are inside the viewport, the
document does not scroll, no tile overlaps another, no button's text overflows it and the hint about
your microphone and camera covers no one's name.
Screenshots of every layout are kept in test-artifacts/ (room-<who>-<size>-<n>.png).

The facilitator watching is text only, so the hint about joining by voice or camera shows. The
other people are one real camera peer (a browser page, so its own tile shows real video) and
text-only peers over real WebSockets: the cheapest real participants that get a tile."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser import pages
from tests.browser.text_peers import TextPeers

SIZES = {"1280x800": (1280, 800), "1440x900": (1440, 900), "390x844": (390, 844)}
COUNTS = (1, 4, 9, 16)

# Everything the test measures, from the page itself.
MEASURE = """() => {
    const vw = innerWidth, vh = innerHeight;
    const rect = (node) => node.getBoundingClientRect();
    const inside = (r) => r.width > 0 && r.height > 0 && r.left >= -0.5 && r.top >= -0.5 && r.right <= vw + 0.5 && r.bottom <= vh + 0.5;
    const problems = [];
    const doc = document.scrollingElement;
    if (doc.scrollHeight > vh + 1 || doc.scrollWidth > vw + 1) problems.push(`document scrolls: ${doc.scrollWidth}x${doc.scrollHeight}`);
    for (const sel of [".controls", "#grid"]) if (!inside(rect(document.querySelector(sel)))) problems.push(`${sel} outside the viewport`);
    const grid = rect(document.querySelector("#grid"));
    const tiles = [...document.querySelectorAll("#grid .tile")].map((t) => [t.dataset.participantId, rect(t)]);
    for (const [id, r] of tiles) {
        if (!inside(r) || r.left < grid.left - 0.5 || r.right > grid.right + 0.5 || r.top < grid.top - 0.5 || r.bottom > grid.bottom + 0.5) problems.push(`tile ${id} outside the stage`);
    }
    for (let i = 0; i < tiles.length; i++) for (let j = i + 1; j < tiles.length; j++) {
        const [a, b] = [tiles[i][1], tiles[j][1]];
        if (Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5) problems.push(`tiles ${i} and ${j} overlap`);
    }
    for (const b of document.querySelectorAll(".controls button")) {
        if (b.offsetParent === null) continue;
        if (!inside(rect(b))) problems.push(`button ${b.id} outside the viewport`);
        const label = b.querySelector(".ctl-label");
        if (b.scrollWidth > b.clientWidth + 1 || (label && label.scrollWidth > label.clientWidth + 1)) problems.push(`text overflows ${b.id}`);
    }
    for (const caption of document.querySelectorAll("#grid .caption")) {
        const t = rect(caption.closest(".tile")), c = rect(caption);
        if (c.right > t.right + 0.5 || c.bottom > t.bottom + 0.5) problems.push("a caption overflows its tile");
    }
    const hint = document.querySelector("#self-media-hint");
    if (hint && !hint.hidden) {
        const h = rect(hint);
        for (const caption of document.querySelectorAll("#grid .caption")) {
            const c = rect(caption);
            if (Math.min(c.right, h.right) - Math.max(c.left, h.left) > 0.5 && Math.min(c.bottom, h.bottom) - Math.max(c.top, h.top) > 0.5) problems.push("the media hint covers a name");
        }
    }
    return {problems, tiles: tiles.length};
}"""

CHAT_BOX_VISIBLE = """() => {
    const box = document.querySelector("#chat-text"), r = box.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight && r.right <= innerWidth && hit === box;
}"""


def _set_chat(page: Page, open_: bool) -> None:
    chat = page.locator("#chat-panel")
    if open_ and not chat.is_visible():
        page.locator("#chat-toggle").click()
    if not open_ and chat.is_visible():  # on a phone the drawer covers the bar: its own close
        page.get_by_role("button", name="Hide the chat").click()
    expect(chat).to_be_visible() if open_ else expect(chat).to_be_hidden()


def _check(page: Page, who: str, size: str, count: int, artifacts) -> list[str]:
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    page.wait_for_timeout(200)  # the page hears of its new width (drawers close on a phone)
    expect(page.locator("#grid .tile")).to_have_count(count, timeout=20_000)
    problems = []
    for chat_open in (False, True):
        _set_chat(page, chat_open)
        page.wait_for_timeout(300)  # tiles glide to their places (160 ms)
        measured = page.evaluate(MEASURE)
        problems += [f"{who} {size} n={count} chat={chat_open}: {p}" for p in measured["problems"]]
        if chat_open and not page.evaluate(CHAT_BOX_VISIBLE):
            problems.append(f"{who} {size} n={count}: the chat box is not fully in view")
        suffix = "-chat" if chat_open else ""
        page.screenshot(path=str(artifacts / f"room-{who}-{size}-{count}{suffix}.png"))
    if count > 1 and size != "390x844":  # speaker view: one large tile and a strip
        _toggle_view(page, "Speaker view")
        measured = page.evaluate(MEASURE)
        problems += [f"{who} {size} n={count} speaker view: {p}" for p in measured["problems"]]
        sizes = page.evaluate(
            "() => [...document.querySelectorAll('#grid .tile')].map((t) => t.getBoundingClientRect().width)"
        )
        if not max(sizes) > 2 * min(sizes):
            problems.append(f"{who} {size} n={count}: speaker view shows no large tile")
        page.screenshot(path=str(artifacts / f"room-{who}-{size}-{count}-speaker.png"))
        _toggle_view(page, "Grid view")
    return problems


def _toggle_view(page: Page, label: str) -> None:
    pages.open_more_menu(page)
    page.get_by_role("button", name=label).click()
    expect(page.locator("#more-menu")).to_be_hidden()
    page.wait_for_timeout(300)


@pytest.mark.timeout(420)
def test_the_room_fits_every_window_with_1_to_16_people(embedded_server, browser, artifacts):
    demo, base_url = embedded_server
    # text only, so the hint about joining by voice or camera is on screen in every layout
    fac = pages.facilitator_page(browser, demo, base_url, media="text_only")
    peers = TextPeers(base_url, demo.meeting_id, demo.peer_invite)
    heron = None
    problems: list[str] = []
    try:
        for count in COUNTS:
            have = fac.locator("#grid .tile").count()
            fac.set_viewport_size({"width": 1280, "height": 800})
            pages.open_drawer(fac, "people")
            if count > 1 and heron is None:
                heron = pages.admitted_peer(browser, base_url, demo, fac, "Calm Heron")
                have += 1
            for i in range(have, count):
                peers.add(f"Text Peer {i}")
            if count > have:
                expect(fac.locator("#lobby li")).to_have_count(count - have, timeout=20_000)
                fac.get_by_role("button", name="Admit all").click()
            for size in SIZES:
                problems += _check(fac, "facilitator", size, count, artifacts)
                if heron is not None and count in (4, 16):
                    problems += _check(heron, "peer", size, count, artifacts)
        assert problems == []
    finally:
        peers.close()
        if heron is not None:
            heron.context.close()
        fac.context.close()
