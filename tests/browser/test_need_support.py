"""A peer presses "I need support": the facilitators' queue shows it (title cue), a facilitator
replies privately (the `open-private-thread` event opens the private thread, and only the
peer gets the reply), the peer sees the crisis lines at once, and a third person sees
nothing of it. Screenshots of both sides at desk and phone sizes."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser import pages

SHOTS = Path("/work/wt/shots/support")
SIZES = {"desk": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def _shoot(page: Page, name: str, prepare=None) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.wait_for_timeout(300)  # the layout settles (drawers close on a phone's width)
        if prepare:
            prepare(page)
        page.screenshot(path=str(SHOTS / f"{name}-{size}.png"))
    page.set_viewport_size(pages.VIEWPORT)


def _open_queue(page: Page) -> None:
    if not page.locator("#attention-panel").is_visible():
        page.locator("#attention-toggle").click()
    expect(page.locator("#attention-panel")).to_be_visible()


@pytest.mark.timeout(300)
def test_need_support_reaches_only_the_facilitators(embedded_server, browser):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url)
    heron = pages.admitted_peer(browser, base_url, demo, fac, "Calm Heron", "text_only")
    wren = pages.admitted_peer(browser, base_url, demo, fac, "Bold Wren", "text_only")
    heron_id = pages.participant_id(heron)
    expect(wren.locator("#participants")).to_contain_text("Calm Heron")
    fac.evaluate(
        """() => { window.threadsOpened = [];
        document.addEventListener("open-private-thread",
          (e) => window.threadsOpened.push(e.detail.participantId)); }"""
    )
    wren_title = wren.title()

    # the peer: one button in the room's header, a note, and the crisis lines at once
    _shoot(heron, "peer-room")
    expect(fac.locator("#need-support-button")).to_be_hidden()  # facilitators have the queue
    heron.get_by_role("button", name="I need support").click()
    dialog = heron.locator("#support-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-crisis-resources]")).to_contain_text("988")
    expect(dialog.locator("[data-crisis-resources]")).to_contain_text("116 123")
    dialog.get_by_label("Anything you'd like them to know?").fill("Having a really hard time")
    dialog.get_by_role("button", name="Tell the facilitators").click()
    expect(dialog.locator("#support-sent")).to_contain_text("The facilitators have been told")
    heading = dialog.locator("#support-dialog-heading").bounding_box()
    told = dialog.locator("#support-sent-text").bounding_box()
    assert heading is not None and told is not None
    assert told["y"] - (heading["y"] + heading["height"]) < 16  # the words follow their heading
    expect(dialog.locator("[data-crisis-resources]")).to_be_visible()
    expect(heron.locator("#need-support-button")).to_have_text("Support requested")
    _shoot(heron, "peer-support-sent")

    # the facilitators: the queue's count, a notice, the tab title
    expect(fac.locator("#attention-count")).to_have_text("1")
    expect(fac.locator("#notices")).to_contain_text("Calm Heron needs support.")
    expect(fac).to_have_title("(1 needs attention) " + wren_title)
    _shoot(fac, "facilitator-alert")
    _open_queue(fac)
    item = fac.locator("#attention-list .attention-item[data-kind=support]")
    expect(item).to_contain_text("Calm Heron")
    expect(item).to_contain_text("Having a really hard time")
    _shoot(fac, "facilitator-queue", prepare=_open_queue)
    _open_queue(fac)  # a phone's width closed the drawers

    item.get_by_role("button", name="Reply privately").click()
    assert fac.evaluate("() => window.threadsOpened") == [heron_id]
    # the private thread (privchat) opens on that person: the reply reaches them only
    expect(fac.get_by_label("Send to")).to_have_value(f"thread:{heron_id}")
    fac.get_by_label("Message").fill("I'm here. Want to talk for a minute?")
    fac.get_by_label("Message").press("Enter")
    expect(heron.locator("#chat-log")).to_contain_text("I'm here. Want to talk for a minute?")
    _open_queue(fac)
    item.get_by_role("button", name="Mark handled").click()
    expect(item).to_have_attribute("data-state", "handled")
    expect(item).to_contain_text("Handled by Facilitator Fern")
    expect(fac.locator("#attention-count")).to_have_text("0")
    expect(fac).to_have_title(wren_title)
    expect(heron.locator("#notices")).to_contain_text("A facilitator has seen your request")

    # a facilitator who reloads still finds it, handled
    fac.reload()
    _open_queue(fac)
    expect(fac.locator("#attention-list .attention-item[data-kind=support]")).to_have_attribute(
        "data-state", "handled"
    )

    # the peer's crisis lines stay one step away
    heron.locator("#support-dialog").get_by_role("button", name="Not now").click()
    heron.get_by_role("button", name="Crisis lines").click()
    expect(heron.locator("#crisis-dialog")).to_contain_text("Samaritans")
    _shoot(heron, "peer-crisis-lines")

    # the third browser saw nothing: no notice, no queue, no title, no message
    expect(wren.locator("#attention-toggle")).to_be_hidden()
    assert wren.title() == wren_title
    for text in ("support", "hard time", "want to talk"):
        assert text not in wren.locator("#notices").inner_text().lower()
        assert text not in wren.locator("#chat-log").inner_text().lower()
    seen = wren.evaluate("() => document.body.innerText")
    assert "Having a really hard time" not in seen and "needs support" not in seen
    assert "Want to talk" not in seen
