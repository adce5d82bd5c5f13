"""The events CSV made by a worker process (`events_csv_into`) is byte for byte the CSV the
server would make itself, sent a batch at a time through a pipe and ended by closing it."""

from __future__ import annotations

import asyncio
import multiprocessing
from datetime import UTC, datetime

from oncall.db.engine import Database
from oncall.domain.audit import events_csv, events_csv_into
from oncall.domain.chain import EventKind, append_event
from tests.support import JERSEY

START, END = datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC)


async def test_the_worker_sends_the_same_csv_through_the_pipe(
    database: Database, db_url: str
) -> None:
    async with database.sessions() as session:
        for n in range(30):
            await append_event(
                session, kind=EventKind.AUDIT_READ, at=datetime(2027, 1, 8, 23, n, tzinfo=UTC),
                details={"what": f"page {n}", "note": "é, \"quoted\"\nline"},
            )  # fmt: skip
        await session.commit()
    async with database.sessions() as session:
        expected = "".join(
            [c async for c in events_csv(session, start=START, end=END, zone=JERSEY)]
        )
    reader, writer = multiprocessing.Pipe(duplex=False)
    # (in a thread here: the pipe and the engine of its own are what a worker process gets)
    sending = asyncio.to_thread(events_csv_into, writer, db_url, START, END, JERSEY.key)
    received: list[bytes] = []

    def read_all() -> None:
        while True:
            try:
                received.append(reader.recv_bytes())
            except EOFError:
                return

    await asyncio.gather(sending, asyncio.to_thread(read_all))
    assert b"".join(received).decode("utf-8") == expected
    assert expected.count("page ") == 30 and len(received) >= 2  # the header, then the rows
    assert writer.closed
