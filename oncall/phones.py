"""Phone numbers: validation into E.164 and masking for logs."""

from __future__ import annotations

import re

import phonenumbers

DEFAULT_REGION = "JE"


class InvalidPhoneNumber(ValueError):
    """A phone number that cannot be parsed or is not a valid number."""


def normalise_phone(raw: str, *, region: str = DEFAULT_REGION) -> str:
    """Parse a number as a person would type it and return it in E.164 (`+441534612612`)."""
    text = raw.strip()
    if not text:
        raise InvalidPhoneNumber("phone number is empty")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(f"not a phone number: {mask_phone(text)!r}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(f"not a valid phone number: {mask_phone(text)!r}")
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def display_phone(e164: str) -> str:
    """A number in the international format people read (`+44 1534 612612`)."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL))


# A run that starts with + or 0 and is not part of a reference such as OOH-2027-00042.
_PHONE_LIKE = re.compile(r"(?<![\w-])(?:\+|0)\d[\d \-()]{6,}\d")


def mask_phone(text: str) -> str:
    """Hide all but the last three digits of every phone-like run of digits in `text`."""

    def hide(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if len(digits) < 7:
            return match.group(0)
        prefix = "+" if match.group(0).startswith("+") else ""
        return f"{prefix}{'*' * (len(digits) - 3)}{digits[-3:]}"

    return _PHONE_LIKE.sub(hide, text)
