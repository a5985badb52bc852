"""Chat typed while the socket is down waits as "sending…" and arrives once, in order."""

import pytest
from playwright.sync_api import expect

from tests.browser import pages
from tests.browser.outage import admitted_behind_outage


@pytest.mark.timeout(180)
def test_chat_typed_while_offline_is_sent_after_reconnect_exactly_once(
    embedded_server, browser, artifacts
):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url, media="text_only")
    heron, outage = admitted_behind_outage(browser, base_url, demo, fac, "Calm Heron", "text_only")

    def say(text: str) -> None:
        heron.get_by_label("Message").fill(text)
        heron.get_by_label("Message").press("Enter")

    say("before the outage")
    expect(fac.locator("#chat-log")).to_contain_text("before the outage")
    # the others can see it a moment before heron's page has the server's ack
    expect(heron.locator("#chat-log li.pending")).to_have_count(0)

    outage.start()
    say("typed while offline")
    say("and a second one")
    pending = heron.locator("#chat-log li.pending")
    expect(pending).to_have_count(2)
    expect(pending.first).to_contain_text("sending…")
    expect(pending.first).to_contain_text("typed while offline")
    for width, height in ((1280, 800), (390, 844)):
        heron.set_viewport_size({"width": width, "height": height})
        heron.screenshot(path=str(artifacts / f"chat-outbox-sending-{width}.png"))
    heron.set_viewport_size(pages.VIEWPORT)
    expect(fac.locator("#chat-log")).not_to_contain_text("typed while offline")

    outage.down = False  # the page's next retry gets through
    expect(pending).to_have_count(0, timeout=20_000)
    for page in (fac, heron):
        log = page.locator("#chat-log li")
        expect(log.filter(has_text="typed while offline")).to_have_count(1)
        expect(log.filter(has_text="and a second one")).to_have_count(1)
        expect(log.filter(has_text="before the outage")).to_have_count(1)
        texts = page.locator("#chat-log li .text").all_text_contents()
        mine = [t for t in texts if t in ("typed while offline", "and a second one")]
        assert mine == ["typed while offline", "and a second one"]
    expect(heron.locator("#chat-log")).not_to_contain_text("sending…")


def _outbox_in_storage(page) -> list[str]:
    return page.evaluate(
        """() => Object.keys(sessionStorage).filter((k) => k.startsWith("peer-meetings:outbox:"))"""
    )


@pytest.mark.timeout(180)
def test_unsent_chat_survives_a_reload_and_arrives_exactly_once(
    embedded_server, browser, artifacts
):
    demo, base_url = embedded_server
    fac = pages.facilitator_page(browser, demo, base_url, media="text_only")
    otter, outage = admitted_behind_outage(browser, base_url, demo, fac, "Quiet Otter", "text_only")

    def say(text: str) -> None:
        otter.get_by_label("Message").fill(text)
        otter.get_by_label("Message").press("Enter")

    # stored by the server, but its acknowledgement lost: the page still counts it unsent
    outage.drop_acks = True
    say("stored but never acknowledged")
    expect(fac.locator("#chat-log")).to_contain_text("stored but never acknowledged")
    # and one that never left the page
    outage.start()
    say("typed while offline, then reloaded")
    expect(otter.locator("#chat-log li.pending")).to_have_count(2)
    assert len(_outbox_in_storage(otter)) == 2  # this tab's sessionStorage, nothing in localStorage
    assert (
        otter.evaluate("() => Object.keys(localStorage).filter((k) => k.includes('outbox'))") == []
    )

    otter.reload()
    outage.down = False
    outage.drop_acks = False
    expect(otter.locator("#room")).to_be_visible(timeout=pages.JOIN_TIMEOUT_MS)
    expect(otter.locator("#chat-log li.pending")).to_have_count(0, timeout=20_000)
    otter.screenshot(path=str(artifacts / "chat-outbox-after-reload.png"))
    for page in (fac, otter):
        log = page.locator("#chat-log li")
        expect(log.filter(has_text="typed while offline, then reloaded")).to_have_count(1)
        expect(log.filter(has_text="stored but never acknowledged")).to_have_count(1)
    fac.wait_for_timeout(6000)  # past the outbox's resend of an overdue message
    log = fac.locator("#chat-log li")
    expect(log.filter(has_text="typed while offline, then reloaded")).to_have_count(1)
    expect(log.filter(has_text="stored but never acknowledged")).to_have_count(1)
    assert _outbox_in_storage(otter) == []  # each entry cleared once acknowledged
