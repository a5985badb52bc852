"""In Chromium: an admin sets up a weekly group with two facilitators, a peer finds it in the
directory, adds it to a calendar and joins when its doors open; the second facilitator, who
never received a link, runs the next meeting. The admin takes someone off the staff."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from icalendar import Calendar
from playwright.sync_api import Browser, Page, expect

from tests import servers
from tests.browser.conftest import ARTIFACTS
from tests.browser.pages import JOIN_TIMEOUT_MS, join

PASSWORD = "peer-support"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TITLE = "Weekly wellbeing circle"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("groups")
    env = servers.server_env(DATABASE_URL=f"sqlite:///{workdir / 'meetings.sqlite3'}")
    servers.manage(env, "migrate", "-v0")
    servers.manage(
        env, "organisation", "--name", "Riverside Peer Support", "--admin", "alice",
        "--facilitator", "ana=Certified peer specialist", "--facilitator", "ben",
        "--facilitator", "carl",
        "--crisis-resources", "In the UK, Samaritans: 116 123 (free, any time)",
        "--agreement", "What is said here stays here. Speak from your own experience.",
        "--password", PASSWORD,
    )  # fmt: skip
    with servers.daphne(env, workdir / "daphne.log") as base_url:
        yield base_url


def signed_in(browser: Browser, base_url: str, username: str, next_url: str, viewport=DESKTOP):
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(f"{base_url}/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    return page


def shot(page: Page, name: str) -> None:
    """A full-page screenshot, and axe-core finds nothing serious or critical on the page."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"groups-{name}.png"), full_page=True)
    violations = Axe().run(page).response["violations"]
    blocking = [(v["id"], v["help"]) for v in violations if v["impact"] in ("serious", "critical")]
    assert blocking == [], name


@pytest.mark.timeout(300)
def test_weekly_group_from_setup_to_the_second_facilitator(server, browser):
    base_url = server
    # The first meeting starts 10-11 minutes from now, so its doors (10 minutes before)
    # open while the peer waits on its page.
    start = (datetime.now(UTC) + timedelta(minutes=11)).replace(second=0, microsecond=0)

    admin = signed_in(browser, base_url, "alice", "/groups/manage/")
    form = admin.get_by_role("region", name=re.compile("New group"))
    form.get_by_label("Title").fill(TITLE)
    form.get_by_label("Support type").select_option(label="Anxiety")
    form.get_by_label("Time zone").fill("UTC")
    form.get_by_label("Lobby: facilitators admit each person").uncheck()
    form.get_by_label("Description").fill(
        "A gentle weekly check-in for anyone living with anxiety."
    )
    form.get_by_label("ana (Certified peer specialist)").check()
    form.get_by_label("ben", exact=True).check()
    form.get_by_role("button", name="Create group").click()
    expect(admin.get_by_role("heading", name=f"Schedule: {TITLE}")).to_be_visible()

    add = admin.get_by_role("region", name="Add a schedule")
    add.get_by_label("How often").select_option("weekly")
    add.get_by_label("First date").fill(start.date().isoformat())
    add.get_by_label("Time", exact=True).fill(start.strftime("%H:%M"))
    add.get_by_label("Last date").fill((start + timedelta(days=21)).date().isoformat())
    add.get_by_label(start.strftime("%a"), exact=True).check()
    add.get_by_role("button", name="Add schedule").click()
    expect(admin.get_by_text("4 upcoming meetings")).to_be_visible()
    shot(admin, "schedule-1280")

    # A peer with no account, in New York, finds it in the directory.
    peer_context = browser.new_context(
        viewport=DESKTOP, timezone_id="America/New_York", accept_downloads=True
    )
    peer = peer_context.new_page()
    peer.goto(f"{base_url}/groups/")
    card = peer.locator(".card", has_text=TITLE).first
    expect(card).to_be_visible()
    expect(peer.locator("[data-visitor-zone]")).to_have_text("America/New_York")
    expect(card.locator("time")).not_to_contain_text("(UTC)")  # rewritten in local time
    expect(card.locator("time")).to_contain_text(new_york_clock(start))
    shot(peer, "directory-1280")
    card.get_by_role("link", name=TITLE).click()
    expect(peer.get_by_text("Verified: Certified peer specialist")).to_be_visible()
    shot(peer, "group-1280")
    peer.go_back()

    card.get_by_role("link", name="Join when it opens").click()
    shot(peer, "meeting-1280")
    with peer.expect_download() as download:
        peer.get_by_role("link", name="Add to calendar (.ics)").click()
    with open(download.value.path(), "rb") as ics:
        event = next(iter(Calendar.from_ical(ics.read()).walk("VEVENT")))
    join_link = peer.locator("#join-link")
    assert str(event["URL"]).endswith(join_link.get_attribute("href"))
    assert event.decoded("DTSTART") == start

    if datetime.now(UTC) < start - timedelta(minutes=10):
        expect(peer.locator("#waiting")).to_be_visible()
        expect(join_link).to_be_hidden()
    expect(join_link).to_be_visible(timeout=100_000)  # the page opens it when the doors open
    join_link.click()
    join(peer, "Calm Heron", "text_only")
    expect(peer.locator("#room")).to_be_visible(timeout=JOIN_TIMEOUT_MS)

    # Ben never got a link: the team is enough to run the next meeting.
    ben = signed_in(browser, base_url, "ben", "/groups/manage/")
    ben.get_by_role("link", name=TITLE).click()
    ben.get_by_role("link", name="Edit schedule").click()
    second = ben.locator(".dates li").nth(1)
    second.get_by_role("link", name="Open room").click()
    join(ben, "Ben", "text_only")
    expect(ben.locator("#room")).to_be_visible(timeout=JOIN_TIMEOUT_MS)
    expect(ben.locator("#participants")).to_contain_text("Ben (you)")

    # The same pages on a phone.
    phone_peer = browser.new_context(viewport=PHONE, timezone_id="America/New_York").new_page()
    phone_peer.goto(f"{base_url}/groups/")
    shot(phone_peer, "directory-390")
    phone_peer.locator(".card", has_text=TITLE).first.get_by_role("link", name=TITLE).click()
    shot(phone_peer, "group-390")
    phone_admin = signed_in(browser, base_url, "alice", "/groups/manage/", viewport=PHONE)
    phone_admin.get_by_role("link", name="Schedule").first.click()
    shot(phone_admin, "schedule-390")


def new_york_clock(start: datetime) -> str:
    from zoneinfo import ZoneInfo

    return start.astimezone(ZoneInfo("America/New_York")).strftime("%I:%M").lstrip("0")


@pytest.mark.timeout(120)
def test_an_admin_takes_someone_off_the_staff(server, browser):
    admin = signed_in(browser, server, "alice", "/groups/organisation/")
    staff = admin.get_by_role("region", name="Staff")
    expect(staff.get_by_role("button", name="Remove alice from the staff")).to_have_count(0)
    shot(admin, "organisation-1280")
    staff.get_by_role("button", name="Remove carl from the staff").click()
    expect(staff.get_by_role("cell", name="carl", exact=True)).to_have_count(0)
    expect(staff.get_by_role("cell", name="ben", exact=True)).to_be_visible()

    phone = signed_in(browser, server, "alice", "/groups/organisation/", PHONE)
    expect(phone.get_by_role("button", name="Remove ben from the staff")).to_be_visible()
    expect(phone.get_by_role("cell", name="carl", exact=True)).to_have_count(0)
    shot(phone, "organisation-390")
