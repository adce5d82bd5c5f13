"""Who may use each route: the reviewed table the role test checks and docs/security.md shows."""

from __future__ import annotations

import re

from oncall.settings import FAKE_ACCOUNT_SID
from tests.reliability.inputs import ROLE_USERS

ROLES = ROLE_USERS  # admin, coordinator, manager, worker
EDITORS = frozenset({"admin", "coordinator"})
READERS = frozenset({"admin", "coordinator", "manager"})
AUDITORS = frozenset({"admin", "manager"})
EVERYONE = frozenset(ROLES)
# Who may use a route without one of the four roles, and how they prove it.
PUBLIC = "public"  # anyone: sign-in, health, static files, the API's description
TWILIO = "twilio"  # the X-Twilio-Signature is the key: unsigned gets 403
LINK = "link"  # a signed token in the URL is the key (outcome links, calendar feeds)
DEMO = "demo"  # the phone simulator and demo clock, mounted only with ONCALL_TELEPHONY=fake
METRICS = "metrics"  # ONCALL_METRICS_TOKEN, or from this host only
FAKE_REST = "fake-rest"  # the demo fake Twilio's REST API: HTTP basic auth (SID and token)
STAFF = frozenset({"staff", *ROLES})  # any signed-in user linked to someone on the staff list
NOT_STAFF = frozenset({"admin"})  # the demo admin is nobody on the rota
Access = frozenset[str] | str

ACCESS: dict[tuple[str, str], Access] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,  # signs out whoever asks; a session must send its CSRF token
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/static"): PUBLIC,
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/metrics"): METRICS,
    ("GET", "/calendar.ics"): LINK,
    ("GET", "/outcome/{token}"): LINK,
    ("POST", "/outcome/{token}"): LINK,
    ("GET", "/o/{token}"): LINK,
    ("POST", "/o/{token}"): LINK,
    ("POST", "/outcome/{token}/missing"): LINK,
    ("POST", "/o/{token}/missing"): LINK,
    ("GET", "/api/v1/on-duty"): READERS,
    ("GET", "/api/v1/contacts"): AUDITORS,
    ("GET", "/api/v1/contacts/{contact_id}"): AUDITORS,
    ("GET", "/api/v1/events"): AUDITORS,
    ("GET", "/api/v1/missing-episodes"): AUDITORS,
    ("GET", "/audit"): AUDITORS,
    ("GET", "/audit/contacts/{contact_id}"): AUDITORS,
    ("GET", "/audit/events"): AUDITORS,
    ("POST", "/audit/verify"): AUDITORS,
    ("GET", "/audit/export/contacts.csv"): AUDITORS,
    ("GET", "/audit/export/events.csv"): AUDITORS,
    ("GET", "/audit/handover"): AUDITORS,
    ("GET", "/audit/handover.csv"): AUDITORS,
    ("GET", "/audit/kpis"): AUDITORS,
    ("GET", "/audit/report"): AUDITORS,
    ("GET", "/audit/report.pdf"): AUDITORS,
    ("GET", "/missing"): READERS,
    ("GET", "/missing/new"): READERS,
    ("POST", "/missing/new"): READERS,
    ("GET", "/missing/{id}"): READERS,
    ("POST", "/missing/{id}/edit"): READERS,
    ("POST", "/missing/{id}/return"): READERS,
    ("POST", "/missing/{id}/interview"): READERS,
    ("POST", "/missing/{id}/withdraw"): READERS,
    ("GET", "/missing/interviews"): READERS,
    ("GET", "/missing/pack"): READERS,
    ("GET", "/missing/pack.csv"): READERS,
    ("GET", "/missing/pack.pdf"): READERS,
    ("GET", "/missing/dashboard"): AUDITORS,
    ("GET", "/missing/dashboard.csv"): AUDITORS,
    ("GET", "/now"): EVERYONE,
    ("POST", "/now/overrides"): EDITORS,
    ("POST", "/now/overrides/{id}/cancel"): EDITORS,
    ("GET", "/my"): STAFF,
    ("POST", "/my/calendar"): STAFF,
    ("POST", "/my/calendar/revoke"): STAFF,
    ("POST", "/my/leave"): STAFF,
    ("POST", "/my/swaps"): STAFF,
    ("POST", "/my/swaps/{id}/cancel"): STAFF,
    ("GET", "/lines"): READERS,
    ("POST", "/lines/{id}"): EDITORS,
    ("POST", "/lines/active"): EDITORS,
    ("POST", "/lines/callers"): EDITORS,
    ("POST", "/lines/households"): EDITORS,
    ("POST", "/lines/numbers"): EDITORS,
    ("POST", "/lines/numbers/{id}/delete"): EDITORS,
    ("POST", "/lines/policies/save"): EDITORS,
    ("GET", "/requests"): EDITORS,
    ("POST", "/requests/leave/{id}"): EDITORS,
    ("POST", "/requests/swaps/{id}"): EDITORS,
    ("GET", "/rota"): READERS,
    ("GET", "/rota/go"): READERS,
    ("GET", "/rota/{month}"): READERS,
    ("GET", "/rota/{month}/diff"): READERS,
    ("GET", "/rota/{month}/v/{number}"): READERS,
    ("GET", "/rota/{month}/v/{number}/print"): READERS,
    ("GET", "/rota/{month}/v/{number}/export.{fmt}"): READERS,
    ("GET", "/rota/jobs/{job}"): EDITORS,
    ("GET", "/rota/jobs/{job}.json"): EDITORS,
    ("POST", "/rota/{month}/generate"): EDITORS,
    ("POST", "/rota/{month}/repair"): EDITORS,
    ("POST", "/rota/{month}/v/{number}/lock"): EDITORS,
    ("POST", "/rota/{month}/v/{number}/publish"): EDITORS,
    ("GET", "/rota/{month}/v/{number}/shift/{key}"): EDITORS,
    ("POST", "/rota/{month}/v/{number}/shift/{key}/check"): EDITORS,
    ("POST", "/rota/{month}/v/{number}/shift/{key}/save"): EDITORS,
    ("GET", "/staff"): EDITORS,
    ("GET", "/staff/new"): EDITORS,
    ("POST", "/staff/new"): EDITORS,
    ("POST", "/staff/leave-import"): EDITORS,
    ("GET", "/staff/templates"): EDITORS,
    ("POST", "/staff/templates/{id}"): EDITORS,
    ("GET", "/staff/{code}"): EDITORS,
    ("POST", "/staff/{code}"): EDITORS,
    ("POST", "/staff/{code}/leave"): EDITORS,
    ("POST", "/staff/{code}/leave/{id}/delete"): EDITORS,
    ("POST", "/staff/{code}/requests"): EDITORS,
    ("POST", "/staff/{code}/requests/{id}/delete"): EDITORS,
}
_TWILIO_PATHS: tuple[str, ...] = (
    "voice/incoming", "voice/menu", "voice/whisper", "voice/screen", "voice/dial-result",
    "voice/recorded", "voice/status", "voice/failsafe", "sms/incoming", "status/message",
    "status/call", "alert-call", "alert-call/key",
)  # fmt: skip
ACCESS |= {("POST", f"/twilio/{p}"): TWILIO for p in _TWILIO_PATHS}
_FAKE = "/fake/2010-04-01/Accounts/{account_sid}"
ACCESS |= {
    (m, p): FAKE_REST if p.startswith(_FAKE) else DEMO
    for m, p in [
        ("GET", "/demo/calls/{sid}"), ("GET", "/demo/clock"), ("POST", "/demo/clock"),
        ("GET", "/fake/"), ("GET", "/fake/static"), ("POST", "/fake/sim/call"),
        ("GET", "/fake/sim/calls/{sid}"), ("GET", "/fake/sim/live"), ("POST", "/fake/sim/phones"),
        ("POST", "/fake/sim/sms"), ("GET", "/fake/sim/state"),
        ("GET", f"{_FAKE}/Calls.json"), ("POST", f"{_FAKE}/Calls.json"),
        ("GET", f"{_FAKE}/Calls/{{sid}}.json"), ("GET", f"{_FAKE}/Messages.json"),
        ("POST", f"{_FAKE}/Messages.json"), ("GET", f"{_FAKE}/Messages/{{sid}}.json"),
    ]
}  # fmt: skip

SAMPLE = {
    "contact_id": "1", "id": "1", "month": "2027-01", "number": "1", "fmt": "csv", "key": "s0",
    "code": "sw002", "token": "not-a-real-token", "sid": "CA" + "0" * 32, "job": "1",
    "account_sid": FAKE_ACCOUNT_SID,
}  # fmt: skip
STATIC_SAMPLE = {"/static": "/static/app.css", "/fake/static": "/fake/static/none.css"}


def url_of(path: str) -> str:
    return STATIC_SAMPLE.get(path) or re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m[1]], path)


def matrix_markdown() -> str:
    """The role matrix as docs/security.md shows it."""
    columns = ["anonymous", *ROLES]
    lines = ["| Route | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for (method, path), access in sorted(ACCESS.items(), key=lambda item: (item[0][1], item[0][0])):
        if access in (TWILIO, DEMO, FAKE_REST):
            continue  # summarised below the table
        if access is STAFF:
            cells = [
                "sign-in",
                *("403 (not on the rota)" if r in NOT_STAFF else "own" for r in ROLES),
            ]
        elif isinstance(access, str):
            cells = [access] * len(columns)
        else:
            anon = "401" if path.startswith("/api/") else "sign-in"
            cells = [anon, *("yes" if role in access else "403" for role in ROLES)]
        lines.append(f"| `{method} {path}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)
