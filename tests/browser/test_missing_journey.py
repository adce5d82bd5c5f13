"""Issue 17's journey in Chromium, on SQLite and PostgreSQL: the police call at 23:10 and the
worker's texts through the phone simulator (MISSING, the senior manager texted, FOUND at 02:40),
the morning pack, the day team marking the interview offered, and the dashboard's figures, which
equal the ones worked out by hand (tests/e2e/test_missing.py explains them)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from oncall import keys
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import ReferenceCounter
from tests.browser.conftest import assert_accessible_basics, new_page, shot, sign_in
from tests.e2e.conftest import ServerFactory, Service
from tests.e2e.test_calls import POLICE_CONTROL_ROOM
from tests.e2e.test_escalation_support import escalation_service, texts_to, tick
from tests.support import JERSEY

pytestmark = pytest.mark.browser

CALLED = datetime(2027, 1, 8, 23, 10, tzinfo=JERSEY)
CASE = "JY-204871"


async def _text(page: Page, code: str, body: str, reply: str) -> None:
    """Send a text from a staff phone on the simulator and see the service's reply."""
    phone: Locator = page.locator("article.phone").filter(has_text=code)
    await phone.get_by_label("Message").fill(body)
    await phone.get_by_role("button", name="Send text").click()
    await expect(page.locator("#status")).to_contain_text(f"Reply: {reply}")


async def _at(service: Service, when: datetime) -> None:
    await service.clock.advance((when - service.clock.now()).total_seconds())


async def test_a_night_and_a_morning_of_a_child_missing_from_care(
    browser: Browser, aiohttp_server: ServerFactory, database: Database
) -> None:
    async with database.sessions() as session:  # so the night's first contact is 0042
        session.add(ReferenceCounter(year=2027, last=41))
        await session.commit()
    service = await escalation_service(aiohttp_server, database, ManualClock(CALLED))

    phones = await new_page(browser, service)
    await phones.goto("/fake/")
    await phones.get_by_label("Caller").select_option(POLICE_CONTROL_ROOM)
    await phones.get_by_label("Line").select_option(service.lines["police"])
    await phones.get_by_role("button", name="Call").click()
    await expect(phones.locator("#status")).to_contain_text("Calling")
    await service.fake.settle()  # nobody answers in time: a missed call
    await tick(service)
    await _at(service, CALLED + timedelta(minutes=4))
    await _text(phones, "sw002", "ACK 0042", "0042 acknowledged by you")
    await _at(service, CALLED + timedelta(minutes=10))
    await _text(
        phones, "sw002", f"MISSING 0042 {CASE} high", "0042: missing episode recorded, HIGH"
    )
    await tick(service)
    (to_manager,) = texts_to(service, "sm002")
    assert to_manager.startswith("OOH-0042 Police HQ missing child, HIGH RISK, worker ")
    await _text(phones, "sm002", "ACK 0042", "0042 acknowledged by you")
    await _at(service, datetime(2027, 1, 9, 2, 40, tzinfo=JERSEY))
    await _text(phones, "sw002", "FOUND 0042", "0042: return recorded at 02:40")
    await _text(phones, "sw002", "FOUND 0042", "FOUND 0042: the return was already recorded")
    await shot(phones, "missing-simulator")

    morning = datetime(2027, 1, 9, 9, 0, tzinfo=JERSEY)
    await _at(service, morning)
    await service.app[keys.RUNNER].run_once("missing meeting pack", morning)
    day_team = await new_page(browser, service)
    await sign_in(day_team, "coordinator", "/missing/pack")
    await expect(day_team.get_by_role("heading", level=1)).to_have_text(
        "Missing meeting pack for Sat 09 Jan 2027"
    )
    returned = day_team.locator("#returned")
    await expect(returned).to_contain_text(CASE)
    await expect(returned).to_contain_text("Tue 12 Jan 2027 02:40")  # three days after 02:40
    await expect(day_team.locator("#still")).to_contain_text("Nobody is missing.")
    await assert_accessible_basics(day_team)
    await shot(day_team, "missing-pack")

    await _at(service, morning + timedelta(hours=2))
    await day_team.get_by_role("link", name="Return home interviews").click()
    row = day_team.locator("tr", has_text=CASE)
    await expect(row).to_contain_text("Tue 12 Jan 2027 02:40")
    await assert_accessible_basics(day_team)
    await shot(day_team, "missing-interviews")
    await row.get_by_label("Interview", exact=True).select_option("offered")
    await row.get_by_label("On", exact=True).fill("2027-01-09T11:00")
    await row.get_by_role("button", name="Record").click()
    await expect(day_team.locator(".notice")).to_have_text(
        f"Return home interview of {CASE} recorded as offered."
    )
    await expect(day_team.locator("main")).to_contain_text("No interview to offer.")

    leader = await new_page(browser, service)
    await sign_in(leader, "manager", "/missing/dashboard")
    await leader.get_by_label("From", exact=True).fill("2027-01-04")
    await leader.get_by_label("To", exact=True).fill("2027-01-10")
    await leader.get_by_role("button", name="Show").click()
    await leader.wait_for_url(re.compile(r"from=2027-01-04&to=2027-01-10"))
    figures = {
        "episodes": "1", "open_now": "0", "median_missing": "3 h 30 min",
        "median_first_action": "4 min", "in_time": "100% (1 of 1)",
        "repeat_cases": "0 (0 repeat episodes)",
    }  # fmt: skip
    for name, value in figures.items():
        await expect(leader.locator(f'[data-figure="{name}"]')).to_have_text(value)
    await expect(leader.locator("svg.chart")).to_have_count(2)
    await assert_accessible_basics(leader)
    await shot(leader, "missing-dashboard")
    await leader.get_by_role("link", name=re.compile("Episodes")).first.click()
    await expect(leader.locator("table.episodes")).to_contain_text(CASE)
    await leader.get_by_role("link", name=CASE).click()
    await expect(leader.locator("#status")).to_have_text("returned")
    await expect(leader.locator("#interview")).to_contain_text("(in time)")
    await expect(leader.locator("ol.timeline")).to_contain_text("Return home interview")
    await assert_accessible_basics(leader)
    await shot(leader, "missing-episode")
