"""What staff receive: short GSM-7 texts (one segment where possible) and the alert call script.

Never a child's name or details: a reference, the line, the caller's agency, a time, what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from oncall.domain.texts.gsm7 import MULTI_GSM7, SINGLE_GSM7, encoding_of, fit, to_gsm7


def hhmm(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%H:%M")


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """What a text or an alert call may say about an alert: nothing about a child."""

    ref: str  # "0412" for a contact, "A17" for an alert without one
    what: str  # "call missed", "voicemail left", "text message", …
    line: str  # "Police HQ", or "" when no line is involved
    caller: str  # "Police HQ control room", "a foster carer", "" …
    at: datetime
    callback: str = ""  # the caller's number, for staff to ring back
    about: str = ""  # a staff member's name, for advice requests and shift alerts


def alert_sms(facts: AlertFacts, zone: ZoneInfo, *, reminder: bool = False) -> str:
    """'OOH-0412 Police HQ call missed 02:14. Reply ACK 0412' (one GSM-7 segment)."""
    head = "REMINDER " if reminder else ""
    where = f" {facts.line}" if facts.line else ""
    about = f" {facts.about}" if facts.about else ""
    action = f"Reply ACK {facts.ref}"
    main = f"{head}OOH-{facts.ref}{where} {facts.what}{about} {hhmm(facts.at, zone)}."
    extra = f" Call back {facts.callback}." if facts.callback else ""
    text = f"{main}{extra} {action}"
    if encoding_of(to_gsm7(text)).units > SINGLE_GSM7:
        text = f"{main} {action}"
    return fit(text)


def alert_speech(facts: AlertFacts, zone: ZoneInfo) -> str:
    """What an alert call says before asking for 1 (the reference digit by digit)."""
    ref = " ".join(facts.ref)
    where = f" on the {facts.line} line" if facts.line else ""
    about = f", {facts.about}" if facts.about else ""
    return (
        f"Out-of-hours alert, reference {ref}. {facts.what.capitalize()}{where}{about} "
        f"at {hhmm(facts.at, zone)}. Press 1 to acknowledge."
    )


def acknowledged_reply(
    facts: AlertFacts, at: datetime, zone: ZoneInfo, *, outcome_link: str = ""
) -> str:
    """'0412 acknowledged by you at 03:14. Police HQ, call back on +44…'; with a link to the
    outcome page when there is a contact (then up to two segments: the link is never cut)."""
    call = (
        f" {facts.caller or facts.line}, call back on {facts.callback}." if facts.callback else ""
    )
    head = f"{facts.ref} acknowledged by you at {hhmm(at, zone)}.{call}"
    if outcome_link:
        return with_link(f"{head} Record outcome:", outcome_link, segments=2)
    return fit(f"{head} Reply DONE {facts.ref} <what was done> when finished")


def with_link(head: str, link: str, tail: str = "", *, segments: int = 1) -> str:
    """`head link tail` in GSM-7 within `segments`: the tail goes first, then the head is cut,
    never the link (a cut link is worse than no link)."""
    limit = SINGLE_GSM7 if segments == 1 else MULTI_GSM7 * segments
    head, link, tail = to_gsm7(head), to_gsm7(link), to_gsm7(tail)
    for text in (f"{head} {link}{tail}", f"{head} {link}"):
        if encoding_of(text).units <= limit:
            return text
    return f"{fit(head, max(limit - encoding_of(link).units - 1, 20))} {link}"


def call_ended_outcome_text(ref: str, ended: datetime, zone: ZoneInfo, link: str) -> str:
    """'OOH-0412 call ended 03:14. Record the outcome: https://…/o/… or reply DONE 0412 <note>'."""
    return with_link(
        f"OOH-{ref} call ended {hhmm(ended, zone)}. Record the outcome:",
        link,
        f" or reply DONE {ref} <note>",
    )


def no_outcome_reminder(ref: str, line: str, received: datetime, zone: ZoneInfo, link: str) -> str:
    """The end-of-shift reminder to the worker: the link when there is one, else DONE by text."""
    where = f" {line}" if line else ""
    head = f"REMINDER OOH-{ref}{where} {hhmm(received, zone)} has no outcome yet."
    if not link:
        return fit(f"{head} Reply DONE {ref} <what was done>")
    return with_link(f"{head} Record it:", link, f" or reply DONE {ref} <note>")


def owned_elsewhere_notice(facts: AlertFacts, by: str, at: datetime, zone: ZoneInfo) -> str:
    return fit(f"OOH-{facts.ref} acknowledged by {by} at {hhmm(at, zone)}. No action needed.")


def closed_elsewhere_notice(facts: AlertFacts, by: str, at: datetime, zone: ZoneInfo) -> str:
    return fit(f"OOH-{facts.ref} closed by {by} at {hhmm(at, zone)}. No action needed.")


def resolved_reply(ref: str, at: datetime, zone: ZoneInfo) -> str:
    return fit(f"{ref} closed at {hhmm(at, zone)} with your note. Thank you.")


def advice_requested_reply(ref: str, manager: str | None) -> str:
    if manager:
        return fit(f"{ref}: {manager} (senior manager on call) has been asked to call you.")
    return fit(f"{ref}: no senior manager on call; all managers have been alerted.")


HELP_TEXT = fit(
    "OOH commands: ACK 0412 = I have it. DONE 0412 note = closed. MGR 0412 = senior manager to "
    "call me. YES = confirm shift. MISSING 0412 caseref risk. FOUND 0412"
)
UNKNOWN_COMMAND = fit("Not understood. Reply HELP for commands, e.g. ACK 0412 or DONE 0412 note.")
UNKNOWN_SENDER = fit(
    "This number is not recognised by the out-of-hours service. In an emergency dial 999."
)


def line_message_reply(reference: str, *, added: bool) -> str:
    """The answer to a foster carer or agency who texted a line."""
    if added:
        return fit(f"Added to {reference}. The duty worker will call you back. Emergency: 999.")
    return fit(
        f"Thank you. Your message {reference} has gone to the duty worker, who will call you "
        "back. In an emergency dial 999."
    )


def shift_request(start: datetime, end: datetime, lines: list[str], zone: ZoneInfo) -> str:
    """'You are on call tonight 17:00-09:00 (Police, Hospital, Foster lines). Reply YES to
    confirm.' GSM-7 has no en dash, so a hyphen keeps it in one segment."""
    local = start.astimezone(zone)
    day = "tonight" if local.hour >= 12 else local.strftime("%a %d %b")
    covered = f" ({', '.join(lines)} lines)" if lines else ""
    return fit(
        f"You are on call {day} {hhmm(start, zone)}-{hhmm(end, zone)}{covered}. "
        "Reply YES to confirm."
    )


def shift_confirmed_reply(start: datetime, zone: ZoneInfo) -> str:
    return fit(f"Thank you: your shift from {hhmm(start, zone)} is confirmed.")


NOTHING_TO_CONFIRM = fit("You have no shift waiting for confirmation. Reply HELP for commands.")
