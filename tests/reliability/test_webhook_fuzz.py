"""Hostile requests to every Twilio webhook: never a 500, TwiML or a clear 4xx, forgeries 403."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.twilio import SIGNATURE_HEADER
from oncall.app import create_app
from oncall.settings import Settings
from tests.e2e.conftest import FRIDAY_NIGHT
from tests.reliability.inputs import (
    chain_state,
    publish_friday_night_at,
    running_service,
    seed,
    twilio_signature,
)

PRIMARY = "primary-auth-token-0123456789abcdef"
SECONDARY = "retiring-auth-token-0123456789abcd"
POLICE_LINE, FOSTER_LINE = "+441534700101", "+441534700103"
FORM = "application/x-www-form-urlencoded"

# Each webhook and the query parameters Twilio sends back to it.
ROUTES: dict[str, tuple[str, ...]] = {
    "/twilio/voice/incoming": (),
    "/twilio/voice/menu": ("contact",),
    "/twilio/voice/whisper": ("contact", "attempt"),
    "/twilio/voice/screen": ("contact", "attempt"),
    "/twilio/voice/dial-result": ("contact", "attempt"),
    "/twilio/voice/recorded": ("contact",),
    "/twilio/voice/status": (),
    "/twilio/voice/failsafe": (),
    "/twilio/sms/incoming": (),
    "/twilio/status/message": ("outbox",),
    "/twilio/status/call": ("outbox",),
    "/twilio/alert-call": ("outbox",),
    "/twilio/alert-call/key": ("outbox",),
}
# The caller is on these legs: the answer is always TwiML, and a new call always reaches someone.
CALLER_LEGS = ("/twilio/voice/incoming", "/twilio/voice/menu", "/twilio/voice/dial-result")
NEW_CALL = "/twilio/voice/incoming"
TWILIO_FIELDS = (
    "CallSid", "MessageSid", "SmsSid", "AccountSid", "From", "To", "Body", "Digits", "CallStatus",
    "DialCallStatus", "DialCallDuration", "CallDuration", "RecordingUrl", "RecordingDuration",
    "MessageStatus", "ErrorCode", "NumMedia",
)  # fmt: skip


@dataclass(frozen=True)
class Target:
    base: str  # the public URL the service signs against
    url: str  # the database, to check afterwards


@pytest.fixture(scope="module")
def target(module_db_url: str) -> Iterator[Target]:
    """One service per database for the module: SQLite, and PostgreSQL (which refuses NUL in
    text, unlike SQLite). Every test adds to the same data, as a night of webhooks would."""
    url = module_db_url
    asyncio.run(seed(url, night=False))
    asyncio.run(publish_friday_night_at(url))
    overrides = {"twilio_auth_token": PRIMARY, "twilio_auth_token_secondary": SECONDARY}
    with running_service(url, now=FRIDAY_NIGHT, **overrides) as running:
        yield Target(running.public_url, url)
    ok, orphans = asyncio.run(chain_state(url))
    assert ok, "the event chain no longer verifies after the fuzzing"
    assert orphans == 0, f"{orphans} contacts were written without their first event"


def test_the_table_covers_every_twilio_route() -> None:
    app = create_app(Settings())
    registered = {
        str(r.resource.canonical)
        for r in app.router.routes()
        if r.resource is not None and r.resource.canonical.startswith("/twilio/")
    }
    assert registered == set(ROUTES)


def _post(
    target: Target, path_qs: str, body: bytes, content_type: str, signature: str | None
) -> requests.Response:
    headers = {"Content-Type": content_type}
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    return requests.post(target.base + path_qs, data=body, headers=headers, timeout=30)


def _is_twiml(answer: requests.Response) -> bool:
    if answer.status_code != 200 or "xml" not in answer.headers.get("Content-Type", ""):
        return False
    return ET.fromstring(answer.content).tag == "Response"


def _reaches_someone(answer: requests.Response) -> bool:
    verbs = {e.tag for e in ET.fromstring(answer.content).iter()}
    spoken = answer.text
    return bool(verbs & {"Dial", "Gather", "Redirect", "Record"}) or "999" in spoken


def _check(path: str, answer: requests.Response) -> None:
    """A signed request's answer: TwiML, an empty 204 for status callbacks, or a clear 4xx."""
    assert answer.status_code < 500, (path, answer.status_code, answer.text[:200])
    if path in CALLER_LEGS:
        assert _is_twiml(answer), (path, answer.status_code, answer.text[:200])
        # menu and dial-result for a contact that does not exist hang up (a forged URL).
        assert path != NEW_CALL or _reaches_someone(answer), answer.text
    elif path.startswith("/twilio/status/"):
        assert answer.status_code in (204, 413), (path, answer.status_code)
    elif answer.status_code != 200:
        assert answer.status_code in (400, 413), (path, answer.status_code, answer.text[:200])
        assert answer.text.strip(), "a 4xx says why"
    else:
        assert _is_twiml(answer), (path, answer.text[:200])


hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(["", "1", "#", "*", "+441534700101", "+447797950000", "ACK 1", "%", "%zz"]),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["x" * 60_000]),
    st.text(alphabet=st.characters(max_codepoint=31), min_size=1, max_size=20),
)
query_value = st.one_of(
    st.integers(-5, 30).map(str),
    st.integers(-(2**70), 2**70).map(str),
    st.text(max_size=30),
    st.text(alphabet=st.characters(max_codepoint=31), max_size=5),
)
field_names = st.one_of(st.sampled_from(TWILIO_FIELDS), st.text(min_size=1, max_size=20))


@settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    path=st.sampled_from(sorted(ROUTES)),
    query=st.data(),
    fields=st.lists(st.tuples(field_names, hostile_text), max_size=8),
    to=st.sampled_from([POLICE_LINE, FOSTER_LINE, "", "+441534000000", "not a number"]),
    token=st.sampled_from([PRIMARY, SECONDARY]),
)
def test_signed_requests_with_random_fields_get_twiml_or_a_clear_4xx(
    target: Target,
    path: str,
    query: st.DataObject,
    fields: list[tuple[str, str]],
    to: str,
    token: str,
) -> None:
    params = {name: query.draw(query_value, label=name) for name in ROUTES[path]}
    path_qs = f"{path}?{urlencode(params)}" if params else path
    pairs = [("To", to), *fields]  # repeated keys: the form's last value is the one signed
    body = urlencode(pairs).encode()
    signed = dict(pairs)
    answer = _post(
        target, path_qs, body, FORM, twilio_signature(target.base + path_qs, signed, token)
    )
    _check(path, answer)
    # The same request again (Twilio retries): answered the same way, nothing done twice.
    again = _post(
        target, path_qs, body, FORM, twilio_signature(target.base + path_qs, signed, token)
    )
    assert again.status_code == answer.status_code
    if (
        path in CALLER_LEGS
        and ("CallSid", "") not in pairs
        and any(k == "CallSid" for k, _ in pairs)
    ):
        assert again.text == answer.text


raw_bodies = st.one_of(
    st.binary(max_size=2000),
    st.sampled_from([b"Body=%ZZ&From=%", b"From=%E9%FF%FE", b"=&=&&&", b"a" * 100_000]),
    st.builds(lambda v: json.dumps(v).encode(), st.dictionaries(st.text(), st.text())),
)
content_types = st.sampled_from([
    FORM, f"{FORM}; charset=latin-1", f"{FORM}; charset=bogus", "application/json",
    "text/plain", "multipart/form-data", "multipart/form-data; boundary=xyz", "",
])  # fmt: skip


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(path=st.sampled_from(sorted(ROUTES)), body=raw_bodies, content_type=content_types)
def test_undecodable_bodies_and_wrong_content_types_are_never_a_500(
    target: Target, path: str, body: bytes, content_type: str
) -> None:
    # Signed as if the body were empty: what a server that could not read the form would check.
    path_qs = f"{path}?contact=1&attempt=1&outbox=1"
    signature = twilio_signature(target.base + path_qs, {}, PRIMARY)
    answer = _post(target, path_qs, body, content_type, signature)
    assert answer.status_code < 500, (answer.status_code, answer.text[:200])
    assert answer.status_code in (200, 204, 400, 403, 413, 415), answer.status_code
    if answer.status_code == 200:
        assert _is_twiml(answer)


def test_forged_replayed_and_misdirected_signatures_get_403(target: Target) -> None:
    params = {"CallSid": "CA" + "f" * 32, "From": "+447797950000", "To": POLICE_LINE}
    body = urlencode(params).encode()
    for path in ROUTES:
        url = target.base + path
        forged = twilio_signature(url, params, "not-our-token")
        other_host = twilio_signature("https://attacker.example" + path, params, PRIMARY)
        other_params = twilio_signature(url, {**params, "Body": "x"}, PRIMARY)  # replayed elsewhere
        for signature in (None, "", forged, other_host, other_params, "A" * 5000):
            answer = _post(target, path, body, FORM, signature)
            assert answer.status_code == 403, (path, signature)
        # A real signature on the body it was made for is accepted (the control for the above).
        accepted = _post(target, path, body, FORM, twilio_signature(url, params, PRIMARY))
        assert accepted.status_code != 403, path


def test_oversized_bodies_get_413_and_gets_405(target: Target) -> None:
    path = "/twilio/sms/incoming"
    params = {"From": "+447797950000", "To": FOSTER_LINE, "Body": "x" * (1024**2 + 10)}
    signature = twilio_signature(target.base + path, params, PRIMARY)
    answer = _post(target, path, urlencode(params).encode(), FORM, signature)
    assert answer.status_code == 413
    for path in ROUTES:
        answer = requests.get(target.base + path, timeout=10)
        assert answer.status_code in (403, 405), path


def test_a_callers_follow_up_for_an_unknown_contact_still_rings_someone(target: Target) -> None:
    # Only a forged or corrupted URL names a contact we never opened; the caller is still real.
    for path_qs in (
        "/twilio/voice/menu?contact=999999",
        "/twilio/voice/menu?contact=x",
        "/twilio/voice/dial-result?contact=999999&attempt=1",
        "/twilio/voice/dial-result?contact=99999999999999999999&attempt=1",
    ):
        params = {"CallSid": "CA" + "e" * 32, "Digits": "1", "DialCallStatus": "no-answer"}
        signature = twilio_signature(target.base + path_qs, params, PRIMARY)
        answer = _post(target, path_qs, urlencode(params).encode(), FORM, signature)
        assert _is_twiml(answer) and "<Dial" in answer.text, (path_qs, answer.text)
