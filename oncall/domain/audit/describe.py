"""Events in words: a readable sentence per event kind, a plain listing for kinds we do not know."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

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
    "call.received": lambda d: (
        f"Call received on the {d.get('line_name', 'unknown')} line"
        + (f", reference {d['reference']}" if d.get("reference") else "")
    ),
    "message.received": lambda d: f"Message received on the {d.get('line_name', 'unknown')} line",
    "caller.identified": lambda d: (
        f"Caller identified as {d.get('caller', 'unknown')}"
        + (f" (household {d['household']})" if d.get("household") else "")
        + ("" if d.get("verified") else ", not verified")
    ),
    "caller.menu_offered": lambda d: "Caller offered the menu (1 emergency, 2 advice)",
    "caller.chose": lambda d: f"Caller chose {d.get('choice', '?')}",
    "call.rang": lambda d: (
        f"Rang {d.get('person') or d.get('role', '?')} "
        f"(attempt {d.get('attempt', '?')}, {d.get('role', '')})"
    ),
    "call.picked_up": lambda d: f"{_attempt(d).capitalize()} picked up; whisper played",
    "call.accepted": lambda d: f"{_attempt(d).capitalize()} pressed 1 and accepted the call",
    "call.declined": lambda d: f"{_attempt(d).capitalize()} declined",
    "call.not_answered": lambda d: (
        f"{_attempt(d).capitalize()} did not accept: {str(d.get('result', '?')).replace('_', ' ')}"
    ),
    "call.connected": lambda d: f"Connected for {d.get('seconds', '?')} s",
    "call.ended": lambda d: "Call ended",
    "call.duration": lambda d: (
        f"Caller's call lasted {d.get('seconds', '?')} s ({d.get('status', '')})"
    ),
    "call.unanswered": lambda d: "Nobody accepted the call",
    "call.reconciled": lambda d: (
        f"Our record of the call was left open; Twilio's record fetched: {d.get('status', '?')}, "
        f"{d.get('legs', '?')} phone(s) rung"
    ),
    "call.connected_per_provider": lambda d: (
        f"Twilio connected the caller to {d.get('person', '?')} "
        f"for {d.get('seconds', '?')} s (not screened: fail-safe ring)"
    ),
    "caller.hung_up": lambda d: "Caller hung up",
    "call.voicemail": lambda d: f"Caller left a voicemail ({d.get('seconds', '?')} s)",
    "call.outside_hours_no_desk": lambda d: "Outside hours, but no day desk number: rang on call",
    "sms.sent": lambda d: f"Text {_to(d)} handed to Twilio",
    "sms.delivered": lambda d: f"Text {_to(d)} delivered",
    "sms.failed": lambda d: f"Text {_to(d)} failed: {d.get('reason', '?')}",
    "voice.sent": lambda d: f"Alert call {_to(d)} placed",
    "voice.ended": lambda d: f"Alert call {_to(d)} ended ({d.get('status', '?')})",
    "voice.failed": lambda d: f"Alert call {_to(d)} failed: {d.get('reason', '?')}",
    "shift.confirmation_requested": lambda d: "Shift confirmation requested: " + _plain(d),
    "shift.confirmed": lambda d: "Shift confirmed: " + _plain(d),
    "call.forwarded": lambda d: f"Forwarded to the {d.get('to', 'day desk')} (outside hours)",
    "alert.raised": lambda d: f"Alert raised: {str(d.get('alert_kind', '')).replace('_', ' ')}",
    "alert.updated": lambda d: f"Alert now: {str(d.get('alert_kind', '')).replace('_', ' ')}",
    "alert.acknowledged": lambda d: (
        "Alert acknowledged" + (f" by {d['via']}" if d.get("via") else "")
    ),
    "alert.escalated": lambda d: (
        "Escalation step: notified "
        + (", ".join(map(str, d.get("people") or [])) or "nobody")
        + (f" by {', '.join(map(str, d['channels']))}" if d.get("channels") else "")
    ),
    "alert.escalating_early": lambda d: "Escalating early: " + _plain(d),
    "alert.resolved": lambda d: "Alert resolved" + (f" ({_plain(d)})" if _plain(d) else ""),
    "alert.cancelled": lambda d: "Alert cancelled" + (f" ({_plain(d)})" if _plain(d) else ""),
    "audit.read": lambda d: f"Read: {d.get('what', '?')}",
    "audit.verified": lambda d: (
        "Chain verified: "
        + ("all links hold" if d.get("ok") else f"BROKEN at event {d.get('broken_seq')}")
    ),
    "audit.redacted": lambda d: (
        f"Retention: details of {d.get('events', '?')} events and "
        f"{d.get('contacts', '?')} contacts removed"
    ),
    "outcome.recorded": lambda d: (
        f"Outcome recorded: {str(d.get('category', '')).replace('_', ' ')}"
        + (f"; {d['notes']}" if d.get("notes") else "")
    ),
    "outcome.link_texted": lambda d: (
        f"Outcome {'link' if d.get('link') else 'request'} texted to {d.get('person', '?')}"
        + (" (end-of-shift reminder)" if d.get("purpose") == "reminder" else " after the call")
    ),
    "outcome.amended": lambda d: (
        f"Outcome amended: {str(d.get('category', '')).replace('_', ' ')}"
        + (f"; {d['notes']}" if d.get("notes") else "")
    ),
    # Missing from home or care (oncall.domain.missing): the case reference, never a name.
    "missing.opened": lambda d: (
        f"Missing episode {d.get('episode', '?')} opened for case {d.get('case_reference', '?')}: "
        f"{d.get('risk', '?')} risk"
        + (" (a repeat)" if d.get("repeat") else "")
        + (f", by {d['via']}" if d.get("via") else "")
    ),
    "missing.contact_added": lambda d: (
        f"Contact added to missing episode {d.get('episode', '?')} "
        f"(case {d.get('case_reference', '?')}, {d.get('risk', '?')} risk)"
    ),
    "missing.updated": lambda d: (
        f"Missing episode {d.get('episode', '?')} changed: "
        + (", ".join(str(k).replace("_", " ") for k in d.get("changes") or {}) or "nothing")
    ),
    "missing.returned": lambda d: (
        f"Child of missing episode {d.get('episode', '?')} back at {_utc(d.get('returned_at'))}"
        f"; return home interview due {_utc(d.get('interview_due_at'))}"
    ),
    "missing.withdrawn": lambda d: (
        f"Missing episode {d.get('episode', '?')} withdrawn: {d.get('reason', '?')}"
    ),
    "missing.interview": lambda d: (
        f"Return home interview of episode {d.get('episode', '?')} {d.get('step', '?')} "
        f"on {_utc(d.get('on'))}"
    ),
    "missing.pack_prepared": lambda d: (
        f"Missing meeting pack for {d.get('day', '?')}: "
        f"{len(d.get('still_missing') or [])} still missing (flagged), "
        f"{len(d.get('returned') or [])} returned overnight, "
        f"{len(d.get('interviews_overdue') or [])} interviews overdue"
    ),
    "missing.pack_emailed": lambda d: (
        f"Missing meeting pack for {d.get('day', '?')} "
        + (
            f"e-mailed to {d['sent_to']} address(es)"
            if d.get("sent_to")
            else f"not e-mailed: {d.get('failed', '?')}"
        )
    ),
    # Set-up and accounts from the command line (`oncall setup`, `user`, `token`).
    "line.configured": lambda d: (
        f"{d.get('line', 'A')} line {d.get('action', 'configured')}: number {d.get('number', '?')}"
    ),
    "day_desk.configured": lambda d: f"Day desk number set to {d.get('number', '?')}",
    "templates.defaults_added": lambda d: (
        f"Default shift templates added ({d.get('templates', '?')})"
    ),
    "policies.defaults_added": lambda d: (
        f"Default escalation policies added ({d.get('policies', '?')})"
    ),
    "policy.updated": lambda d: (
        f"Escalation policy for {str(d.get('alert_kind', '?')).replace('_', ' ')} alerts"
        + (f" on line {d['line']}" if d.get("line") else " on every line")
        + f" changed: {len(d.get('steps') or [])} step(s), repeated {d.get('repeat', '?')} time(s)"
    ),
    "user.created": lambda d: (
        f"User {d.get('username', '?')} created with role(s) {_value(d.get('roles') or '?')}"
        + (f", linked to person {d['person']}" if d.get("person") else "")
    ),
    "user.password_changed": lambda d: f"Password of user {d.get('username', '?')} changed",
    "user.disabled": lambda d: f"User {d.get('username', '?')} disabled",
    "user.enabled": lambda d: f"User {d.get('username', '?')} enabled",
    "token.created": lambda d: (
        f"API token {d.get('name', '?')!r} created for user {d.get('username', '?')}"
    ),
    "token.revoked": lambda d: (
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
