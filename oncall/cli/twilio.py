"""`oncall twilio …`: what to enter in Twilio's console, and the static fallback TwiML."""

from __future__ import annotations

import argparse
from typing import Any

from integrations.twilio import twiml
from oncall.cli.base import EXIT_OK, CommandFailed, add_command, add_group
from oncall.domain.calls import spoken
from oncall.phones import InvalidPhoneNumber, normalise_phone
from oncall.settings import Settings
from oncall.wiring import webhook_urls


def register(sub: Any) -> None:
    twilio = add_group(sub, "twilio", "Twilio set-up")
    fallback = add_command(
        twilio,
        "fallback-twiml",
        _fallback_twiml,
        "print static TwiML for each number's Fallback URL (used if the service cannot answer)",
    )
    fallback.add_argument(
        "--number",
        action="append",
        default=[],
        help="a number to ring (repeatable; default ONCALL_FALLBACK_NUMBER)",
    )
    add_command(twilio, "urls", _urls, "print the webhook URLs to enter for every number")


def _fallback_twiml(args: argparse.Namespace, settings: Settings) -> int:
    raw = args.number or ([settings.fallback_number] if settings.fallback_number else [])
    if not raw:
        raise CommandFailed("no number to ring: set ONCALL_FALLBACK_NUMBER or pass --number")
    numbers = []
    for value in raw:
        try:
            numbers.append(normalise_phone(value))
        except InvalidPhoneNumber as exc:
            raise CommandFailed(f"--number: {exc}") from None
    print(
        twiml.static_fallback(
            numbers, greeting=spoken.STATIC_GREETING, unreachable=spoken.STATIC_UNREACHABLE
        )
    )
    return EXIT_OK


def _urls(_args: argparse.Namespace, settings: Settings) -> int:
    labels = {
        "voice_url": "A call comes in (Voice URL, HTTP POST)",
        "voice_status_callback": "Call status changes (Status Callback URL, HTTP POST)",
        "sms_url": "A message comes in (Messaging URL, HTTP POST)",
    }
    for key, url in webhook_urls(settings).number_settings().items():
        print(f"{labels[key]}: {url}")
    return EXIT_OK
