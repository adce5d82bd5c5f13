"""Rota screens over HTTP: generate with progress, read, edit with the rules checked, publish,
repair with the moves shown, history, differences and exports (real solver)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from oncall.db.models import OutboundMessage, RotaVersion
from tests.ui.conftest import Client, Site, csrf, landed

pytestmark = pytest.mark.slow


async def _wait_for_job(client: Client, location: str) -> dict[str, object]:
    assert location.startswith("/rota/jobs/")
    page = await client.get(location)
    assert page.status == 200 and 'role="status"' in await page.text()
    # The solver stops at a proven optimum (a second or two); the limit and this wait are far
    # above it only so that a loaded CI machine cannot cut the search short.
    deadline = asyncio.get_running_loop().time() + 400
    while asyncio.get_running_loop().time() < deadline:
        status = await (await client.get(location + ".json")).json()
        if status["state"] != "running":
            return dict(status)
        await asyncio.sleep(0.1)
    raise AssertionError("the job did not finish")


async def _generate(client: Client, token: str, month: str = "2027-01") -> str:
    response = await client.post(
        f"/rota/{month}/generate",
        data={"csrf_token": token, "time_limit": "120"},
        allow_redirects=False,
    )
    assert response.status == 303
    status = await _wait_for_job(client, response.headers["Location"])
    assert status["state"] == "done", status["message"]
    return str(status["result_url"])


async def test_a_coordinator_generates_edits_publishes_and_repairs_a_month(site: Site) -> None:
    client = await site.client("coordinator")
    token = await csrf(client)
    empty = await client.get("/rota/2027-01")
    assert "No rota has been generated" in await empty.text()

    url = await _generate(client, token)
    assert url == "/rota/2027-01/v/1"
    html = await (await client.get(url)).text()
    assert "First tier" in html and "Senior managers" in html
    assert '<svg class="chart" role="img"' in html  # the fairness chart
    assert "Broken requests" in html
    assert 'id="publish"' in html

    # Replace someone on a shift: the candidates are listed with what each would break.
    link = re.search(r'href="(/rota/2027-01/v/1/shift/([\w-]+)\?out=(\w+))"', html)
    assert link, "no replace link on the calendar"
    shift_page = await (await client.get(link[1])).text()
    choices = re.findall(r'id="into-(\w+)" value="\w+"', shift_page)
    assert choices
    checked = await client.post(
        f"/rota/2027-01/v/1/shift/{link[2]}/check",
        data={"csrf_token": token, "out": link[3], "into": choices[-1]},
    )
    check_html = await checked.text()
    assert 'id="check-result"' in check_html
    breaks = "breaks" in check_html and "I accept these breaks" in check_html
    # Without accepting, a breaking change is refused; with it, it is saved as a new draft.
    saved = await client.post(
        f"/rota/2027-01/v/1/shift/{link[2]}/save",
        data={"csrf_token": token, "out": link[3], "into": choices[-1]},
        allow_redirects=False,
    )
    assert saved.status == 303
    if breaks:
        assert "rules" in await landed(client, saved)
        saved = await client.post(
            f"/rota/2027-01/v/1/shift/{link[2]}/save",
            data={"csrf_token": token, "out": link[3], "into": choices[-1], "accept_breaks": "1"},
            allow_redirects=False,
        )
    assert saved.headers["Location"].startswith("/rota/2027-01/v/2")
    v2 = await (await client.get("/rota/2027-01/v/2")).text()
    assert "Changes from version 1" in v2 and f"{link[3]}" in v2

    # Publish the hand-edited version: staff are told through the outbox.
    published = await client.post(
        "/rota/2027-01/v/2/publish", data={"csrf_token": token}, allow_redirects=False
    )
    assert "published" in await landed(client, published)
    async with site.database.sessions() as session:
        queued = await session.scalar(select(func.count()).select_from(OutboundMessage))
        statuses = dict(
            (await session.execute(select(RotaVersion.number, RotaVersion.status))).all()
        )
    assert queued and queued > 10
    assert statuses == {1: "draft", 2: "published"}

    # Repair after sickness: a background job, then the moves are highlighted.
    v2 = await (await client.get("/rota/2027-01/v/2")).text()
    person = re.search(r'<option value="(sw\d+)">', v2)
    assert person
    repaired = await client.post(
        "/rota/2027-01/repair",
        data={
            "csrf_token": token, "person": person[1], "start": "2027-01-11",
            "end": "2027-01-17", "reason": "sickness", "time_limit": "120",
        },
        allow_redirects=False,
    )  # fmt: skip
    status = await _wait_for_job(client, repaired.headers["Location"])
    assert status["state"] == "done", status["message"]
    v3 = await (await client.get(str(status["result_url"]))).text()
    assert "Changes from version 2" in v3 and 'class="moved"' in v3

    diff = await (await client.get("/rota/2027-01/diff?a=2&b=3")).text()
    assert "version 2 against version 3" in diff

    csv = await client.get("/rota/2027-01/v/2/export.csv")
    assert csv.status == 200 and csv.content_type == "text/csv"
    ics = await client.get("/rota/2027-01/v/2/export.ics")
    assert "BEGIN:VCALENDAR" in await ics.text()
    printed = await (await client.get("/rota/2027-01/v/2/print")).text()
    assert "Out-of-hours rota, January 2027" in printed

    # Once a shift has started it is history: editing it is refused with the reason.
    await site.clock.set(datetime(2027, 1, 2, 12, 0, tzinfo=UTC))
    started = await client.get("/rota/2027-01/v/3/shift/2027-01-01-w?out=x", allow_redirects=False)
    assert "has already started" in await landed(client, started)


async def test_forms_without_the_csrf_token_are_refused(site: Site) -> None:
    client = await site.client("coordinator")
    response = await client.post("/rota/2027-01/generate", data={"time_limit": "120"})
    assert response.status == 403


async def test_workers_cannot_open_the_rota_desk(site: Site) -> None:
    client = await site.client("worker")
    assert (await client.get("/rota")).status == 403
    manager = await site.client("manager")
    assert (await manager.get("/rota")).status == 200


async def test_refusals_and_missing_pages_are_pages_with_the_menu(site: Site) -> None:
    client = await site.client("worker")
    html = {"Accept": "text/html"}
    refused = await client.get("/rota", headers=html)
    text = await refused.text()
    assert refused.status == 403 and "<h1>Not allowed</h1>" in text and 'href="/my"' in text
    missing = await client.get("/no/such/page", headers=html)
    assert missing.status == 404 and "<h1>Not found</h1>" in await missing.text()
    api = await client.get("/api/v1/no-such", headers=html)
    assert api.status == 404 and "<h1>" not in await api.text()
