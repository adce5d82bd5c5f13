"""Checks the X-Twilio-Signature of an incoming webhook against one or more auth tokens."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from twilio.request_validator import RequestValidator

SIGNATURE_HEADER = "X-Twilio-Signature"


def validate_signature(
    url: str, params: Mapping[str, str], signature: str, auth_tokens: Sequence[str]
) -> bool:
    """True if `signature` signs `url` + `params` with any of `auth_tokens`.

    `url` is the full public URL Twilio requested, query string included; `params` are the POST
    form fields (empty for GET). Several tokens are accepted so the auth token can be rotated
    without dropping calls: Twilio signs with the primary token, which changes at promotion.
    """
    if not signature:
        return False
    plain = dict(params)
    return any(
        RequestValidator(token).validate(url, plain, signature) for token in auth_tokens if token
    )
