"""One replica of the service for fault tests and the load bench (run as a program).

The app as `oncall serve` builds it (settings from ONCALL_*, scheduler and sender loops on) with
two differences: the demo clock starts at `--start` (so the on-duty cache is filled for that
night at start-up), and the Twilio REST client gives up after `--rest-timeout` seconds, so a test
of a lost answer waits seconds rather than ten.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import signal
from datetime import datetime

from aiohttp import web

from integrations.twilio import TwilioTelephony
from oncall.app import create_app
from oncall.clock import OffsetClock
from oncall.log import configure_logging
from oncall.settings import load_settings


async def _serve(start: datetime, rest_timeout: float, sms_per_minute: int | None) -> None:
    """The replica program: the app as `oncall serve` builds it, until SIGTERM."""
    settings = load_settings()
    if sms_per_minute is not None:  # the load bench's one duty worker gets every alert's text
        settings = dataclasses.replace(settings, sms_per_minute_per_number=sms_per_minute)
    configure_logging(log_format=settings.log_format, level=settings.log_level)
    clock = OffsetClock()
    clock.set(start)
    telephony = TwilioTelephony(
        account_sid=settings.account_sid,
        auth_token=settings.auth_tokens[0],
        api_base=settings.rest_api_base,
        timeout=rest_timeout,
    )
    runner = web.AppRunner(create_app(settings, clock=clock, telephony=telephony), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.host, settings.port).start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", required=True, help="the demo clock's start (ISO, with offset)")
    parser.add_argument("--rest-timeout", type=float, default=10.0)
    parser.add_argument("--sms-per-minute", type=int, help="beyond the setting's limit of 60")
    args = parser.parse_args()
    asyncio.run(_serve(datetime.fromisoformat(args.start), args.rest_timeout, args.sms_per_minute))
