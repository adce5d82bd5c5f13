"""Every kind of event the log holds: one vocabulary, so a kind is never a drifting string.

Adding a kind here means adding its sentence to `oncall/domain/audit/describe.py` (a test
checks every member has one). The values are stored in `events.kind` and hashed into the chain:
never rename one.
"""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    # A call from the public, step by step
    CALL_ACCEPTED = "call.accepted"
    CALL_CONNECTED = "call.connected"
    CALL_CONNECTED_PER_PROVIDER = "call.connected_per_provider"
    CALL_DECLINED = "call.declined"
    CALL_DURATION = "call.duration"
    CALL_ENDED = "call.ended"
    CALL_FAILSAFE = "call.failsafe"
    CALL_FORWARDED = "call.forwarded"
    CALL_NOT_ANSWERED = "call.not_answered"
    CALL_OUTSIDE_HOURS_NO_DESK = "call.outside_hours_no_desk"
    CALL_PICKED_UP = "call.picked_up"
    CALL_RANG = "call.rang"
    CALL_RECEIVED = "call.received"
    CALL_RECONCILED = "call.reconciled"
    CALL_UNANSWERED = "call.unanswered"
    CALL_VOICEMAIL = "call.voicemail"
    # What the caller did or who they are
    CALLER_CHOSE = "caller.chose"
    CALLER_HUNG_UP = "caller.hung_up"
    CALLER_IDENTIFIED = "caller.identified"
    CALLER_MENU_OFFERED = "caller.menu_offered"
    # A text from the public
    MESSAGE_RECEIVED = "message.received"
    MESSAGE_RECOVERED = "message.recovered"
    # Alerts and their escalation
    ALERT_ACKNOWLEDGED = "alert.acknowledged"
    ALERT_CANCELLED = "alert.cancelled"
    ALERT_ESCALATED = "alert.escalated"
    ALERT_ESCALATING_EARLY = "alert.escalating_early"
    ALERT_RAISED = "alert.raised"
    ALERT_RESOLVED = "alert.resolved"
    ALERT_UPDATED = "alert.updated"
    # Texts to staff (the outbox)
    SMS_DELIVERED = "sms.delivered"
    SMS_FAILED = "sms.failed"
    SMS_SENT = "sms.sent"
    # Alert calls to staff (the outbox)
    VOICE_ENDED = "voice.ended"
    VOICE_FAILED = "voice.failed"
    VOICE_SENT = "voice.sent"
    # Shift confirmation
    SHIFT_CONFIRMATION_REQUESTED = "shift.confirmation_requested"
    SHIFT_CONFIRMED = "shift.confirmed"
    # Outcomes
    OUTCOME_AMENDED = "outcome.amended"
    OUTCOME_LINK_TEXTED = "outcome.link_texted"
    OUTCOME_RECORDED = "outcome.recorded"
    # Duty overrides
    DUTY_OVERRIDE_ADDED = "duty.override_added"
    DUTY_OVERRIDE_CANCELLED = "duty.override_cancelled"
    # Escalation policies
    POLICY_UPDATED = "policy.updated"
    # Set-up
    LINE_CONFIGURED = "line.configured"
    DAY_DESK_CONFIGURED = "day_desk.configured"
    TEMPLATES_DEFAULTS_ADDED = "templates.defaults_added"
    POLICIES_DEFAULTS_ADDED = "policies.defaults_added"
    # Users and API tokens
    USER_CREATED = "user.created"
    USER_DISABLED = "user.disabled"
    USER_ENABLED = "user.enabled"
    USER_PASSWORD_CHANGED = "user.password_changed"  # noqa: S105 (an event kind, not a secret)
    USER_ROLES_CHANGED = "user.roles_changed"
    TOKEN_CREATED = "token.created"  # noqa: S105 (an event kind, not a secret)
    TOKEN_REVOKED = "token.revoked"  # noqa: S105 (an event kind, not a secret)
    # Children missing from home or care (episodes across nights, the daily pack)
    MISSING_OPENED = "missing.opened"
    MISSING_CONTACT_ADDED = "missing.contact_added"
    MISSING_UPDATED = "missing.updated"
    MISSING_RETURNED = "missing.returned"
    MISSING_WITHDRAWN = "missing.withdrawn"
    MISSING_INTERVIEW = "missing.interview"
    MISSING_PACK_PREPARED = "missing.pack_prepared"
    MISSING_PACK_EMAILED = "missing.pack_emailed"
    # The morning handover
    HANDOVER_EMAILED = "handover.emailed"
    HANDOVER_PREPARED = "handover.prepared"
    # Reads, verifications and retention of the log itself
    AUDIT_READ = "audit.read"
    AUDIT_REDACTED = "audit.redacted"
    AUDIT_VERIFIED = "audit.verified"
