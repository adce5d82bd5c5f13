"""Every typed web.AppKey the application uses, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from integrations.fake_twilio import FakeTwilio
from integrations.telephony import Telephony
from oncall.clock import Clock
from oncall.cpu import CpuWorkers
from oncall.db.engine import Database
from oncall.domain.calls import CallReconciler
from oncall.domain.escalation import EscalationScheduler
from oncall.domain.outbox import OutboxSender
from oncall.domain.outcomes import OutcomeLinks
from oncall.domain.people import PasswordChecker
from oncall.domain.periodic import Runner
from oncall.settings import Settings

if TYPE_CHECKING:  # web types: their modules import this one
    from oncall.web.metrics import MetricsState
    from oncall.web.twilio.budget import WebhookBudget
    from oncall.web.twilio.failsafe import DutyNumbers
    from oncall.web.ui.audit.common import AuditJobs
    from oncall.web.ui.rota.jobs import RotaJobs

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
DATABASE = web.AppKey("database", Database)
TELEPHONY = web.AppKey("telephony", Telephony)
FAKE_TWILIO = web.AppKey("fake_twilio", FakeTwilio)  # demo mode only
SIGNING_KEY = web.AppKey("signing_key", bytes)  # signs sessions, CSRF tokens and outcome links
OUTCOME_LINKS = web.AppKey("outcome_links", OutcomeLinks)  # signed with SIGNING_KEY
PASSWORDS = web.AppKey("passwords", PasswordChecker)  # argon2 off the loop, bounded
CPU_WORKERS = web.AppKey("cpu_workers", CpuWorkers)  # a process for pure-Python CPU work

# This replica's periodic work (oncall.web.background) and the workers tests drive by hand.
RUNNER = web.AppKey("runner", Runner)
SCHEDULER = web.AppKey("escalation_scheduler", EscalationScheduler)
SENDER = web.AppKey("outbox_sender", OutboxSender)
CALL_CHECK = web.AppKey("call_check", CallReconciler)

# The web app's own state.
METRICS: web.AppKey[MetricsState] = web.AppKey("metrics")
DUTY_NUMBERS: web.AppKey[DutyNumbers] = web.AppKey("duty_numbers")  # the fail-safe's copy
WEBHOOK_BUDGET: web.AppKey[WebhookBudget] = web.AppKey("webhook_budget")  # and its deadline
AUDIT_JOBS: web.AppKey[AuditJobs] = web.AppKey("audit_jobs")  # background chain verification
ROTA_JOBS: web.AppKey[RotaJobs] = web.AppKey("rota_jobs")  # background solves
