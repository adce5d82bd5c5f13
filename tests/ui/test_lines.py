"""Lines and callers: edit a line, add callers and households with validated numbers, edit an
escalation policy; managers read only."""

from __future__ import annotations

from sqlalchemy import select

from oncall.db.models import CallerNumber, FosterHousehold, Line
from tests.ui.conftest import Site, csrf, landed


async def test_a_coordinator_edits_lines_callers_households_and_policies(site: Site) -> None:
    client = await site.client("coordinator")
    token = await csrf(client, "/lines")
    page = await (await client.get("/lines")).text()
    assert "Known callers" in page and "Foster carer households" in page
    async with site.database.sessions() as session:
        line = await session.scalar(select(Line).order_by(Line.id).limit(1))
    assert line is not None
    bad = await client.post(
        f"/lines/{line.id}",
        data={"csrf_token": token, "name": line.name, "number": "123", "greeting": "",
              "routing_policy": "default", "active": "1"},
        allow_redirects=False,
    )  # fmt: skip
    where = await landed(client, bad)
    assert "Line not saved" in where and "number:" in where and "greeting:" in where
    good = await client.post(
        f"/lines/{line.id}",
        data={"csrf_token": token, "name": line.name, "number": line.twilio_number,
              "greeting": "Children's services out of hours.", "routing_policy": "foster",
              "active": "1"},
        allow_redirects=False,
    )  # fmt: skip
    assert "saved" in await landed(client, good)

    added = await client.post(
        "/lines/households",
        data={"csrf_token": token, "reference": "fc-901", "carer_names": "A and B Test",
              "number": "07797 555123", "label": "home"},
        allow_redirects=False,
    )  # fmt: skip
    assert "FC-901 added" in await landed(client, added)
    again = await client.post(
        "/lines/callers",
        data={"csrf_token": token, "agency": "police", "name": "Test desk",
              "number": "07797555123"},
        allow_redirects=False,
    )  # fmt: skip
    assert "already registered" in await landed(client, again)
    async with site.database.sessions() as session:
        household = await session.scalar(
            select(FosterHousehold).where(FosterHousehold.reference == "FC-901")
        )
        assert household is not None
        number = await session.scalar(
            select(CallerNumber.number).where(CallerNumber.household_id == household.id)
        )
    assert number == "+447797555123"

    policy = await client.post(
        "/lines/policies/save",
        data={"csrf_token": token, "kind": "missed_call", "line_id": "",
              "steps": "duty_worker | sms, voice | 5\nsenior_manager | sms | 10", "repeat": "2"},
        allow_redirects=False,
    )  # fmt: skip
    assert "Escalation policy saved" in await landed(client, policy)
    page = await (await client.get("/lines")).text()
    assert "duty_worker by sms and voice, then wait 5 min" in page
    broken = await client.post(
        "/lines/policies/save",
        data={"csrf_token": token, "kind": "missed_call", "line_id": "",
              "steps": "nobody | pigeon | 5", "repeat": "1"},
        allow_redirects=False,
    )  # fmt: skip
    assert "Policy not saved" in await landed(client, broken)


async def test_managers_read_lines_but_cannot_change_them(site: Site) -> None:
    client = await site.client("manager")
    page = await client.get("/lines")
    assert page.status == 200 and "You can read these settings" in await page.text()
    token = await csrf(client, "/lines")
    refused = await client.post(
        "/lines/callers", data={"csrf_token": token, "agency": "police", "name": "x"}
    )
    assert refused.status == 403
    worker = await site.client("worker")
    assert (await worker.get("/lines")).status == 403
