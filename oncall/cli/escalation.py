"""`oncall alerts …`: list open alerts and policies, run one escalation pass by hand."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from sqlalchemy import select

from integrations.twilio import TwilioTelephony
from oncall.cli.base import EXIT_OK, add_command, add_group, open_database
from oncall.clock import SystemClock
from oncall.db.models import Alert, AlertStatus, Contact
from oncall.domain.escalation import EscalationScheduler, alert_sender, list_policies
from oncall.settings import Settings
from oncall.wiring import sender_config, worker_config


def register(sub: Any) -> None:
    alerts = add_group(sub, "alerts", "escalation alerts and policies")
    listing = add_command(alerts, "list", _list, "list open and acknowledged alerts")
    listing.add_argument("--all", action="store_true", help="include resolved and cancelled")
    add_command(alerts, "policies", _policies, "show the escalation policies in force")
    add_command(
        alerts, "run-once", _run_once,
        "run one scheduler pass and one outbox pass now (the loops do this every poll)",
    )  # fmt: skip


def _list(args: argparse.Namespace, settings: Settings) -> int:
    zone = settings.zone

    async def run() -> list[str]:
        async with open_database(settings) as db, db.sessions() as session:
            query = select(Alert, Contact).outerjoin(Contact, Contact.id == Alert.contact_id)
            if not args.all:
                query = query.where(Alert.status.in_([AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]))
            rows = (await session.execute(query.order_by(Alert.id))).all()
        lines = []
        for alert, contact in rows:
            ref = contact.reference if contact else f"A{alert.id}"
            due = alert.next_action_at.astimezone(zone).strftime("%d %b %H:%M") if (
                alert.next_action_at) else "-"  # fmt: skip
            lines.append(
                f"{ref:<16} {alert.kind:<18} {alert.status:<13} round {alert.round + 1} "
                f"step {alert.step_index + 1}  next {due}  {alert.summary}"
            )
        return lines or ["no alerts"]

    print("\n".join(asyncio.run(run())))
    return EXIT_OK


def _policies(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> list[str]:
        async with open_database(settings) as db, db.sessions() as session:
            policies = await list_policies(session)
        out = []
        for policy in policies:
            where = f"line {policy.line_id}" if policy.line_id else "every line"
            steps = "; ".join(
                f"{'+'.join(s.targets)} by {'+'.join(s.channels)}, wait {s.wait_minutes} min"
                for s in policy.steps
            )
            out.append(
                f"{policy.alert_kind} ({where}): {steps}; x{policy.repeat}, then all managers"
            )
        return out or ["no policies yet (defaults are created on first use)"]

    print("\n".join(asyncio.run(run())))
    return EXIT_OK


def _run_once(args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> str:
        telephony = TwilioTelephony(
            account_sid=settings.account_sid,
            auth_token=settings.auth_tokens[0] if settings.auth_tokens else "",
            api_base=settings.rest_api_base,
        )
        try:
            async with open_database(settings) as db:
                clock = SystemClock()
                steps = await EscalationScheduler(
                    db.sessions, clock, worker_config(settings)
                ).run_once()
                sender = alert_sender(db.sessions, telephony, sender_config(settings))
                report = await sender.run_once(clock.now())
        finally:
            await telephony.close()
        return (
            f"{len(steps)} escalation steps run; {len(report.sent)} messages sent, "
            f"{len(report.retried)} to retry, {len(report.failed)} failed, "
            f"{len(report.expired)} leases expired"
        )

    print(asyncio.run(run()))
    return EXIT_OK
