"""Every route of the app, every parameter, hostile values, as every role it admits: never a 5xx,
and nothing planted in a request reaches the log.

The routes come from the app's own router, so a route added tomorrow is fuzzed without anyone
listing it. Each route's parameters are its path parameters, the query parameters and form fields
its handler's module reads (`query.get("x")`, `field(form, "x")`, ...) and the inputs of the
templates that module renders: a new field is fuzzed as soon as a handler reads it. Each
parameter gets a few values from HOSTILE, chosen deterministically from the route and the name,
so every run sends the same requests and the run stays short; POSTs also get bodies that are not
UTF-8, an unknown charset and a multipart form without its boundary.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import itertools
import logging
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
import structlog

from oncall.app import create_app
from oncall.log import configure_logging
from oncall.settings import FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN
from oncall.web.auth import CSRF_FIELD, CSRF_HEADER
from tests.reliability.inputs import browser_session, running_service, seed
from tests.reliability.inputs import settings_for as demo_settings
from tests.reliability.role_table import ACCESS, FAKE_REST, SAMPLE, Access

# A value no page shows and no log line should ever hold, planted in the hostile values.
PLANT = "Zq7plantXv"
HOSTILE: tuple[str, ...] = (
    "\x00",
    f"{PLANT} disclosed harm, mum on 07797 123456\x00",
    "a\x01b\x1bc",
    f"\u202e{PLANT}",
    f"{PLANT}" + "x" * 10_000,
    "99999999999999999999",
    "+9999999999",
    "1_000_000_000_000",
    "\u0661\u0662\u0663",  # Arabic-Indic 123: int() and \d take it
    "9999-12-31",
    "0001-01-01",
    "9999-12-31T23:59",
    "9223372036854775808",
    "-1",
    "0",
    "2027-02-30",
    "2027-13",
    "\u00a2",
    "../../etc/passwd",
    '=HYPERLINK("http://evil.example")',
)
PER_PARAMETER = 3
TEMPLATES = Path(__file__).parents[2] / "oncall" / "web" / "ui" / "templates"
_READS = re.compile(
    r"""(?:query|params|form|data)\.get(?:all)?\(\s*["'](\w+)["']"""
    r"""|(?:field|_int|_moment|_date|_day)\(\s*(?:form|request|data)\s*,\s*["'](\w+)["']"""
    r"""|(?:query|form|params)\[\s*["'](\w+)["']\s*\]"""
)
_TEMPLATE = re.compile(r"""["']([\w/]+\.html)["']""")
_INPUT = re.compile(r"""name=["'](\w+)["']|forms\.\w+\(\s*["'](\w+)["']""")
# Asked of every page: the notice and the sign-in page's target.
COMMON_QUERY = ("notice", "next")
SKIP = {("GET", "/static"), ("GET", "/fake/static")}


@dataclass
class Case:
    method: str
    path: str  # the route's template, for the report
    url: str
    who: str
    query: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] | None = None
    body: bytes | None = None
    content_type: str | None = None


def _names(handler: object) -> tuple[set[str], set[str]]:
    """(query names, form names) the handler's module reads or its templates post."""
    source_file = inspect.getsourcefile(inspect.unwrap(handler))  # type: ignore[arg-type]
    assert source_file is not None
    source = Path(source_file).read_text(encoding="utf-8")
    read = {next(g for g in m.groups() if g) for m in _READS.finditer(source)}
    posted: set[str] = set()
    for template in _TEMPLATE.findall(source):
        path = TEMPLATES / template
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            posted |= {next(g for g in m.groups() if g) for m in _INPUT.finditer(text)}
    return read, (read | posted) - {CSRF_FIELD}


def _routes() -> list[tuple[str, str, object]]:
    app = create_app(demo_settings("sqlite+aiosqlite:///:memory:", 8080))
    found: dict[tuple[str, str], object] = {}
    for route in app.router.routes():
        if route.method == "HEAD" or route.resource is None:
            continue
        key = (route.method, route.resource.canonical)
        if key not in SKIP:
            found.setdefault(key, route.handler)
    # Sub-applications' routes (the fake Twilio, the webhooks) are listed with their prefix.
    return [(m, p, h) for (m, p), h in sorted(found.items())]


def _pick(*key: str) -> list[str]:
    start = zlib.crc32(" ".join(key).encode())
    return [HOSTILE[(start + 7 * i) % len(HOSTILE)] for i in range(PER_PARAMETER)]


def _url(path: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match[1]
        return quote(values.get(name, SAMPLE.get(name, "1")), safe="")

    return re.sub(r"\{(\w+)\}", one, path)


def _who(access: Access, method: str, path: str) -> list[str]:
    if (method, path) == ("POST", "/logout"):
        return ["anonymous"]  # with a session's token it would end the session
    if access == FAKE_REST:
        return ["fake-rest"]
    if isinstance(access, frozenset):
        return sorted(role for role in access if role in ("admin", "coordinator", "manager",
                                                          "worker"))  # fmt: skip
    return ["anonymous"]


def cases() -> Iterator[Case]:
    for method, path, handler in _routes():
        access = ACCESS.get((method, path), "public")
        roles = _who(access, method, path)
        query_names, form_names = _names(handler)
        path_names = re.findall(r"\{(\w+)\}", path)
        role = itertools.cycle(roles).__next__  # each case as the next role the route admits

        for name in path_names:
            for value in _pick(method, path, "path", name):
                yield Case(method, path, _url(path, {name: value}), role())
        if method == "GET":
            for name in sorted(query_names | set(COMMON_QUERY)):
                for value in _pick(method, path, "query", name):
                    yield Case(method, path, _url(path, {}), role(), query={name: value})
            continue
        for name in sorted(form_names):
            for value in _pick(method, path, "form", name):
                yield Case(method, path, _url(path, {}), role(), form={name: value})
        url = _url(path, {})
        plant = PLANT.encode()
        yield Case(method, path, url, role(), body=b"\xff\xfe\xfd" + plant + b"=\xff\x00",
                   content_type="application/x-www-form-urlencoded")  # fmt: skip
        yield Case(method, path, url, role(), body=b"username=" + plant + b"%FF%FE",
                   content_type="application/x-www-form-urlencoded")  # fmt: skip
        yield Case(method, path, url, role(), body=b"a=" + plant,
                   content_type="application/x-www-form-urlencoded; charset=utf-77")  # fmt: skip
        yield Case(method, path, url, role(), body=b"--x\r\n" + plant + b"\r\n--x--\r\n",
                   content_type="multipart/form-data")  # fmt: skip


@pytest.fixture(scope="module")
def captured_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging(log_format="json", level="debug", stream=stream)
    client = logging.getLogger("urllib3")  # this test's own HTTP client, not the service
    client_level = client.level
    client.setLevel(logging.WARNING)
    yield stream
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)
    client.setLevel(client_level)


def _send(base: str, case: Case, sessions: dict[str, tuple[requests.Session, str]]) -> int:
    http, csrf = sessions[case.who]
    headers: dict[str, str] = {}
    if case.method != "GET" and csrf:
        headers[CSRF_HEADER] = csrf
    data: dict[str, str] | bytes | None = case.body
    if case.form is not None:
        data = {**({CSRF_FIELD: csrf} if csrf else {}), **case.form}
    if case.content_type:
        headers["Content-Type"] = case.content_type
    answer = http.request(
        case.method, base + case.url, params=case.query or None, data=data, headers=headers,
        allow_redirects=False, timeout=60,
    )  # fmt: skip
    return answer.status_code


def test_no_route_answers_hostile_input_with_a_5xx_or_logs_it(
    module_db_url: str, captured_log: io.StringIO
) -> None:
    asyncio.run(seed(module_db_url))
    all_cases = list(cases())
    assert len({(c.method, c.path) for c in all_cases}) >= 80, "the router's routes are fuzzed"
    with running_service(module_db_url) as settings:
        base = settings.public_url
        sessions: dict[str, tuple[requests.Session, str]] = {
            "anonymous": (requests.Session(), ""),
        }
        fake = requests.Session()
        fake.auth = (FAKE_ACCOUNT_SID, FAKE_AUTH_TOKEN)
        sessions["fake-rest"] = (fake, "")
        for role in ("admin", "coordinator", "manager", "worker"):
            sessions[role] = browser_session(base, role)
        failures = []
        for case in all_cases:
            status = _send(base, case, sessions)
            if status >= 500:
                shown = {k: v[:30] for k, v in {**case.query, **(case.form or {})}.items()}
                failures.append(f"{status} {case.method} {case.url[:80]} {shown} as {case.who}")
        for http, _ in sessions.values():
            http.close()
    assert not failures, f"{len(failures)} of {len(all_cases)}:\n" + "\n".join(failures[:60])
    log = captured_log.getvalue()
    leaked = [line[:300] for line in log.splitlines() if PLANT in line or "07797 123456" in line]
    assert not leaked, "\n".join(leaked[:20])
