"""Where the steps of a generate or repair run: in the caller's one transaction, or each in its own.

A generate or a repair is three steps: prepare (read the problem; a repair also records the
absence), solve (in a worker thread, no database work) and store (a new version). The command line
passes its session: every step runs in it and the caller commits once, so a failure anywhere leaves
nothing. A web job passes a session factory: each step opens a session and commits it when the step
ends, so no transaction is open while the solver runs (on SQLite an open write transaction holds
the database's one write lock, and a solve may take a minute).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

SessionFactory = Callable[[], AsyncSession]
# The caller's session (one transaction, the caller commits) or a factory (a committed
# transaction per step).
StepSessions = AsyncSession | SessionFactory


@asynccontextmanager
async def step(sessions: StepSessions) -> AsyncIterator[AsyncSession]:
    """The session one step works in: the caller's own, left uncommitted, or a new one that is
    committed when the step ends without an error (and rolled back when it fails)."""
    if isinstance(sessions, AsyncSession):
        yield sessions
        return
    async with sessions() as session:
        yield session
        await session.commit()
