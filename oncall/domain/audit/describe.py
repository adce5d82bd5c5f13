"""Events in words: a readable sentence per event kind, a plain listing for kinds we do not know."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from oncall.domain.chain import EventKind

Details = Mapping[str, Any]


def _plain(details: Details) -> str:
    shown = [
        f"{key.replace('_', ' ')}: {_value(value)}"
        for key, value in sorted(details.items())
        if value not in (None, "", [], {})
    ]
    return "; ".join(shown)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _utc(value: Any) -> str:
    """An ISO instant from an event's details as "2027-01-09 02:40 UTC" (the log keeps UTC)."""
    try:
        return datetime.fromisoformat(str(value)).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return "?" if value is None else str(value)


def _attempt(d: Details) -> str:
    return f"phone {d.get('attempt', '?')} ({d.get('role', d.get('person', ''))})"


def _to(d: Details) -> str:
    # The person's id and the message's: never the number or the words (they are in the outbox).
    return f"{d.get('message', '?')} to person {d.get('person', '?')}"


_SENTENCES: dict[str, Callable[[Details], str]] = {
    EventKind.CALL_RECEIVED: lambda d: (
        f"Call received on the {d.get('line_name', 'unknown')} line"
        + (f", reference {d['reference']}" if d.get("reference") else "")
    ),
    EventKind.MESSAGE_RECEIVED: lambda d: (
        f"Message received on the {d.get('line_name', 'unknown')} line"
    ),
    EventKind.CALLER_IDENTIFIED: lambda d: (
        f"Caller identified as {d.get('caller', 'unknown')}"
        + (f" (household {d['household']})" if d.get("household") else "")
        + ("" if d.get("verified") else ", not verified")
    ),
    EventKind.CALLER_MENU_OFFERED: lambda d: "Caller offered the menu (1 emergency, 2 advice)",
    EventKind.CALLER_CHOSE: lambda d: f"Caller chose {d.get('choice', '?')}",
    EventKind.CALL_RANG: lambda d: (
        f"Rang {d.get('person') or d.get('role', '?')} "
        f"(attempt {d.get('attempt', '?')}, {d.get('role', '')})"
    ),
    EventKind.CALL_PICKED_UP: lambda d: f"{_attempt(d).capitalize()} picked up; whisper played",
    EventKind.CALL_ACCEPTED: lambda d: (
        f"{_attempt(d).capitalize()} pressed 1 and accepted the call"
    ),
    EventKind.CALL_DECLINED: lambda d: f"{_attempt(d).capitalize()} declined",
    EventKind.CALL_NOT_ANSWERED: lambda d: (
        f"{_attempt(d).capitalize()} did not accept: {str(d.get('result', '?')).replace('_', ' ')}"
    ),
    EventKind.CALL_CONNECTED: lambda d: f"Connected for {d.get('seconds', '?')} s",
    EventKind.CALL_ENDED: lambda d: "Call ended",
    EventKind.CALL_DURATION: lambda d: (
        f"Caller's call lasted {d.get('seconds', '?')} s ({d.get('status', '')})"
    ),
    EventKind.CALL_UNANSWERED: lambda d: "Nobody accepted the call",
    EventKind.CALL_RECONCILED: lambda d: (
        f"Our record of the call was left open; Twilio's record fetched: {d.get('status', '?')}, "
        f"{d.get('legs', '?')} phone(s) rung"
    ),
    EventKind.CALL_CONNECTED_PER_PROVIDER: lambda d: (
        f"Twilio connected the caller to {d.get('person', '?')} "
        f"for {d.get('seconds', '?')} s (not screened: fail-safe ring)"
    ),
    EventKind.CALL_FAILSAFE: lambda d: (
        "Found in Twilio's records: the service never answered this call (Twilio's Fallback URL "
        "did)"
        if d.get("recovered")
        else "The caller was given the fail-safe ring (every on-duty phone at once: "
        + (", ".join(map(str, d.get("rang") or [])) or "none known")
        + (", then the fallback number" if d.get("then_fallback") else "")
        + f") at step {d.get('step', '?')}"
        + (
            "; the ring recorded for that step never reached the caller"
            if d.get("superseded_step_answer")
            else ""
        )
    ),
    EventKind.MESSAGE_RECOVERED: lambda d: (
        "Found in Twilio's records: the service never saw this text when it arrived"
    ),
    EventKind.CALLER_HUNG_UP: lambda d: "Caller hung up",
    EventKind.CALL_VOICEMAIL: lambda d: f"Caller left a voicemail ({d.get('seconds', '?')} s)",
    EventKind.CALL_OUTSIDE_HOURS_NO_DESK: lambda d: (
        "Outside hours, but no day desk number: rang on call"
    ),
    EventKind.SMS_SENT: lambda d: f"Text {_to(d)} handed to Twilio",
    EventKind.SMS_DELIVERED: lambda d: f"Text {_to(d)} delivered",
    EventKind.SMS_FAILED: lambda d: f"Text {_to(d)} failed: {d.get('reason', '?')}",
    EventKind.VOICE_SENT: lambda d: f"Alert call {_to(d)} placed",
    EventKind.VOICE_ENDED: lambda d: f"Alert call {_to(d)} ended ({d.get('status', '?')})",
    EventKind.VOICE_FAILED: lambda d: f"Alert call {_to(d)} failed: {d.get('reason', '?')}",
    EventKind.SHIFT_CONFIRMATION_REQUESTED: lambda d: "Shift confirmation requested: " + _plain(d),
    EventKind.SHIFT_CONFIRMED: lambda d: "Shift confirmed: " + _plain(d),
    EventKind.CALL_FORWARDED: lambda d: (
        f"Forwarded to the {d.get('to', 'day desk')} (outside hours)"
    ),
    EventKind.ALERT_RAISED: lambda d: (
        f"Alert raised: {str(d.get('alert_kind', '')).replace('_', ' ')}"
    ),
    EventKind.ALERT_UPDATED: lambda d: (
        f"Alert now: {str(d.get('alert_kind', '')).replace('_', ' ')}"
    ),
    EventKind.ALERT_ACKNOWLEDGED: lambda d: (
        "Alert acknowledged" + (f" by {d['via']}" if d.get("via") else "")
    ),
    EventKind.ALERT_ESCALATED: lambda d: (
        "Escalation step: notified "
        + (", ".join(map(str, d.get("people") or [])) or "nobody")
        + (f" by {', '.join(map(str, d['channels']))}" if d.get("channels") else "")
    ),
    EventKind.ALERT_ESCALATING_EARLY: lambda d: "Escalating early: " + _plain(d),
    EventKind.ALERT_RESOLVED: lambda d: "Alert resolved" + (f" ({_plain(d)})" if _plain(d) else ""),
    EventKind.ALERT_CANCELLED: lambda d: (
        "Alert cancelled" + (f" ({_plain(d)})" if _plain(d) else "")
    ),
    EventKind.AUDIT_READ: lambda d: f"Read: {d.get('what', '?')}",
    EventKind.AUDIT_VERIFIED: lambda d: (
        "Chain verified: "
        + ("all links hold" if d.get("ok") else f"BROKEN at event {d.get('broken_seq')}")
    ),
    EventKind.AUDIT_REDACTED: lambda d: (
        f"Retention: details of {d.get('events', '?')} events and "
        f"{d.get('contacts', '?')} contacts removed"
    ),
    EventKind.OUTCOME_RECORDED: lambda d: (
        f"Outcome recorded: {str(d.get('category', '')).replace('_', ' ')}"
        + (f"; {d['notes']}" if d.get("notes") else "")
    ),
    EventKind.OUTCOME_LINK_TEXTED: lambda d: (
        f"Outcome {'link' if d.get('link') else 'request'} texted to {d.get('person', '?')}"
        + (" (end-of-shift reminder)" if d.get("purpose") == "reminder" else " after the call")
    ),
    EventKind.OUTCOME_AMENDED: lambda d: (
        f"Outcome amended: {str(d.get('category', '')).replace('_', ' ')}"
        + (f"; {d['notes']}" if d.get("notes") else "")
    ),
    # Missing from home or care (oncall.domain.missing): the case reference, never a name.
    EventKind.MISSING_OPENED: lambda d: (
        f"Missing episode {d.get('episode', '?')} opened for case {d.get('case_reference', '?')}: "
        f"{d.get('risk', '?')} risk"
        + (" (a repeat)" if d.get("repeat") else "")
        + (f", by {d['via']}" if d.get("via") else "")
    ),
    EventKind.MISSING_CONTACT_ADDED: lambda d: (
        f"Contact added to missing episode {d.get('episode', '?')} "
        f"(case {d.get('case_reference', '?')}, {d.get('risk', '?')} risk)"
    ),
    EventKind.MISSING_UPDATED: lambda d: (
        f"Missing episode {d.get('episode', '?')} changed: "
        + (", ".join(str(k).replace("_", " ") for k in d.get("changes") or {}) or "nothing")
    ),
    EventKind.MISSING_RETURNED: lambda d: (
        f"Child of missing episode {d.get('episode', '?')} back at {_utc(d.get('returned_at'))}"
        f"; return home interview due {_utc(d.get('interview_due_at'))}"
    ),
    EventKind.MISSING_WITHDRAWN: lambda d: (
        f"Missing episode {d.get('episode', '?')} withdrawn: {d.get('reason', '?')}"
    ),
    EventKind.MISSING_INTERVIEW: lambda d: (
        f"Return home interview of episode {d.get('episode', '?')} {d.get('step', '?')} "
        f"on {_utc(d.get('on'))}"
    ),
    EventKind.MISSING_PACK_PREPARED: lambda d: (
        f"Missing meeting pack for {d.get('day', '?')}: "
        f"{len(d.get('still_missing') or [])} still missing (flagged), "
        f"{len(d.get('returned') or [])} returned overnight, "
        f"{len(d.get('interviews_overdue') or [])} interviews overdue"
    ),
    EventKind.MISSING_PACK_EMAILED: lambda d: (
        f"Missing meeting pack for {d.get('day', '?')} "
        + (
            f"e-mailed to {d['sent_to']} address(es)"
            if d.get("sent_to")
            else f"not e-mailed: {d.get('failed', '?')}"
        )
    ),
    # Set-up and accounts from the command line (`oncall setup`, `user`, `token`).
    EventKind.DUTY_OVERRIDE_ADDED: lambda d: (
        f"Duty override: {d.get('person', '?')} on the {d.get('tier', '?')} tier"
        + (f" instead of {d['replaces']}" if d.get("replaces") else "")
        + (f" from {d['start']} to {d['end']}" if d.get("start") and d.get("end") else "")
    ),
    EventKind.DUTY_OVERRIDE_CANCELLED: lambda d: (
        f"Duty override {d.get('override', '?')} cancelled"
    ),
    EventKind.HANDOVER_PREPARED: lambda d: (
        "Morning handover prepared" + (f" ({_plain(d)})" if _plain(d) else "")
    ),
    EventKind.HANDOVER_EMAILED: lambda d: (
        f"Morning handover e-mailed to {d['sent_to']} recipient(s)"
        if d.get("sent_to")
        else f"Morning handover e-mail failed ({d.get('failed', '?')})"
    ),
    EventKind.LINE_CONFIGURED: lambda d: (
        f"{d.get('line', 'A')} line {d.get('action', 'configured')}: number {d.get('number', '?')}"
    ),
    EventKind.DAY_DESK_CONFIGURED: lambda d: f"Day desk number set to {d.get('number', '?')}",
    EventKind.TEMPLATES_DEFAULTS_ADDED: lambda d: (
        f"Default shift templates added ({d.get('templates', '?')})"
    ),
    EventKind.POLICIES_DEFAULTS_ADDED: lambda d: (
        f"Default escalation policies added ({d.get('policies', '?')})"
    ),
    EventKind.POLICY_UPDATED: lambda d: (
        f"Escalation policy for {str(d.get('alert_kind', '?')).replace('_', ' ')} alerts"
        + (f" on line {d['line']}" if d.get("line") else " on every line")
        + f" changed: {len(d.get('steps') or [])} step(s), repeated {d.get('repeat', '?')} time(s)"
    ),
    EventKind.USER_CREATED: lambda d: (
        f"User {d.get('username', '?')} created with role(s) {_value(d.get('roles') or '?')}"
        + (f", linked to person {d['person']}" if d.get("person") else "")
    ),
    EventKind.USER_PASSWORD_CHANGED: lambda d: f"Password of user {d.get('username', '?')} changed",
    EventKind.USER_ROLES_CHANGED: lambda d: (
        f"Roles of user {d.get('username', '?')} changed to {_value(d.get('roles') or '?')}"
    ),
    EventKind.USER_DISABLED: lambda d: f"User {d.get('username', '?')} disabled",
    EventKind.USER_ENABLED: lambda d: f"User {d.get('username', '?')} enabled",
    EventKind.TOKEN_CREATED: lambda d: (
        f"API token {d.get('name', '?')!r} created for user {d.get('username', '?')}"
    ),
    EventKind.TOKEN_REVOKED: lambda d: (
        f"API token {d.get('token')} revoked"
        if d.get("token") is not None
        else f"API tokens of user {d.get('username', '?')} revoked: {_value(d.get('tokens') or [])}"
    ),
}


def describe_event(kind: str, details: Details) -> str:
    """A sentence for the timeline; redacted details say so; unknown kinds list their details."""
    if details.get("redacted"):
        return f"Details removed under the retention policy ({details['redacted']})"
    sentence = _SENTENCES.get(kind)
    if sentence is not None:
        try:
            return sentence(details)
        except (KeyError, TypeError, AttributeError):  # an older shape of details: list them
            pass
    plain = _plain(details)
    words = kind.replace(".", ": ", 1).replace("_", " ")
    return f"{words[:1].upper()}{words[1:]}" + (f" ({plain})" if plain else "")
