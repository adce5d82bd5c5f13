"""Browser tests: the whole service on a real port (demo mode, fake Twilio), driven by Debian's
Chromium through Playwright. Missing Chromium or Playwright FAILS these tests, never skips them:
`make test` installs both."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from oncall.clock import ManualClock
from oncall.db.engine import Database
from tests.e2e.conftest import ServerFactory, Service, start_service
from tests.support import load_demo_data

CHROMIUM = os.environ.get("ONCALL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "oncall-demo"

try:
    from playwright.async_api import Browser, Page, async_playwright
except ImportError:  # pragma: no cover - reported as a failure below
    async_playwright = None  # type: ignore[assignment]


def _require_browser() -> None:
    if async_playwright is None:
        pytest.fail(
            "Playwright for Python is not installed: run `make test` (it runs "
            "`.venv/bin/pip install 'playwright>=1.40'`) or install it yourself",
            pytrace=False,
        )
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: run `make test` as root (it runs "
            "`apt-get install -y chromium`), install Debian's chromium package, or set "
            "ONCALL_CHROMIUM to a Chromium binary",
            pytrace=False,
        )


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    _require_browser()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def demo_database(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database.connect(sqlite_url)
    await load_demo_data(database)
    yield database
    await database.dispose()


async def run_service(aiohttp_server: ServerFactory, database: Database, at: datetime) -> Service:
    return await start_service(aiohttp_server, database, ManualClock(at))


# What Chromium refused on each page under the Content-Security-Policy (an inline script or
# style that slipped into a template), by page; assert_accessible_basics checks it is empty.
_CSP_REFUSALS: dict[int, list[str]] = {}


async def new_page(browser: Browser, service: Service, **options: Any) -> Page:
    context = await browser.new_context(
        base_url=service.settings.public_url,
        viewport=options.pop("viewport", {"width": 1280, "height": 900}),
        **options,
    )
    context.set_default_timeout(15_000)
    page = await context.new_page()
    refusals = _CSP_REFUSALS.setdefault(id(page), [])
    page.on(
        "console",
        lambda message: (
            refusals.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return page


async def sign_in(page: Page, username: str, then: str = "/now") -> None:
    await page.goto(f"/login?next={then}")
    await page.get_by_label("User name").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(re.compile(re.escape(then) + r"$"))


async def shot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """A screenshot into test-artifacts/screenshots/ (gitignored) for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full_page)
    return path


_UNLABELLED = """() => Array.from(document.querySelectorAll(
  'input:not([type=hidden]), select, textarea, button'))
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
    && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map(el => el.outerHTML.slice(0, 120))"""


async def assert_accessible_basics(page: Page) -> None:
    """Every control has a label, there is one h1 and a main landmark, and headings do not skip
    a level (h2 straight to h4)."""
    assert _CSP_REFUSALS.get(id(page), []) == [], f"{page.url}: refused by the CSP"
    unlabelled = await page.evaluate(_UNLABELLED)
    assert unlabelled == [], f"{page.url}: controls without a label: {unlabelled}"
    assert await page.locator("h1").count() == 1, f"{page.url}: one h1 expected"
    assert await page.locator("main").count() == 1
    levels = await page.evaluate(
        "() => Array.from(document.querySelectorAll('main h1, main h2, main h3, main h4'))"
        ".map(h => Number(h.tagName[1]))"
    )
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"{page.url}: heading h{before} followed by h{after}"
