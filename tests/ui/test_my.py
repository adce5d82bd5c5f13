"""My shifts: a worker's upcoming shifts, a swap request approved by the coordinator after the
rules check, a leave request, and the private calendar feed (works without a session, revocable)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from oncall.db.models import CalendarToken, RotaVersion, Unavailability
from oncall.domain.rota import generate, publish
from tests.support import JERSEY
from tests.ui.conftest import DECEMBER, Site, csrf, landed

pytestmark = pytest.mark.slow


async def _publish_january(site: Site) -> None:
    async with site.database.sessions() as session:
        version = await generate(
            session, "2027-01", zone=JERSEY, now=DECEMBER, by="test", time_limit_s=60
        )
        assert version.solver_status in ("optimal", "feasible")
        await publish(session, "2027-01", version.number, now=DECEMBER, by="test")
        await session.commit()


async def test_a_worker_subscribes_to_their_calendar_and_can_revoke_it(site: Site) -> None:
    await _publish_january(site)
    client = await site.client("worker")
    token = await csrf(client, "/my")
    page = await (await client.get("/my")).text()
    assert 'id="my-shifts"' in page
    made = await client.post("/my/calendar", data={"csrf_token": token})
    html = await made.text()
    link = re.search(r'id="feed-link" class="feed" value="([^"]+)"', html)
    assert link, "the new link is shown once"
    path = link[1].split("://", 1)[1].split("/", 1)[1]
    assert path.startswith("calendar.ics?token=")  # the secret stays out of the logged path
    async with site.database.sessions() as session:
        stored = (await session.scalars(select(CalendarToken))).all()
    secret = path.split("token=", 1)[1]
    assert len(stored) == 1 and secret not in stored[0].token_hash  # only the hash is kept

    anonymous = await site.client()  # calendar apps have no session
    feed = await anonymous.get("/" + path)
    body = await feed.text()
    assert feed.status == 200 and feed.content_type == "text/calendar"
    assert body.startswith("BEGIN:VCALENDAR") and "@oncall.rota" in body and "BEGIN:VEVENT" in body
    calendar = Calendar.from_ical(body)  # as a calendar app reads it
    events = calendar.walk("VEVENT")
    assert events and "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n" in body
    for event in events:
        assert str(event["SUMMARY"]) in ("On call, first tier", "On call, senior manager")
        assert str(event["UID"]).endswith("@oncall.rota") and event["STATUS"] == "CONFIRMED"
        assert event.decoded("DTSTART").utcoffset() == timedelta(0)  # in UTC
        assert str(event["DESCRIPTION"]).startswith(f"Shift {str(event['UID']).split('.')[0]}: ")

    client = await site.client("worker")
    token = await csrf(client, "/my")
    await client.post("/my/calendar/revoke", data={"csrf_token": token})
    gone = await (await site.client()).get("/" + path)
    assert gone.status == 404


async def test_a_swap_request_is_checked_and_approved_by_the_coordinator(site: Site) -> None:
    await _publish_january(site)
    worker = await site.client("worker")
    token = await csrf(worker, "/my")
    page = await (await worker.get("/my")).text()
    shift = re.search(r'name="shift" value="([\w-]+)"', page)
    month = re.search(r'name="month" value="([\d-]+)"', page)
    colleague = re.search(r'<option value="(sw\d+)">', page)
    assert shift and month and colleague
    sent = await worker.post(
        "/my/swaps",
        data={"csrf_token": token, "month": month[1], "shift": shift[1], "colleague": colleague[1]},
        allow_redirects=False,
    )
    assert "Swap request sent" in await landed(worker, sent)
    leave = await worker.post(
        "/my/leave",
        data={"csrf_token": token, "start": "2027-02-01", "end": "2027-02-03",
              "reason": "annual_leave"},
        allow_redirects=False,
    )  # fmt: skip
    assert "Leave request sent" in await landed(worker, leave)

    coordinator = await site.client("coordinator")
    token = await csrf(coordinator, "/requests")
    desk = await (await coordinator.get("/requests")).text()
    assert f"to take {shift[1]}" in desk
    assert "keeps every hard rule" in desk or "The swap breaks" in desk
    swap_id = re.search(r'action="/requests/swaps/(\d+)"', desk)
    leave_id = re.search(r'action="/requests/leave/(\d+)"', desk)
    assert swap_id and leave_id
    decided = await coordinator.post(
        f"/requests/swaps/{swap_id[1]}",
        data={"csrf_token": token, "decision": "approve", "accept_breaks": "1"},
        allow_redirects=False,
    )
    assert "Swap approved" in await landed(coordinator, decided)
    await coordinator.post(
        f"/requests/leave/{leave_id[1]}", data={"csrf_token": token, "decision": "approve"}
    )
    async with site.database.sessions() as session:
        published = await session.scalar(
            select(RotaVersion).where(RotaVersion.status == "published")
        )
        leave_rows = (
            await session.scalars(
                select(Unavailability).where(Unavailability.note.like("leave request #%"))
            )
        ).all()
    assert published is not None and published.number == 2 and "swap #" in published.reason
    assert len(leave_rows) == 1

    worker = await site.client("worker")
    mine = await (await worker.get("/my")).text()
    assert "approved" in mine
    assert (await worker.get("/requests")).status == 403


async def test_a_worker_sees_only_their_own_shifts(site: Site) -> None:
    await _publish_january(site)
    worker = await site.client("worker")
    page = await (await worker.get("/my")).text()
    # Every row is one of theirs: the rota desk and other people's pages stay closed.
    assert (await worker.get("/rota/2027-01")).status == 403
    assert (await worker.get("/staff/sw002")).status == 403
    assert "Make my link" in page
