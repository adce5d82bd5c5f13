"""Escalation: alerts that reach a person. The one way an alert is created (`alerts.raise_alert`)
and its life (acknowledge, resolve, cancel, escalate now), policies and their steps, who a step's
targets are, the engine that runs due steps into the outbox, what staff may be told (`facts`),
their replies by text (`commands`, `inbound`; `MoreCommands` lets a package above answer its
own), shift confirmation, end-of-shift reminders, the
provider's status callbacks, and the workers the periodic runner drives.
"""

from oncall.domain.escalation.alerts import (
    acknowledge,
    close_alerts_of_contact,
    outcome_category,
    raise_alert,
)
from oncall.domain.escalation.commands import (
    VERBS,
    Command,
    MoreCommands,
    carry_out,
    first_word,
    parse_command,
)
from oncall.domain.escalation.engine import claim_due, perform_step
from oncall.domain.escalation.inbound import handle_inbound_sms, stored_sms_reply
from oncall.domain.escalation.policies import (
    CHANNELS,
    FINAL_STEP,
    TARGETS,
    PolicyInvalid,
    ensure_default_policies,
    list_policies,
    parse_steps,
    policy_for,
    update_policy,
)
from oncall.domain.escalation.reminders import remind_missing_outcomes
from oncall.domain.escalation.status import (
    alert_call_key,
    alert_call_script,
    record_alert_call_progress,
    record_text_delivery,
)
from oncall.domain.escalation.targets import resolve_targets
from oncall.domain.escalation.workers import (
    EscalationScheduler,
    WorkerConfig,
    alert_sender,
    make_workers,
)

__all__ = [
    "CHANNELS",
    "FINAL_STEP",
    "TARGETS",
    "VERBS",
    "Command",
    "EscalationScheduler",
    "MoreCommands",
    "PolicyInvalid",
    "WorkerConfig",
    "acknowledge",
    "alert_call_key",
    "alert_call_script",
    "alert_sender",
    "carry_out",
    "claim_due",
    "close_alerts_of_contact",
    "ensure_default_policies",
    "first_word",
    "handle_inbound_sms",
    "list_policies",
    "make_workers",
    "outcome_category",
    "parse_command",
    "parse_steps",
    "perform_step",
    "policy_for",
    "raise_alert",
    "record_alert_call_progress",
    "record_text_delivery",
    "remind_missing_outcomes",
    "resolve_targets",
    "stored_sms_reply",
    "update_policy",
]
