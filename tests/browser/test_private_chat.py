"""Private threads with the facilitators, content notes and removal, in real Chromium pages."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import pages

SHOTS = Path("/work/wt/shots/privchat")
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}


def _say(page: Page, text: str) -> None:
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_label("Message", exact=True).press("Enter")


def _shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desk", DESK), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.wait_for_timeout(500)  # a phone's width keeps one drawer: the layout settles first
        if not page.locator("#chat-panel").is_visible():
            page.locator("#chat-toggle").click()
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"))
    page.set_viewport_size(pages.VIEWPORT)
    page.wait_for_timeout(500)  # the layout settles to the wider screen


def _reload(page: Page) -> None:
    page.reload()
    expect(page.locator("#room")).to_be_visible(timeout=pages.JOIN_TIMEOUT_MS)
    pages.open_drawer(page, "chat")


@pytest.mark.timeout(240)
def test_a_private_reply_reaches_only_that_peer_also_after_a_reload(embedded_server, browser):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url, media="text_only")
    heron = pages.admitted_peer(browser, base_url, demo, fac, "Calm Heron", "text_only")
    wren = pages.admitted_peer(browser, base_url, demo, fac, "Bold Wren", "text_only")
    heron_id = pages.participant_id(heron)
    for page in (fac, heron, wren):
        pages.open_drawer(page, "chat")

    heron.get_by_label("Send to").select_option("facilitators")
    _say(heron, "I'm finding this hard today")
    expect(fac.locator("#chat-log")).to_contain_text("I'm finding this hard today")

    # the attention queue's "Reply privately" fires this event
    fac.evaluate(
        "(id) => document.dispatchEvent(new CustomEvent('open-private-thread',"
        " {detail: {participantId: id}}))",
        heron_id,
    )
    expect(fac.get_by_label("Send to")).to_have_value(f"thread:{heron_id}")
    expect(fac.locator("#chat-thread-bar")).to_contain_text("Private thread with Calm Heron")
    _say(fac, "Thank you for telling us. Shall we talk after?")

    reply = heron.locator("#chat-log li", has_text="Shall we talk after?")
    expect(reply).to_contain_text("Facilitator Fern (private to you)")
    _say(wren, "Hello all")  # wren's page is live: this arrives, the reply never does
    expect(fac.locator("#chat-log li", has_text="Hello all")).to_have_count(1)
    expect(wren.locator("#chat-log")).not_to_contain_text("Shall we talk after?")
    expect(wren.locator("#chat-log")).not_to_contain_text("finding this hard")
    _shoot(fac, "thread-facilitator")
    _shoot(heron, "thread-peer")
    # the thread view shows that thread only, until "Show all messages"
    expect(fac.locator("#chat-log li", has_text="Hello all")).to_be_hidden()
    fac.get_by_role("button", name="Show all messages").click()
    expect(fac.locator("#chat-log li", has_text="Hello all")).to_be_visible()
    expect(fac.get_by_label("Send to")).to_have_value("room")
    fac.get_by_label("Send to").select_option(label="Private with Calm Heron")

    # a private reply while the chat is closed: marked as new until the chat is opened
    if heron.locator("#chat-panel").is_visible():
        heron.locator("#chat-panel [data-close-drawer]").click()
    expect(heron.locator("#chat-panel")).to_be_hidden()
    _say(fac, "I'll stay on after the meeting")
    expect(heron.locator("#chat-toggle .private-unread")).to_have_count(1)
    expect(heron.locator("#notices")).to_contain_text("A facilitator wrote to you privately.")
    expect(heron.locator("#notices")).not_to_contain_text("stay on after")
    expect(wren.locator("#notices")).not_to_contain_text("privately")
    expect(heron.get_by_label("Send to").locator("option[value=facilitators]")).to_have_text(
        "Private to facilitators (1 new)"
    )
    expect(wren.locator("#chat-toggle .private-unread")).to_have_count(0)
    heron.locator("#chat-toggle").click()
    expect(heron.locator("#chat-toggle .private-unread")).to_have_count(0)

    for page in (heron, wren):
        _reload(page)
    expect(heron.locator("#chat-log")).to_contain_text("Shall we talk after?")
    expect(wren.locator("#chat-log")).to_contain_text("Hello all")
    expect(wren.locator("#chat-log")).not_to_contain_text("Shall we talk after?")
    expect(wren.get_by_label("Send to").locator("option")).to_have_text(
        ["Everyone", "Private to facilitators"]
    )


@pytest.mark.timeout(240)
def test_a_content_note_hides_the_text_until_show_and_a_removed_message_is_a_tombstone(
    embedded_server, browser
):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url, media="text_only")
    heron = pages.admitted_peer(browser, base_url, demo, fac, "Calm Heron", "text_only")
    for page in (fac, heron):
        pages.open_drawer(page, "chat")

    heron.get_by_label("Content note", exact=True).select_option("mentions self-harm")
    _say(heron, "Last week was the worst it has been")
    noted = fac.locator("#chat-log li", has_text="Content note: mentions self-harm")
    expect(noted).to_be_visible()
    text = noted.locator("p.text")
    expect(text).to_be_hidden()
    _shoot(fac, "content-note-hidden")
    noted.get_by_role("button", name="Show").click()
    expect(text).to_be_visible()
    expect(text).to_have_text("Last week was the worst it has been")
    _shoot(fac, "content-note-shown")

    _say(heron, "something that should not stay")
    item = fac.locator("#chat-log li", has_text="something that should not stay")
    for label, size in (("desk", DESK), ("phone", PHONE)):
        fac.set_viewport_size(size)
        fac.wait_for_timeout(500)  # a phone's width keeps one drawer: the layout settles first
        if not fac.locator("#chat-panel").is_visible():
            fac.locator("#chat-toggle").click()
        item.get_by_role("button", name="Actions: Calm Heron").click()
        expect(fac.locator("#chat-message-menu")).to_be_visible()
        fac.screenshot(path=str(SHOTS / f"message-menu-{label}.png"))
        fac.keyboard.press("Escape")
        expect(fac.locator("#chat-message-menu")).to_be_hidden()
    fac.set_viewport_size(pages.VIEWPORT)
    item.get_by_role("button", name="Actions: Calm Heron").click()
    fac.once("dialog", lambda dialog: dialog.accept())
    fac.locator("#chat-message-menu").get_by_role("button", name="Remove for everyone").click()
    for page in (fac, heron):
        expect(page.locator("#chat-log")).to_contain_text("Removed by a facilitator")
        expect(page.locator("#chat-log")).not_to_contain_text("something that should not stay")

    pages.open_drawer(fac, "people")  # where the lobby is
    late = pages.admitted_peer(browser, base_url, demo, fac, "Late Lark", "text_only")
    pages.open_drawer(late, "chat")
    expect(late.locator("#chat-log li.removed")).to_contain_text("Removed by a facilitator")
    expect(late.locator("#chat-log")).not_to_contain_text("something that should not stay")
    # each reader opens a content note for themselves
    expect(
        late.locator("#chat-log li", has_text="mentions self-harm").locator("p.text")
    ).to_be_hidden()
    # a peer's menu holds what features add (the support feature's "Report"); a tombstone has none
    expect(late.locator("#chat-log li.removed .message-menu-button")).to_have_count(0)
    late.locator("#chat-log li", has_text="mentions self-harm").locator(
        ".message-menu-button"
    ).click()
    expect(late.locator("#chat-message-menu")).to_contain_text("Report")
    expect(late.locator("#chat-message-menu")).not_to_contain_text("Remove for everyone")
    late.keyboard.press("Escape")
    _shoot(late, "late-joiner-tombstone")
