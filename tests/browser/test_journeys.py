"""The main journeys in Chromium: a coordinator generates, adjusts, publishes and repairs a month;
a worker subscribes to their calendar and asks for a swap; a manager filters the log and opens a
timeline; a worker is refused the audit pages. Each screen is photographed for people to check."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Browser, Page, expect

from integrations.fake_twilio import PhoneBehaviour
from oncall.db.engine import Database
from oncall.db.models import Tier
from oncall.domain.rota import generate, publish
from tests.browser.conftest import (
    assert_accessible_basics,
    new_page,
    run_service,
    shot,
    sign_in,
)
from tests.e2e.conftest import FRIDAY_NIGHT, SHIFT_START, ServerFactory
from tests.support import JERSEY, ShiftSpec, publish_rota

pytestmark = pytest.mark.browser

DECEMBER = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)
SOLVE = 60_000  # ms a generate or repair may take on a busy machine (its limit is 5 s)


async def _job_lands_on(page: Page, version_url: str) -> None:
    """The progress page moves on to the new version when the job is done; a failure says why."""
    await page.wait_for_url(re.compile(r"/rota/jobs/"))
    status = page.locator("#job-status")
    await expect(status.or_(page.locator("#moves, .calendar").first)).to_be_visible()
    done = re.compile(re.escape(version_url))
    for _ in range(SOLVE // 250):
        if done.search(page.url):
            return
        if await status.count() and "Failed" in (await status.inner_text()):
            raise AssertionError(await status.inner_text())
        await page.wait_for_timeout(250)
    raise AssertionError(f"still on {page.url}")


async def _friday_rota(database: Database) -> None:
    async with database.sessions() as session:
        end = SHIFT_START + timedelta(hours=16)
        await publish_rota(
            session,
            "2027-01",
            [
                ShiftSpec(SHIFT_START, end, Tier.WORKER, ["sw001", "sw002"]),
                ShiftSpec(SHIFT_START, end, Tier.MANAGER, ["sm001"]),
                ShiftSpec(end + timedelta(days=3), end + timedelta(days=3, hours=16),
                          Tier.WORKER, ["sw001"]),
            ],
        )  # fmt: skip
        await session.commit()


async def test_a_coordinator_generates_adjusts_publishes_and_repairs_a_month(
    browser: Browser, aiohttp_server: ServerFactory, demo_database: Database
) -> None:
    service = await run_service(aiohttp_server, demo_database, DECEMBER)
    page = await new_page(browser, service)
    await sign_in(page, "coordinator", "/rota")
    await shot(page, "rota-index")
    await page.get_by_label("Month", exact=True).fill("2027-01")
    await page.get_by_role("button", name="Open month").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Rota for January 2027")

    # Generate: the progress page polls the job and moves on to the new version by itself.
    await page.get_by_label("Time limit (seconds)").fill("5")
    await page.get_by_role("button", name="Generate January 2027").click()
    await page.wait_for_url(re.compile(r"/rota/jobs/"))
    await expect(page.get_by_role("progressbar")).to_be_visible()
    await shot(page, "rota-generating")
    await _job_lands_on(page, "/rota/2027-01/v/1")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("version 1")
    await expect(page.get_by_role("img", name="Load against target, worker tier")).to_be_visible()
    await shot(page, "rota-version")

    # Adjust: replace someone, see the rules checked, save a new draft.
    await page.locator(".calendar a").first.click()
    await page.wait_for_url(re.compile(r"/shift/"))
    await shot(page, "rota-replace")
    # Someone who breaks a rule first: the breaks are shown, and saving needs an explicit yes.
    await page.get_by_role("radio").last.check()
    await page.get_by_role("button", name="Check this change").click()
    await expect(page.locator("#check-result")).to_contain_text("breaks")
    await expect(page.get_by_label("I accept these breaks")).to_be_visible()
    await shot(page, "rota-check-breaks")
    await page.get_by_role("link", name="Choose someone else").click()
    # Then someone who keeps every rule (they are listed first).
    await page.get_by_role("radio").first.check()
    await page.get_by_role("button", name="Check this change").click()
    await expect(page.locator("#check-result")).to_have_text("The change keeps every hard rule.")
    await shot(page, "rota-check")
    await page.get_by_role("button", name="Save as a new draft").click()
    await page.wait_for_url(re.compile(r"/rota/2027-01/v/2"))
    await expect(page.locator("#moves")).to_be_visible()

    # Publish: staff are told.
    await page.get_by_role("button", name="Publish version 2").click()
    await expect(page.locator("#version-status")).to_have_text("published")
    await expect(page.get_by_role("status")).to_contain_text("staff will be told")

    # Repair after sickness: someone on Tuesday 12th is off all week; the moves are highlighted.
    link = page.locator('.calendar a[href*="/shift/2027-01-12-w?out="]').first
    href = await link.get_attribute("href")
    assert href
    sick = href.rsplit("=", 1)[1]
    await page.get_by_label("Who").select_option(sick)
    await page.get_by_label("From (date)").fill("2027-01-11")
    await page.get_by_label("To (date, inclusive)").fill("2027-01-17")
    await page.get_by_label("Time limit (s)").fill("5")
    await page.get_by_role("button", name="Repair", exact=True).click()
    await _job_lands_on(page, "/rota/2027-01/v/3")
    await expect(page.locator("#moves tr.moved").first).to_be_visible()
    await expect(page.locator("#moves")).to_contain_text(sick)
    await assert_accessible_basics(page)
    await shot(page, "rota-repaired")

    # The other coordinator screens, photographed.
    for path, name in [("/now", "now-coordinator"), ("/staff", "staff"),
                       ("/staff/sw001", "staff-person"), ("/staff/templates", "templates"),
                       ("/requests", "requests"), ("/lines", "lines"),
                       ("/rota/2027-01/v/3/print", "rota-print")]:  # fmt: skip
        await page.goto(path)
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        await assert_accessible_basics(page)
        await shot(page, name)


async def _published_january(database: Database) -> None:
    async with database.sessions() as session:
        version = await generate(
            session, "2027-01", zone=JERSEY, now=DECEMBER, by="test", time_limit_s=120
        )
        await publish(session, "2027-01", version.number, now=DECEMBER, by="test")
        await session.commit()


async def test_a_worker_subscribes_to_their_calendar_and_asks_for_a_swap(
    browser: Browser, aiohttp_server: ServerFactory, demo_database: Database
) -> None:
    await _published_january(demo_database)
    service = await run_service(aiohttp_server, demo_database, DECEMBER)
    page = await new_page(browser, service, viewport={"width": 390, "height": 844})
    await sign_in(page, "worker", "/my")

    # Keyboard: the first Tab reaches "Skip to content", and it moves focus to the main area.
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    await page.keyboard.press("Enter")
    assert page.url.endswith("#main")

    shifts = await page.locator("#my-shifts tbody tr").count()
    assert shifts >= 1
    await page.get_by_role("button", name="Make my link").click()
    link = await page.get_by_label("Subscription link").input_value()
    assert "/calendar.ics?token=" in link
    await shot(page, "my-shifts-phone")

    # A calendar app has no session: a fresh context (no cookies) reads the feed.
    outsider = await browser.new_context()
    feed = await outsider.request.get(link)
    body = await feed.text()
    assert feed.status == 200 and "text/calendar" in feed.headers["content-type"]
    assert body.count("BEGIN:VEVENT") == shifts and "@oncall.rota" in body
    await outsider.close()

    # Ask a colleague to take the first shift.
    first = page.locator("#my-shifts tbody tr").first
    await first.get_by_role("combobox").select_option(index=1)
    await first.get_by_role("button", name="Request swap").click()
    await expect(page.get_by_role("status").first).to_contain_text("Swap request sent")
    await expect(page.locator("#my-swaps")).to_contain_text("pending")
    await assert_accessible_basics(page)
    await shot(page, "my-swap-requested")
    await page.goto("/now")
    await shot(page, "now-worker-phone")

    # The coordinator sees the request checked against the rules and approves it.
    desk = await new_page(browser, service)
    await sign_in(desk, "coordinator", "/requests")
    card = desk.locator(".card").first
    await expect(card).to_contain_text("asks")
    await expect(card.locator(".ok, .error").first).to_be_visible()
    await shot(desk, "requests-swap-waiting")
    if await card.get_by_label("Approve despite the breaks").count():
        await card.get_by_label("Approve despite the breaks").check()
    await card.get_by_role("button", name="Approve and publish").click()
    await expect(desk.get_by_role("status").first).to_contain_text("Swap approved")
    await page.goto("/my")
    await expect(page.locator("#my-swaps")).to_contain_text("approved")


async def test_a_manager_filters_the_log_and_opens_a_timeline(
    browser: Browser, aiohttp_server: ServerFactory, demo_database: Database
) -> None:
    await _friday_rota(demo_database)
    service = await run_service(aiohttp_server, demo_database, FRIDAY_NIGHT)
    service.fake.phones.set(service.phones["sw001"], PhoneBehaviour.ACCEPT)
    police = "+441534700201"  # the demo police control room
    await service.fake.place_inbound_call(from_=police, to=service.lines["police"])
    await service.fake.settle()

    page = await new_page(browser, service)
    await sign_in(page, "manager", "/audit")
    await shot(page, "audit-contacts")
    await page.get_by_label("Agency").select_option("police")
    await page.get_by_role("button", name="Filter").click()
    await page.wait_for_url(re.compile(r"agency=police"))
    reference = page.get_by_role("link", name=re.compile(r"OOH-2027-"))
    await expect(reference.first).to_be_visible()
    await reference.first.click()
    await expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    await expect(page.locator("main")).to_contain_text("call.accepted")
    await shot(page, "audit-timeline")
    await page.goto("/now")
    await expect(page.locator("#chain")).to_contain_text("verified intact")
    await shot(page, "now-manager")


async def test_a_worker_is_refused_the_audit_pages(
    browser: Browser, aiohttp_server: ServerFactory, demo_database: Database
) -> None:
    service = await run_service(aiohttp_server, demo_database, FRIDAY_NIGHT)
    page = await new_page(browser, service)
    await sign_in(page, "worker", "/now")
    await expect(page.get_by_role("navigation", name="Main")).not_to_contain_text("Audit")
    response = await page.goto("/audit")
    assert response is not None and response.status == 403
    await shot(page, "audit-refused-worker")
