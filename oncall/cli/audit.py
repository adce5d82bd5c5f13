"""`oncall audit verify`: walk the response log's hash chain and report the first broken link."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from oncall.cli.base import EXIT_FAILED, EXIT_OK, add_command, add_group, open_database
from oncall.domain.audit import ChainReport, verify_chain
from oncall.settings import Settings


def register(sub: Any) -> None:
    audit = add_group(sub, "audit", "the response log")
    add_command(audit, "verify", _verify, "verify the hash chain; exit 1 at the first broken link")


def _verify(_args: argparse.Namespace, settings: Settings) -> int:
    async def verify() -> ChainReport:
        async with open_database(settings) as db, db.sessions() as session:
            return await verify_chain(session)

    report = asyncio.run(verify())
    if report.broken is None:
        print(f"chain verified: {report.checked} events, all links hold")
        return EXIT_OK
    broken = report.broken
    when = broken.occurred_at.isoformat() if broken.occurred_at else "unknown time"
    print(
        f"chain BROKEN at event {broken.seq} ({when}): {broken.problem}. "
        f"{report.checked} events before it verified.",
        file=sys.stderr,
    )
    return EXIT_FAILED
