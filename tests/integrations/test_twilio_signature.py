"""Webhook signature checks: the real library's algorithm, several tokens, query strings."""

from __future__ import annotations

from twilio.request_validator import RequestValidator

from integrations.twilio import validate_signature

URL = "https://oncall.example.gov.je/twilio/voice/incoming"
PARAMS = {"CallSid": "CA" + "1" * 32, "From": "+441534123456", "To": "+441534000001"}
TOKEN = "primary-token"
NEXT_TOKEN = "secondary-token"


def _sign(token: str, url: str = URL, params: dict[str, str] = PARAMS) -> str:
    signature: str = RequestValidator(token).compute_signature(url, params)
    return signature


def test_valid_signature_is_accepted() -> None:
    assert validate_signature(URL, PARAMS, _sign(TOKEN), [TOKEN])


def test_forged_signature_is_refused() -> None:
    assert not validate_signature(URL, PARAMS, _sign("attacker-guess"), [TOKEN])


def test_tampered_params_are_refused() -> None:
    tampered = {**PARAMS, "From": "+449999999999"}
    assert not validate_signature(URL, tampered, _sign(TOKEN), [TOKEN])


def test_absent_signature_is_refused() -> None:
    assert not validate_signature(URL, PARAMS, "", [TOKEN])


def test_second_token_is_accepted_during_rotation() -> None:
    signature = _sign(NEXT_TOKEN)
    assert validate_signature(URL, PARAMS, signature, [TOKEN, NEXT_TOKEN])
    assert not validate_signature(URL, PARAMS, signature, [TOKEN])


def test_no_tokens_accepts_nothing() -> None:
    assert not validate_signature(URL, PARAMS, _sign(TOKEN), [])
    assert not validate_signature(URL, PARAMS, _sign(""), [""])


def test_url_with_query_string_is_part_of_the_signature() -> None:
    url = URL.replace("incoming", "dial-result") + "?contact=0412&attempt=2"
    signature = _sign(TOKEN, url)
    assert validate_signature(url, PARAMS, signature, [TOKEN])
    assert not validate_signature(url.replace("attempt=2", "attempt=3"), PARAMS, signature, [TOKEN])


def test_get_webhook_with_params_in_the_query_only() -> None:
    url = URL + "?CallSid=CA1&From=%2B441534123456"
    assert validate_signature(url, {}, _sign(TOKEN, url, {}), [TOKEN])
