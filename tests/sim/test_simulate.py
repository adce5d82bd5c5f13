"""`oncall simulate`: a short run with faults holds every invariant; broken ones make it fail.

The simulator drives the real service over HTTP (the fake Twilio plays the phones), so these
runs are the slowest tests of the suite on purpose. They are kept as short as what they prove
allows: every fault kind strikes every night of the faulted run (fault rate 1), so three nights
on SQLite and two on PostgreSQL (two replicas) meet each kind more than once; the other runs are
a night each, the chain's with little traffic.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import structlog
from sqlalchemy import select, text

from oncall.cli import main
from oncall.db.engine import Database
from oncall.db.models import Contact
from oncall.log import configure_logging
from oncall.sim import SimConfig, simulate
from oncall.sim import service as sim_service
from oncall.sim.model import PhoneOdds, TrafficRates
from oncall.sim.report import markdown, summary
from oncall.web import background

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def quiet_service() -> Iterator[None]:
    """The service logs every fault it meets, with its traceback: thousands of lines a night
    (the unconfigured test logging renders each traceback with every frame's locals, seconds a
    night). As `oncall simulate` does, only what is worse than an error is written; the report
    and the failures say what happened. The test session's logging is put back after."""
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging(level="critical")
    yield
    structlog.configure(**saved)
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_nights_with_faults_hold_every_invariant(db_url: str) -> None:
    # PostgreSQL runs two replicas (webhooks spread across them, passes run by either, one
    # killed mid-pass and started afresh); SQLite serves one process. Every fault kind is
    # planned every night (rate 1): what more nights would add is more of the same strikes.
    replicas, nights = (1, 3) if db_url.startswith("sqlite") else (2, 2)
    # Half the phones accept and carers text more (each text is an alert): so that in so few
    # nights the faults meet escalation texts and alert calls, not only calls answered at once.
    config = SimConfig(
        seed=7, nights=nights, fault_rate=1.0, replicas=replicas,
        phones=PhoneOdds(accept=0.5), rates=TrafficRates(carer_texts=3.0),
    )  # fmt: skip
    result = await simulate(config, db_url)
    figures = summary(result)
    assert figures["failures"] == []
    assert figures["nights"] == nights and figures["contacts"] >= 3 * nights
    assert figures["reached"] == figures["contacts"] and figures["unreached"] == 0
    assert figures["duplicate_messages"] == 0 and figures["lost_steps"] == 0
    assert figures["chain_ok"] and figures["kpi_ok"]
    # The run was not a quiet one: people missed calls, alerts escalated, faults struck.
    assert figures["answered_directly"] < figures["contacts"]
    assert figures["messages_sent"] > 5 and figures["alert_calls"] > 0
    struck = {kind for kind, group in figures["per_fault"].items() if group["nights_struck"]}
    everywhere = {"rest-5xx", "rest-429", "rest-timeout", "rest-lost-response",
                  "lost-callbacks", "sender-crash", "db-hang"}  # fmt: skip
    assert everywhere <= struck, struck
    # PostgreSQL only: connections refused, replicas killed and restarted.
    postgres_only = {"db-refuse", "replica-restart"}
    assert struck & postgres_only == (postgres_only if replicas == 2 else set()), struck
    assert figures["replicas"] == replicas
    assert (figures["replica_restarts"] > 0) is (replicas == 2)
    # Contacts met the database faults, and the fail-safe and the recovery kept them.
    assert figures["per_fault"]["db-hang"]["contacts"] > 0
    times = figures["time_to_human_s"]
    assert 0 < times["p50"] <= times["p90"] <= times["p99"] <= times["max"]
    assert "time to a human" in markdown(result)


async def test_a_call_takes_its_time_on_the_service_clock(db_url: str) -> None:
    # Each phone rings 10 s before it picks up or the ring-out; half of them ring out. The fake
    # plays a call without waiting, and its webhooks reach the service at their moments of the
    # call (oncall/sim/pace.py): a call answered after one or more rings is recorded answered
    # that many seconds after it arrived, and one that nobody took ended after its rings.
    # Before, the service's clock stood still during a call: every step at its arrival (0 s),
    # and a fail-safe call's 90 s call check counted after the call instead of beside it.
    phones = PhoneOdds(accept=0.5, no_answer=0.5, busy=0, voicemail=0, decline=0,
                       hang_up_whisper=0, failed=0, ring_s=(10, 10))  # fmt: skip
    calls = TrafficRates(police_calls=4, hospital_calls=0, carer_calls=0, carer_texts=0,
                         unverified_calls=0)  # fmt: skip
    config = SimConfig(seed=3, nights=1, fault_rate=0.0, phones=phones, rates=calls)
    result = await simulate(config, db_url)
    assert result.failures == []
    truth = {c.sid: c for c in result.nights[0].contacts}
    database = Database.connect(db_url)
    try:
        async with database.sessions() as session:
            rows = (await session.execute(
                select(Contact.provider_sid, Contact.received_at, Contact.answered_at,
                       Contact.ended_at)
                .where(Contact.provider_sid.in_(list(truth)))
            )).all()  # fmt: skip
    finally:
        await database.dispose()
    assert len(rows) == len(truth) >= 2

    def after(at: datetime, received: datetime) -> float:
        return (at - received).total_seconds()

    answered = [r for r in rows if truth[r[0] or ""].accepted_by is not None]
    assert answered, "no call answered directly: the seed no longer makes one"
    for sid, received, answered_at, ended in rows:
        contact = truth[sid or ""]
        assert ended is not None and after(ended, received) >= contact.duration_s - 1, sid
        if contact.accepted_by is not None:
            # Picked up after its rings (10 s each), before the whisper's end put it through.
            assert answered_at is not None
            assert 10 <= after(answered_at, received) <= (contact.accepted_after_s or 0), sid


async def test_calls_overlap_and_a_phone_on_one_is_busy_to_the_next(db_url: str) -> None:
    # A busy police line (40 calls a night) and phones that always accept and talk 5 minutes:
    # calls arrive while another is still going, and the person talking on one is busy to the
    # next, which the ring-round puts through to someone else. Before, each call was played to
    # its end before anything else happened: no two calls overlapped.
    phones = PhoneOdds(accept=1, no_answer=0, busy=0, voicemail=0, decline=0, hang_up_whisper=0,
                       failed=0)  # fmt: skip
    busy_line = TrafficRates(police_calls=40, hospital_calls=0, carer_calls=0, carer_texts=0,
                             unverified_calls=0)  # fmt: skip
    config = SimConfig(seed=2, nights=1, fault_rate=0.0, phones=phones, rates=busy_line)
    result = await simulate(config, db_url)
    assert result.failures == []
    assert summary(result)["overlapping_calls"] > 0
    contacts = sorted(result.nights[0].contacts, key=lambda c: c.at)
    pairs = 0
    for first in contacts:
        if first.accepted_by is None or first.accepted_after_s is None:
            continue
        talking_from = first.at + timedelta(seconds=first.accepted_after_s)
        talking_until = first.at + timedelta(seconds=first.duration_s)
        for later in contacts:
            if talking_from <= later.at < talking_until and later.accepted_by is not None:
                pairs += 1
                assert later.accepted_by != first.accepted_by, (first, later)
    assert pairs > 0, "no call arrived while another was being answered: change the seed"


async def test_a_tampered_chain_fails_the_next_night(db_url: str) -> None:
    # A quiet night is enough: the chain holds the demo's events already.
    quiet = TrafficRates(police_calls=1, hospital_calls=0, carer_calls=0, carer_texts=0,
                         unverified_calls=0)  # fmt: skip
    first = await simulate(SimConfig(seed=5, nights=1, fault_rate=0.0, rates=quiet), db_url)
    assert first.failures == []
    # An intruder rewrites one event between two runs (past the append-only triggers).
    database = Database.connect(db_url)
    try:
        async with database.engine.begin() as conn:
            if database.is_sqlite:
                await conn.execute(text("DROP TRIGGER IF EXISTS events_no_update"))
            else:
                await conn.execute(text("SET LOCAL session_replication_role = replica"))
            await conn.execute(text("UPDATE events SET actor = 'intruder' WHERE seq = 3"))
    finally:
        await database.dispose()
    later = SimConfig(seed=5, nights=1, fault_rate=0.0, rates=quiet, first_night=date(2027, 2, 8))
    failures = (await simulate(later, db_url)).failures
    assert any(f.startswith("night 1: the hash chain breaks at event 3") for f in failures)


def test_people_who_never_answer_fail_the_command_naming_night_and_contact(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Every phone rings out and every text is ignored: nobody can ever be reached, and
    # `oncall simulate` exits 1 naming each contact of the night (both databases). Every
    # answering behaviour is zero, hang_up_whisper too: when a webhook runs over its budget (a
    # loaded machine) the unscreened fail-safe ring puts such a phone, a person who picked up,
    # through to the caller, and the contact is reached (a CI run counted 7 of 8 unreached).
    config = tmp_path / "nobody.json"
    config.write_text(json.dumps({
        "phones": {"accept": 0, "no_answer": 1, "busy": 0, "voicemail": 0, "decline": 0,
                   "hang_up_whisper": 0, "failed": 0},
        "replies": {"ack": 0, "mgr": 0, "never": 1},
        # a quieter night than the default: each contact runs every escalation step
        "rates": {"police_calls": 1, "hospital_calls": 0.5, "carer_calls": 0.5,
                  "carer_texts": 0.5, "unverified_calls": 0},
    }))  # fmt: skip
    out = tmp_path / "figures.json"
    status = main(["simulate", "--nights", "1", "--seed", "2", "--fault-rate", "0",
                   "--database", db_url, "--config", str(config), "--json", str(out)])  # fmt: skip
    assert status == 1
    figures = json.loads(out.read_text())
    for key in ("nights", "contacts", "reached", "unreached", "time_to_human_s",
                "duplicate_messages", "lost_steps", "chain_ok", "per_fault"):  # fmt: skip
        assert key in figures
    assert figures["unreached"] == figures["contacts"] > 0
    unreached = [f for f in figures["failures"] if "nobody accepted it" in f]
    assert len(unreached) == figures["contacts"], figures["failures"]
    assert all(f.startswith("night 1: contact OOH-") for f in unreached)
    assert "invariant failed: night 1: contact OOH-" in capsys.readouterr().err


def test_the_command_refuses_bad_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "--fault-rate", "2"]) == 2
    assert main(["simulate", "--database", "mysql://x/y"]) == 2
    assert "--database: must be a sqlite:/// or postgresql:// URL" in capsys.readouterr().err
    assert main(["simulate", "--replicas", "2"]) == 2
    assert "--replicas" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    for document, named in [
        ({"phones": {"acept": 1}}, "phones.acept: unknown"),
        ({"rates": {"police_calls": -1}}, "rates.police_calls: expected a number"),
        ({"fault_kinds": ["meteor"]}, "fault_kinds"),
        ({"first_night": "soon"}, "first_night"),
        ({"weather": "rain"}, "weather: unknown"),
    ]:
        bad.write_text(json.dumps(document))
        assert main(["simulate", "--config", str(bad)]) == 2
        assert named in capsys.readouterr().err, document


def test_the_outage_recovery_runs_as_often_as_the_service_runs_it() -> None:
    # The simulator runs the runner's "recovery after an outage" job by hand (its loop is off)
    # as often as the loop would.
    assert sim_service.OUTAGE_SECONDS == background.OUTAGE_SECONDS
