"""A peer reports a chat message (only the facilitators see it, with the reporter's name), and
a latecomer knocks on a locked meeting and is let in from the attention queue."""

import pytest
from playwright.sync_api import expect

from tests.browser import pages
from tests.browser.test_text_meeting import _chat, _send_chat


@pytest.mark.timeout(300)
def test_report_a_message_and_let_a_latecomer_in(embedded_server, browser):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url)
    heron = pages.admitted_peer(browser, base_url, demo, fac, "Calm Heron", "text_only")
    wren = pages.admitted_peer(browser, base_url, demo, fac, "Bold Wren", "text_only")

    # --- a report ---------------------------------------------------------------------------
    _send_chat(wren, "nobody here cares")
    message = _chat(heron).locator("li", has_text="nobody here cares")
    # nobody reports their own message: the author's has no actions at all
    expect(
        _chat(wren).locator("li", has_text="nobody here cares").locator(".message-menu-button")
    ).to_have_count(0)
    message.get_by_role("button", name="Actions: Bold Wren").click()
    heron.locator("#chat-message-menu").get_by_role("button", name="Report").click()
    dialog = heron.get_by_role("dialog", name="Report to the facilitators")
    expect(dialog).to_contain_text("Bold Wren")
    dialog.get_by_label("What is it about?").select_option("hurtful")
    dialog.get_by_label("Anything to add?").fill("said it twice")
    dialog.get_by_role("button", name="Send report").click()
    expect(heron.locator("#notices")).to_contain_text("The facilitators have your report")

    expect(fac.locator("#notices")).to_contain_text("Calm Heron sent a report.")
    fac.locator("#attention-toggle").click()
    item = fac.locator("#attention-list .attention-item[data-kind=report]")
    expect(item).to_contain_text("Calm Heron reports Bold Wren")
    item.get_by_text("Open the report").click()
    expect(item).to_contain_text("Hurtful or unkind")
    expect(item).to_contain_text("nobody here cares")
    expect(item).to_contain_text("said it twice")
    seen = wren.evaluate("() => document.body.innerText")
    assert "report" not in seen.lower() and "said it twice" not in seen

    # --- a latecomer knocks ----------------------------------------------------------------
    pages.open_drawer(fac, "facilitator")
    fac.get_by_label("Lock the meeting").check()
    expect(heron.locator("#notices")).to_contain_text("The meeting is locked")
    lark = browser.new_context(viewport=pages.VIEWPORT).new_page()
    lark.goto(f"{base_url}/join/{demo.peer_invite}/")
    pages.join(lark, "Late Lark", "text_only")
    expect(lark.locator("#join-error")).to_contain_text("not taking new participants")
    lark.get_by_role("button", name="Knock: ask to be let in").click()
    expect(lark.locator("#lobby-screen")).to_contain_text("You knocked")
    expect(lark.get_by_role("button", name="Crisis lines", exact=True)).to_be_visible()

    expect(fac.locator("#notices")).to_contain_text("Late Lark knocked")
    pages.open_drawer(fac, "people")
    expect(fac.locator("#lobby")).to_contain_text("latecomer")
    fac.locator("#attention-toggle").click() if not fac.locator(
        "#attention-panel"
    ).is_visible() else None
    # everyone let in from the lobby was a knock; Late Lark's is the open one, marked
    knocks = fac.locator("#attention-list .attention-item[data-kind=knock]")
    expect(knocks).to_have_count(3)
    knock = knocks.filter(has_text="Late Lark")
    expect(knock).to_have_attribute("data-state", "open")
    expect(knock).to_contain_text("latecomer")
    # one notice for the arrival: the lobby's, none from the queue
    expect(fac.locator("#notices").get_by_text("Late Lark knocked")).to_have_count(1)
    knock.get_by_role("button", name="Admit Late Lark").click()
    expect(lark.locator("#room")).to_be_visible(timeout=pages.JOIN_TIMEOUT_MS)
    expect(knock).to_contain_text("Admitted by Facilitator Fern")

    # --- removed: the goodbye screen keeps the crisis lines in view ------------------------------
    pages.open_drawer(fac, "people")
    fac.once("dialog", lambda d: d.accept())
    pages.person_menu(fac, "Bold Wren")
    fac.get_by_role("button", name="Remove Bold Wren", exact=True).click()
    expect(wren.locator("#end-screen")).to_be_visible()
    expect(wren.locator("#support-resources [data-crisis-resources]")).to_contain_text("116 123")
    expect(wren.get_by_role("button", name="Crisis lines", exact=True)).to_be_visible()
    wren.screenshot(path="/work/wt/shots/support/removed-goodbye-desk.png")
    wren.set_viewport_size({"width": 390, "height": 844})
    wren.screenshot(path="/work/wt/shots/support/removed-goodbye-phone.png", full_page=True)
