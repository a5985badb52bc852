"""A go-round of three in real Chromium pages: one pass, a text-only turn in the chat."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser import pages

SHOTS = "/work/wt/shots/goround"
WIDE = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def banner(page: Page):
    return page.locator("#goround-banner")


def shot(page: Page, name: str, size: dict) -> None:
    page.set_viewport_size(size)
    page.wait_for_timeout(400)  # the grid settles into the new size
    page.screenshot(path=f"{SHOTS}/{name}-{size['width']}x{size['height']}.png")


@pytest.mark.timeout(240)
def test_a_go_round_of_three_with_one_pass(embedded_server, browser, artifacts):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url, media="text_only")
    heron = pages.admitted_peer(browser, base_url, demo, fac, "Calm Heron")
    wren = pages.admitted_peer(browser, base_url, demo, fac, "Bold Wren", media="text_only")
    lark = pages.admitted_peer(browser, base_url, demo, fac, "Quiet Lark")
    everyone = (fac, heron, wren, lark)
    ids = {name: pages.participant_id(page) for name, page in (("heron", heron), ("wren", wren))}

    # The facilitator builds the order from everyone present and takes themselves out.
    pages.open_drawer(fac, "facilitator")
    setup = fac.locator("#goround-draft li .name")
    expect(setup).to_have_text(["Facilitator Fern", "Calm Heron", "Bold Wren", "Quiet Lark"])
    fac.get_by_role("button", name="Take Facilitator Fern out of the go-round").click()
    expect(setup).to_have_text(["Calm Heron", "Bold Wren", "Quiet Lark"])
    fac.locator("#goround-tools").scroll_into_view_if_needed()
    shot(fac, "facilitator-setup", WIDE)
    fac.get_by_label("Time for each person").select_option("120")
    fac.get_by_role("button", name="Start go-round").click()

    # Everyone sees whose turn it is and who is next, as text and on the tiles.
    for page in (fac, wren, lark):
        expect(banner(page)).to_contain_text("Calm Heron's turn")
    for page in (fac, heron, lark):
        expect(banner(page)).to_contain_text("Next: Bold Wren")
    expect(banner(wren)).to_contain_text("You are next")
    expect(banner(heron)).to_contain_text("your turn")
    expect(banner(lark)).to_contain_text("left")  # the timer, a cue only
    heron_tile = lark.locator(f'#grid [data-participant-id="{ids["heron"]}"]')
    expect(heron_tile.locator(".pill-goround-turn")).to_have_count(1)
    wren_tile = lark.locator(f'#grid [data-participant-id="{ids["wren"]}"]')
    expect(wren_tile.locator(".pill-goround-next")).to_have_count(1)
    expect(lark.get_by_role("button", name="Pass my turn")).to_have_count(0)
    shot(lark, "peer-heron-speaking", WIDE)

    # Heron passes their own turn; the text-only Wren's turn shows in the chat.
    heron.get_by_role("button", name="Pass my turn").click()
    for page in (fac, heron, lark):
        expect(banner(page)).to_contain_text("Bold Wren's turn (in the chat)")
    for page in (fac, heron):
        expect(banner(page)).to_contain_text("Next: Quiet Lark")
    expect(banner(lark)).to_contain_text("You are next")
    expect(banner(wren)).to_contain_text("your turn. Write your share in the chat")
    pages.open_drawer(lark, "chat")
    expect(lark.locator("#chat-log")).to_contain_text("it's Bold Wren's turn")
    pages.open_drawer(wren, "chat")
    wren.get_by_label("Message").fill("This week was hard, but I came back.")
    wren.get_by_label("Message").press("Enter")
    share = lark.locator("#chat-log li.goround-share")
    expect(share).to_contain_text("This week was hard")
    expect(share).to_contain_text("Go-round share")
    shot(lark, "peer-chat-share", WIDE)
    expect(fac.locator("#chat-log li.goround-share")).to_contain_text("This week was hard")
    expect(fac.locator("#voice-not-spoken")).to_contain_text("Not spoken yet")
    expect(fac.locator("#voice-text-only")).to_contain_text("Bold Wren")
    expect(lark.locator("#voice-share")).to_be_hidden()  # facilitators only
    # Chromium's fake microphones beep: the relay counts it from the audio levels alone.
    pages.poll(
        fac,
        """() => [...document.querySelectorAll('#voice-bars li')]
            .some((li) => !li.getAttribute('aria-label').endsWith(': 0 s'))""",
        timeout_ms=30_000,
        what="someone's speaking seconds in the facilitator's share of voice",
    )
    fac.locator("#voice-share").scroll_into_view_if_needed()
    shot(fac, "facilitator-wren-in-chat", WIDE)
    shot(fac, "facilitator-wren-in-chat", PHONE)
    fac.set_viewport_size(WIDE)
    pages.open_drawer(fac, "facilitator")  # a phone's width closed it
    shot(lark, "peer-wren-in-chat", PHONE)
    shot(wren, "text-only-wren-turn", PHONE)
    shot(wren, "text-only-wren-turn", WIDE)

    # A peer cannot move the go-round on: only the facilitator's "Next speaker" does.
    fac.locator("#goround-running").get_by_role("button", name="Next speaker").click()
    for page in everyone:
        expect(banner(page)).to_contain_text("This is the last turn")
    expect(banner(lark)).to_contain_text("your turn")
    shot(lark, "peer-lark-last-turn", PHONE)

    # A latecomer joins and is added to the turns still to come; they see the go-round at once.
    pages.open_drawer(fac, "people")  # where the lobby is
    otter = pages.admitted_peer(browser, base_url, demo, fac, "Late Otter", media="text_only")
    expect(banner(otter)).to_contain_text("Quiet Lark's turn")
    fac.get_by_label("Person to add to the go-round").select_option(label="Late Otter")
    fac.get_by_role("button", name="Add to the go-round").click()
    expect(banner(otter)).to_contain_text("You are next")
    expect(banner(heron)).to_contain_text("Next: Late Otter")
    fac.locator("#goround-running").get_by_role("button", name="Next speaker").click()
    expect(banner(heron)).to_contain_text("Late Otter's turn (in the chat)")
    fac.locator("#goround-running").get_by_role("button", name="Next speaker").click()
    for page in (*everyone, otter):
        expect(banner(page)).to_contain_text("everyone has had their turn")
    expect(fac.locator("#goround-order li")).to_have_text(
        [
            "Calm Heron · passed",
            "Bold Wren · shared (text)",
            "Quiet Lark · shared",
            "Late Otter · shared (text)",
        ]
    )
    shot(fac, "facilitator-finished", WIDE)
    fac.locator("#goround-banner").get_by_role("button", name="End go-round").click()
    for page in everyone:
        expect(banner(page)).to_be_hidden()

    # Time up is a gentle cue: the banner says so, the turn goes on until someone moves it.
    lark_id = pages.participant_id(lark)
    fac.evaluate(
        "(pid) => window.peerMeeting.connection.send('goround.start', {order: [pid], seconds: 15})",
        lark_id,
    )
    expect(banner(lark)).to_contain_text("your turn")
    expect(banner(lark)).to_contain_text("Time is up", timeout=25_000)
    expect(banner(lark)).to_have_class("goround-banner time-up")
    expect(banner(heron)).to_contain_text("Quiet Lark's turn")
    shot(lark, "peer-time-up", PHONE)
    otter.context.close()
