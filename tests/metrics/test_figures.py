"""/metrics reports what happened: calls, alerts, escalation, texts, lag, rota runs, duty.

A night driven through the fake Twilio on a manual clock, on SQLite and PostgreSQL; every
figure is read back through prometheus_client's parser and compared with what was done.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from integrations.fake_twilio import PhoneBehaviour
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.db.models import Contact
from oncall.domain.rota import Month, period_for, store_version
from tests.e2e.conftest import FRIDAY_NIGHT, ServerFactory, Service
from tests.e2e.test_calls import HOSPITAL_SWITCHBOARD, POLICE_CONTROL_ROOM
from tests.e2e.test_escalation_support import escalation_service, tick
from tests.metrics.scrape import scrape
from tests.support import JERSEY

CACHE_S = 10  # the endpoint reads the database again once its figures are this old


async def _call(service: Service, line: str, from_: str) -> str:
    trace = await service.fake.place_inbound_call(from_=from_, to=service.lines[line])
    await service.fake.settle()
    assert trace.errors == []
    return trace.call_sid


async def _store_runs(service: Service) -> None:
    """Two generated months, one repair and one edit by hand, as the rota code stores them."""
    runs = [
        ("generated", "optimal", 1.5),
        ("generated", "feasible", 45.0),
        (
            "repair: sw002 unavailable Fri 08 Jan 17:00 to Sat 09 Jan 09:00 (sickness)",
            "optimal",
            0.3,
        ),
        ("edit: s1 sw002 → sw004", "optimal", None),  # no solver run
    ]
    async with service.database.sessions() as session:
        period = await period_for(session, Month.parse("2027-02"), JERSEY, service.clock.now())
        for reason, status, wall in runs:
            stats = None if wall is None else {"wall_time_s": wall, "stages": []}
            solution: dict[str, Any] = {"status": status, "assignments": [], "stats": stats}
            await store_version(
                session, period, {"shifts": []}, solution,
                now=service.clock.now(), by="test", reason=reason,
            )  # fmt: skip
        await session.commit()


async def test_a_night_of_calls_and_escalation_is_counted(
    aiohttp_server: ServerFactory, database: Database
) -> None:
    service = await escalation_service(aiohttp_server, database, ManualClock(FRIDAY_NIGHT))
    base = service.settings.public_url
    service.fake.phones.set(service.phones["sw002"], PhoneBehaviour.ACCEPT)
    await _call(service, "police", POLICE_CONTROL_ROOM)
    await _call(service, "police", POLICE_CONTROL_ROOM)
    await _call(service, "hospital", HOSPITAL_SWITCHBOARD)
    await tick(service)  # sends what the answered calls queued (the workers' outcome links)
    service.fake.phones.set(service.phones["sw002"], PhoneBehaviour.NO_ANSWER)
    service.fake.faults.undeliverable(service.phones["sw002"])  # its alert text will fail
    await _call(service, "police", POLICE_CONTROL_ROOM)  # nobody presses 1: missed
    await _store_runs(service)
    await service.clock.advance(30)

    first = await scrape(base)
    assert first.value("oncall_database_up") == 1
    calls = first.values("oncall_calls_total")
    answered_police = calls[frozenset({("line", "police"), ("result", "answered")})]
    assert answered_police == 2
    assert first.value("oncall_calls_total", line="police", result="missed") == 1
    assert first.value("oncall_calls_total", line="police", result="forwarded") == 0
    assert first.value("oncall_calls_total", line="hospital", result="answered") == 1
    assert first.value("oncall_calls_total", line="foster", result="answered") == 0
    assert first.value("oncall_calls_in_progress", line="police") == 0
    # The manual clock stood still while the phones rang: every answer within the first bucket.
    assert first.value("oncall_call_answer_seconds_count", line="police") == 2
    assert first.value("oncall_call_answer_seconds_bucket", line="police", le="5.0") == 2
    assert first.value("oncall_alerts", kind="missed_call", status="open") == 1
    assert first.value("oncall_alerts_raised_total") == 1
    assert first.value("oncall_escalation_steps_total") == 0
    assert first.value("oncall_sms_sent_total") == len(_texts_sent(service))
    assert first.value("oncall_sms_failed_total") == 0
    # The missed call's first step fell due when it was missed, 30 s ago; no scheduler ran.
    assert first.value("oncall_escalation_due_alerts") == 1
    assert first.value("oncall_escalation_lag_seconds") == 30
    assert first.value("oncall_alert_oldest_open_seconds") == 30
    # Friday night: sw002 and sw004 on the first tier, sm002 the senior manager.
    for at in ("now", "tonight"):
        assert first.value("oncall_on_duty_people", tier="worker", at=at) == 2
        assert first.value("oncall_on_duty_people", tier="manager", at=at) == 1
    assert first.value("oncall_out_of_hours") == 1
    assert first.value("oncall_rota_solver_runs_total", kind="generate", status="optimal") == 1
    assert first.value("oncall_rota_solver_runs_total", kind="generate", status="feasible") == 1
    assert first.value("oncall_rota_solver_runs_total", kind="repair", status="optimal") == 1
    assert first.value("oncall_rota_solver_duration_seconds_count", kind="generate") == 2
    assert first.value("oncall_rota_solver_duration_seconds_sum", kind="generate") == 46.5
    assert first.value("oncall_rota_solver_duration_seconds_bucket", kind="generate", le="2.0") == 1
    assert first.value("oncall_rota_solver_duration_seconds_bucket", kind="repair", le="0.5") == 1

    await tick(service)  # one scheduler pass and one sender pass: the first step's texts
    await service.clock.advance(CACHE_S)
    second = await scrape(base)
    assert second.value("oncall_escalation_steps_total") == 1
    # The undelivered text moved the alert on at once: its next step is due, CACHE_S late.
    assert second.value("oncall_escalation_due_alerts") == 1
    assert second.value("oncall_escalation_lag_seconds") == CACHE_S
    sent_to_sw002 = [
        m for m in service.fake.outbound_messages(to=service.phones["sw002"])
        if m.direction == "outbound-api"
    ]  # fmt: skip
    # Only the alert text failed (texts sent before the fault, if any, were delivered).
    assert all(m.status == "delivered" for m in sent_to_sw002[:-1])
    assert sent_to_sw002[-1].status == "undelivered"
    assert second.value("oncall_sms_sent_total") == len(_texts_sent(service))
    assert second.value("oncall_sms_sent_total") > first.value("oncall_sms_sent_total")
    assert second.value("oncall_sms_failed_total") == 1
    assert second.value("oncall_outbound_messages", channel="sms", status="undelivered") == 1

    ref = await _short_ref_of_missed_call(service)
    await service.clock.advance(120)  # acknowledged 160 s after the alert was raised
    replies = await service.fake.send_inbound_sms(
        from_=service.phones["sw004"], to=service.lines["police"], body=f"ACK {ref}"
    )
    assert replies and "acknowledged" in replies[0].body
    await service.clock.advance(CACHE_S)
    third = await scrape(base)
    assert third.value("oncall_alerts", kind="missed_call", status="open") == 0
    assert third.value("oncall_alerts", kind="missed_call", status="acknowledged") == 1
    assert third.value("oncall_alert_acknowledge_seconds_count") == 1
    assert third.value("oncall_alert_acknowledge_seconds_sum") == 160
    assert third.value("oncall_alert_acknowledge_seconds_bucket", le="120.0") == 0
    assert third.value("oncall_alert_acknowledge_seconds_bucket", le="300.0") == 1
    assert third.value("oncall_alert_oldest_open_seconds") == 0
    # A staff member's reply is a command, not a contact: no text counted on the line.
    assert third.value("oncall_texts_received_total", line="police") == 0


def _texts_sent(service: Service) -> list[str]:
    return [m.sid for m in service.fake.outbound_messages() if m.direction == "outbound-api"]


async def _short_ref_of_missed_call(service: Service) -> str:
    async with service.database.sessions() as session:
        ref = await session.scalar(select(Contact.short_ref).where(Contact.status == "missed"))
    assert ref is not None
    return ref


async def test_figures_are_cached_for_a_few_seconds_of_clock_time(
    aiohttp_server: ServerFactory, database: Database
) -> None:
    """A storm of scrapes reads the database once per CACHE_S; the next read sees new rows."""
    service = await escalation_service(aiohttp_server, database, ManualClock(FRIDAY_NIGHT))
    base = service.settings.public_url
    before = await scrape(base)
    await _call(service, "police", POLICE_CONTROL_ROOM)  # everyone: no answer (missed)
    cached = await scrape(base)
    assert cached.value("oncall_calls_total", line="police", result="missed") == 0
    assert cached.value("oncall_metrics_read_seconds") == before.value(
        "oncall_metrics_read_seconds"
    )
    await service.clock.advance(CACHE_S)
    fresh = await scrape(base)
    assert fresh.value("oncall_calls_total", line="police", result="missed") == 1
