"""A database for long reads in worker processes (the chain's walk, the events CSV).

The service's SQLite transactions all begin IMMEDIATE (oncall/db/engine.py): each takes the
write lock at BEGIN, so that a transaction that reads and then writes cannot fail half way. A
walk of 100,000 events or an export of a year's events only reads, for seconds: begun
IMMEDIATE it held the write lock all that time, and every webhook's write waited for it, to its
budget and the fail-safe ring (bench/results/isolation-sqlite-*.md). Here a transaction begins
DEFERRED instead: in WAL mode a reader has a snapshot of its own and never blocks a writer, nor
waits for one. On PostgreSQL nothing changes (a reader never blocks a writer there).

A session of this database must not write: on SQLite its first write would ask for the lock
only then, and could fail with "database is locked" instead of waiting its turn.
"""

from __future__ import annotations

from oncall.db.engine import Database


def connect_for_reading(url: str) -> Database:
    """`Database.connect(url)` whose transactions only read; see the module's docstring."""
    return Database.connect(url, reads_only=True)
