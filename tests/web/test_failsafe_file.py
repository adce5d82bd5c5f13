"""The fail-safe TwiML file (ONCALL_FAILSAFE_TWIML_FILE) when replicas share its folder."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from oncall import keys
from oncall.settings import load_settings
from oncall.web.twilio.failsafe import DutyNumbers, failsafe_file_twiml, write_failsafe_file


async def test_a_replica_never_writes_into_or_moves_another_replicas_partial_file(
    tmp_path: Path,
) -> None:
    target = tmp_path / "failsafe.xml"
    app = web.Application()
    app[keys.SETTINGS] = load_settings(
        {"ONCALL_FAILSAFE_TWIML_FILE": str(target), "ONCALL_FALLBACK_NUMBER": "+441534700199"}
    )
    app[keys.DUTY_NUMBERS] = DutyNumbers(numbers=("+441534700101",))
    # Another replica (same volume, docker compose's two replicas) is half-way through its write,
    # under the name every writer used to share.
    theirs = tmp_path / ".failsafe.xml.partial"
    theirs.write_text("<Response><Dial>", encoding="utf-8")

    assert await write_failsafe_file(app)

    assert target.read_text(encoding="utf-8") == failsafe_file_twiml(
        ("+441534700101",), "+441534700199"
    )
    # Their half-written file is untouched, so their own replace installs their whole file
    # (not this one's content under their name, nor a half file under the target's).
    assert theirs.read_text(encoding="utf-8") == "<Response><Dial>"
    assert target.stat().st_mode & 0o777 == 0o644
