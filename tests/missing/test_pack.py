"""The daily missing meeting pack of Saturday 9 January 2027 (handover 09:00), from episodes on a
timeline chosen by hand; prepared once, e-mailed once with its CSV. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import select

from oncall.db.engine import Database
from oncall.db.models import Event
from oncall.domain.missing import (
    PackConfig,
    gather_pack,
    morning_pack,
    open_episode,
    pack_csv,
    record_interview,
    record_return,
    withdraw_episode,
)
from oncall.domain.missing.pack import prepare_pack
from oncall.settings import Settings
from oncall.wiring import smtp_config
from tests.audit.smtp import SmtpReceiver
from tests.missing.support import RULES, WEB, jan, local
from tests.support import JERSEY, load_demo_data

SATURDAY = date(2027, 1, 9)
NINE = time(9, 0)


@dataclass(frozen=True)
class Row:
    case: str
    reported: datetime
    back: datetime | None = None
    offered: datetime | None = None
    withdrawn: bool = False


# The night is Fri 8 Jan 09:00 to Sat 9 Jan 09:00; the next meeting is Sun 10 Jan 09:00.
ROWS = {
    "returned overnight, a repeat": Row("JY-000001", jan(8, 23, 10), jan(9, 2, 40)),
    "its December episode": Row("JY-000001", local(2026, 12, 20, 21, 0), local(2026, 12, 21, 1, 0),
                                local(2026, 12, 22, 10, 0)),
    "missing since Thursday": Row("JY-000002", jan(7, 21, 0)),
    "missing since last night": Row("JY-000003", jan(8, 22, 0)),
    "interview due Sat 10:00": Row("JY-000004", jan(5, 20, 0), jan(6, 10, 0)),
    "interview overdue": Row("JY-000005", jan(3, 20, 0), jan(4, 8, 0)),
    "interview offered": Row("JY-000006", jan(4, 20, 0), jan(5, 12, 0), jan(6, 11, 0)),
    "back after the meeting": Row("JY-000007", jan(8, 19, 0), jan(9, 9, 30)),
    "withdrawn": Row("JY-000008", jan(8, 21, 0), withdrawn=True),
    "due after the next meeting": Row("JY-000009", jan(6, 20, 0), jan(7, 9, 0)),
}  # fmt: skip


async def _write(database: Database) -> dict[str, int]:
    ids: dict[str, int] = {}
    async with database.sessions() as session:
        for name, row in sorted(ROWS.items(), key=lambda item: item[1].reported):
            opened = await open_episode(
                session, RULES, case_reference=row.case, risk="medium", by=WEB,
                at=row.reported, reported_at=row.reported, missing_from="home",
            )  # fmt: skip
            ids[name] = opened.episode.id
            if row.withdrawn:
                await withdraw_episode(
                    session, opened.episode.id, reason="test", by=WEB, at=row.reported
                )
            if row.back is not None:
                await record_return(
                    session, RULES, opened.episode, returned_at=row.back, by=WEB, at=row.back
                )
            if row.offered is not None:
                await record_interview(
                    session, opened.episode.id, step="offered", on=row.offered, by=WEB,
                    at=row.offered,
                )  # fmt: skip
        await session.commit()
    return ids


async def test_the_pack_lists_exactly_what_the_meeting_needs(database: Database) -> None:
    await load_demo_data(database)
    ids = await _write(database)
    async with database.sessions() as session:
        pack = await gather_pack(session, day=SATURDAY, zone=JERSEY, boundary=NINE)

    def names(items: object) -> list[str]:
        by_id = {v: k for k, v in ids.items()}
        return [by_id[i.id] for i in items]  # type: ignore[attr-defined]

    assert (pack.start, pack.at, pack.next_at) == (jan(8, 9, 0), jan(9, 9, 0), jan(10, 9, 0))
    assert names(pack.still_missing) == [
        "missing since Thursday", "back after the meeting", "missing since last night",
    ]  # fmt: skip
    assert [(i.new, i.nights_open) for i in pack.still_missing] == [
        (False, 2), (True, 1), (True, 1),
    ]  # fmt: skip
    assert names(pack.returned) == ["returned overnight, a repeat"]
    assert names(pack.interviews_due) == ["interview due Sat 10:00"]
    assert names(pack.interviews_overdue) == ["interview overdue"]
    assert names(pack.repeats) == ["returned overnight, a repeat"]
    returned = pack.returned[0].episode
    assert returned.interview_due_at is not None
    assert returned.interview_due_at.astimezone(JERSEY) == jan(12, 2, 40)
    rows = list(csv.reader(io.StringIO(pack_csv(pack, JERSEY))))
    assert rows[0][:3] == ["section", "case_reference", "risk"]
    assert ["returned overnight", "JY-000001", "medium", "home", "2027-01-08 23:10",
            "2027-01-09 02:40", "", "2027-01-12 02:40", "yes", "yes", "1", ""] in rows  # fmt: skip
    assert len(rows) == 1 + 3 + 1 + 1 + 1 + 1


async def test_the_pack_is_prepared_once_and_emailed_once(database: Database) -> None:
    await load_demo_data(database)
    await _write(database)
    receiver = SmtpReceiver()
    await receiver.start()
    try:
        settings = Settings(
            smtp_host="127.0.0.1", smtp_port=receiver.port, smtp_tls="none",
            smtp_from="oncall@example.org", handover_to="missing-meeting@example.org",
        )  # fmt: skip
        config = PackConfig(JERSEY, NINE, smtp_config(settings), settings.handover_recipients)
        assert await morning_pack(database.sessions, config, day=SATURDAY, at=jan(9, 9, 0))
        assert not await morning_pack(database.sessions, config, day=SATURDAY, at=jan(9, 9, 1))
    finally:
        await receiver.close()
    (message,) = receiver.messages
    assert message["Subject"] == "Missing meeting pack for Sat 09 Jan 2027"
    assert message["To"] == "missing-meeting@example.org"
    body = message.get_body(("plain",))
    assert body is not None and "Still missing: 3" in body.get_content()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "missing-pack-2027-01-09.csv"
    async with database.sessions() as session:
        prepared = list(
            await session.scalars(select(Event).where(Event.kind.like("missing.pack%")))
        )
        _, first = await prepare_pack(
            session, day=SATURDAY, zone=JERSEY, boundary=NINE, at=jan(9, 10, 0)
        )
    assert [e.kind for e in prepared] == ["missing.pack_prepared", "missing.pack_emailed"]
    assert len(prepared[0].details["still_missing"]) == 3  # flagged: open at the handover
    assert prepared[1].details["sent_to"] == 1
    assert not first
