"""Answering Twilio: a TwiML document as the HTTP response, and the status words it sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from aiohttp import web

from integrations.twilio import TWIML_CONTENT_TYPE
from oncall.log import get_logger

log = get_logger(__name__)

T = TypeVar("T")


def twiml_response(body: str) -> web.Response:
    """The HTTP answer carrying one TwiML document."""
    return web.Response(text=body, content_type=TWIML_CONTENT_TYPE, charset="utf-8")


def status_in(params: dict[str, str], field: str, translate: Callable[[str], T | None]) -> T | None:
    """The status word in `field`, in our words (`integrations.twilio.words`); None for a word
    with no translation, logged: Twilio may add words, and the webhook is answered all the same."""
    word = params.get(field, "")
    ours = translate(word)
    if ours is None:
        log.warning("Twilio status word not known", field=field, word=word[:40])
    return ours
