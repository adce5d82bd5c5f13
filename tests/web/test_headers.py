"""Security headers on every kind of response, and templates the policy can serve (issue 14: L11).
The browser journeys (tests/browser) then run every page in Chromium under this policy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from aiohttp import ClientSession, CookieJar

from oncall.web.headers import CONTENT_SECURITY_POLICY
from tests.e2e.conftest import Service
from tests.e2e.conftest import service as service  # the fixture: demo mode, the fake mounted

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = [
    *sorted((ROOT / "oncall" / "web" / "ui" / "templates").rglob("*.html")),
    *sorted((ROOT / "integrations" / "fake_twilio" / "templates").rglob("*.html")),
]
# What a Content-Security-Policy without 'unsafe-inline' refuses to run or apply.
INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\son[a-z]+\s*=|\sstyle\s*=|=\s*[\"']?\s*javascript:",
    re.I,
)


# One of each kind of response: pages, a redirect, static files, the API, an error page, both
# sub-applications (Twilio's webhooks, the demo's phone simulator), the health check.
RESPONSES = [
    ("GET", "/", 200),
    ("GET", "/login", 200),
    ("GET", "/now", 303),  # to the sign-in page
    ("GET", "/static/app.css", 200),
    ("GET", "/api/v1/openapi.json", 200),
    ("GET", "/api/v1/contacts", 401),
    ("GET", "/no-such-page", 404),
    ("POST", "/twilio/voice/incoming", 403),  # unsigned: refused by the sub-application
    ("GET", "/fake/", 200),
    ("GET", "/healthz", 200),
]


async def test_every_response_carries_the_security_headers_and_no_version(
    service: Service,
) -> None:
    policy = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert policy["frame-ancestors"] == "'none'" and policy["script-src"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as http:
        for method, path, status in RESPONSES:
            async with http.request(method, service.url(path), allow_redirects=False) as answer:
                assert answer.status == status, path
                headers = answer.headers
            assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path
            assert headers["X-Frame-Options"] == "DENY", path
            assert headers["X-Content-Type-Options"] == "nosniff", path
            assert headers["Referrer-Policy"] == "same-origin", path
            assert headers.getall("Server") == ["oncall"], path  # not "Python/3.11 aiohttp/3.x"


async def test_a_page_with_a_secret_in_its_url_keeps_its_stricter_referrer_policy(
    service: Service,
) -> None:
    async with ClientSession() as http, http.get(service.url("/o/not-a-token")) as answer:
        assert answer.status == 410
        assert answer.headers.getall("Referrer-Policy") == ["no-referrer"]
        assert answer.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_has_inline_script_or_style(template: Path) -> None:
    found = INLINE.findall(template.read_text(encoding="utf-8"))
    assert not found, f"{template.name}: {found} (move it to a file under /static/)"


def test_the_inline_pattern_finds_what_the_policy_refuses() -> None:
    for inline in ('<button onclick="go()">', '<p style="color:red">', "<script>x()</script>",
                   "<style>p{}</style>", '<a href="javascript:x()">'):  # fmt: skip
        assert INLINE.search(inline), inline
    assert not INLINE.search('<script src="/static/page.js" defer></script>')
    assert not INLINE.search('<button data-print class="x">')
