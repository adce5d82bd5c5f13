"""Staff screens: people with validated phones, leave, requests, templates, and the leave import
(all rows or none, with a per-row report)."""

from __future__ import annotations

from aiohttp import FormData
from sqlalchemy import func, select

from oncall.db.models import Person, Unavailability
from tests.ui.conftest import Site, csrf, landed


async def _leave_rows(site: Site) -> int:
    async with site.database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Unavailability)) or 0)


async def test_adding_a_person_normalises_the_phone_and_names_bad_fields(site: Site) -> None:
    client = await site.client("coordinator")
    token = await csrf(client)
    form = {
        "csrf_token": token, "code": "sw099", "name": "", "tier": "worker", "job_title": "SW",
        "phone": "12", "email": "nope", "fte": "1.5", "skills": "fostering", "active": "1",
    }  # fmt: skip
    bad = await client.post("/staff/new", data=form)
    html = await bad.text()
    assert bad.status == 400
    assert "Nothing was saved" in html
    for message in ("Name: give the person", "Mobile phone: not a", "E-mail: not an e-mail",
                    "FTE: between 0 and 1"):  # fmt: skip
        assert message in html, message
    assert 'aria-invalid="true"' in html
    good = await client.post(
        "/staff/new",
        data={**form, "name": "Test Person", "phone": "07797 123457", "email": "", "fte": "0.5"},
        allow_redirects=False,
    )
    assert good.status == 303 and good.headers["Location"].startswith("/staff/sw099")
    async with site.database.sessions() as session:
        person = await session.scalar(select(Person).where(Person.code == "sw099"))
    assert person is not None and person.phone == "+447797123457" and person.fte == 0.5
    page = await (await client.get("/staff/sw099")).text()
    assert "Test Person" in page and "Leave and unavailability" in page


async def test_a_leave_spreadsheet_with_one_bad_row_imports_nothing(site: Site) -> None:
    client = await site.client("coordinator")
    token = await csrf(client, "/staff")
    before = await _leave_rows(site)
    bad = (
        "Code,Start,End,Reason,Note\n"
        "sw001,2027-02-01,2027-02-05,annual leave,ski\n"
        "sw999,2027-02-01,2027-02-02,annual leave,\n"
        "sw002,12/02/2027,10/02/2027,holiday,\n"
    )
    form = FormData()
    form.add_field("csrf_token", token)
    form.add_field("file", bad.encode(), filename="leave.csv", content_type="text/csv")
    response = await client.post("/staff/leave-import", data=form)
    html = await response.text()
    assert response.status == 400
    assert "Nothing was imported" in html
    assert "nobody has the code &#39;sw999&#39;" in html
    assert "must be after the start" in html and "is not one of" in html
    assert "<td>3</td>" in html and "<td>4</td>" in html  # the spreadsheet's line numbers
    assert await _leave_rows(site) == before

    good = [*bad.splitlines()[0:2], "sw002,12/02/2027,14/02/2027,sickness,"]
    form = FormData()
    form.add_field("csrf_token", token)
    form.add_field("file", "\n".join(good).encode(), filename="leave.csv")
    response = await client.post("/staff/leave-import", data=form)
    assert response.status == 200
    assert "Imported 2 periods of leave" in await response.text()
    assert await _leave_rows(site) == before + 2


async def test_leave_requests_and_templates_are_edited_on_their_pages(site: Site) -> None:
    client = await site.client("coordinator")
    token = await csrf(client, "/staff")
    before = await _leave_rows(site)
    added = await client.post(
        "/staff/sw003/leave",
        data={"csrf_token": token, "start": "2027-03-01", "end": "2027-03-02",
              "reason": "training", "note": "course"},
        allow_redirects=False,
    )  # fmt: skip
    assert "Recorded" in await landed(client, added)
    assert await _leave_rows(site) == before + 1
    wish = await client.post(
        "/staff/sw003/requests",
        data={"csrf_token": token, "kind": "avoid", "start": "2027-03-10", "end": "2027-03-10",
              "weight": "2"},
        allow_redirects=False,
    )  # fmt: skip
    assert "Request recorded" in await landed(client, wish)
    templates = await (await client.get("/staff/templates")).text()
    assert "Weeknight" in templates
    saved = await client.post(
        "/staff/templates/1",
        data={"csrf_token": token, "start_time": "17:30", "end_time": "09:00", "weight": "x",
              "required": "1", "active": "1"},
        allow_redirects=False,
    )  # fmt: skip
    where = await landed(client, saved)
    assert "Not saved" in where and "weight" in where


async def test_workers_and_managers_cannot_open_staff_pages(site: Site) -> None:
    for user in ("worker", "manager"):
        client = await site.client(user)
        assert (await client.get("/staff")).status == 403
        assert (await client.get("/requests")).status == 403


async def test_an_excel_spreadsheet_with_semicolons_imports_whole_days(site: Site) -> None:
    client = await site.client("coordinator")
    token = await csrf(client, "/staff")
    sheet = "Staff code;First day;Last day;Type\r\nsw004;01/03/2027;03/03/2027;Sick\r\n;;;\r\n"
    form = FormData()
    form.add_field("csrf_token", token)
    form.add_field("file", sheet.encode("cp1252"), filename="leave.csv")
    response = await client.post("/staff/leave-import", data=form)
    html = await response.text()
    assert response.status == 200, html
    assert "Imported 1 period of leave" in html
    assert "Wed 3 Mar 2027 (end of day)" in html  # the last day is included
    person = await (await client.get("/staff/sw004")).text()
    assert "Mon 1 Mar 2027 00:00" in person and "sickness" in person


async def test_a_calendar_link_that_does_not_exist_is_not_found(site: Site) -> None:
    client = await site.client()
    assert (await client.get("/calendar.ics?token=made-up")).status == 404
    assert (await client.get("/calendar.ics")).status == 404
