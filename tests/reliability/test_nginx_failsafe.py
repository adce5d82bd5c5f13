"""When the app cannot be reached at all, the shipped nginx answers a new call with the
fail-safe TwiML file the app wrote at start-up (tonight's on-duty phones and the fallback
number), and serves it at the Fallback URL too; the real nginx, in front of a stopped app.
Twilio's webhooks go to a process of their own, and to the app when that one is down."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, TCPConnector

from integrations.fake_twilio import PhoneBehaviour
from oncall import keys
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.web.twilio.failsafe import failsafe_file_twiml
from tests.deploy.files import NGINX
from tests.e2e.conftest import (
    FALLBACK,
    FRIDAY_NIGHT,
    ServerFactory,
    Service,
    free_port,
    publish_friday_night,
    start_service,
)
from tests.e2e.test_calls import POLICE_CONTROL_ROOM, outcome, script
from tests.reliability.test_provider_recovery import _age, _recover
from tests.reliability.test_webhook_budget import CHECK_S
from tests.support import load_demo_data

pytestmark = pytest.mark.skipif(
    shutil.which("nginx") is None, reason="nginx is not installed (make tools unpacks it)"
)

FALLBACK_PATH = "/twilio/voice/fallback/replace-with-a-random-word"
SITE = NGINX / "oncall.conf"
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def _nginx_conf(
    workdir: Path, app_port: int, port: int, twiml_file: Path, webhooks_port: int
) -> Path:
    snippet = (NGINX / "oncall-proxy.conf").read_text(encoding="utf-8")
    assert "/var/lib/oncall/failsafe.xml" in snippet
    (workdir / "oncall-proxy.conf").write_text(
        snippet.replace("/var/lib/oncall/failsafe.xml", str(twiml_file)), encoding="utf-8"
    )
    temp = "\n".join(f"{kind}_temp_path {workdir}/{kind};" for kind in TEMP_PATHS)
    (zone,) = re.findall(r"^limit_req_zone .*;$", SITE.read_text(encoding="utf-8"), re.MULTILINE)
    conf = workdir / "nginx.conf"
    conf.write_text(
        # As root, nginx's workers would run as nobody, who cannot enter pytest's private folders.
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"""daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log;
events {{}}
http {{
    {temp}
    {zone}
    access_log off;
    upstream oncall {{ server 127.0.0.1:{app_port}; }}
    upstream oncall_webhooks {{
        server 127.0.0.1:{webhooks_port};
        server 127.0.0.1:{app_port} backup;
    }}
    server {{
        listen 127.0.0.1:{port};
        include {workdir}/oncall-proxy.conf;
    }}
}}
""",
        encoding="utf-8",
    )
    return conf


@pytest.fixture
def nginx_workdir(tmp_path: Path) -> Path:
    workdir = tmp_path / "nginx"
    workdir.mkdir()
    return workdir


async def _wait_for_port(port: int) -> None:
    for _ in range(200):
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError(f"nginx never listened on {port}")


async def _start_nginx(
    workdir: Path, app_port: int, twiml_file: Path, webhooks_port: int | None = None
) -> tuple[Any, int]:
    """nginx in front of the app; the webhooks' own process at `webhooks_port` (None: that
    process is down, nothing listens there, and the webhooks go to the app, its backup)."""
    port = free_port()
    conf = _nginx_conf(workdir, app_port, port, twiml_file, webhooks_port or free_port())
    nginx = subprocess.Popen(  # noqa: ASYNC220  (started once; the caller stops it)
        ["nginx", "-p", str(workdir), "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    await _wait_for_port(port)
    return nginx, port


INCOMING = "/twilio/voice/incoming"


def _new_call(service: Service, digit: str) -> tuple[dict[str, str], dict[str, str]]:
    """A new police call's webhook parameters, and its headers signed as Twilio signs them."""
    params = {"CallSid": "CA" + digit * 32, "From": POLICE_CONTROL_ROOM,
              "To": service.lines["police"], "CallStatus": "ringing"}  # fmt: skip
    return params, {"X-Twilio-Signature": service.signature(INCOMING, params)}


def _stop_nginx(nginx: Any) -> None:
    nginx.terminate()
    _out, err = nginx.communicate(timeout=30)
    assert b"[emerg]" not in err, err.decode()


async def test_nginx_answers_the_fail_safe_when_the_app_is_stopped(
    aiohttp_server: ServerFactory, database: Database, nginx_workdir: Path, tmp_path: Path
) -> None:
    await load_demo_data(database)
    await publish_friday_night(database)
    twiml_file = tmp_path / "var" / "failsafe.xml"
    service = await start_service(
        aiohttp_server, database, ManualClock(FRIDAY_NIGHT),
        escalation_workers=False,  # type: ignore[arg-type]
        failsafe_twiml_file=str(twiml_file),
    )  # fmt: skip
    # Written at start-up: every phone on duty, then the fallback number, with no app URL in it.
    on_duty = [service.phones[code] for code in ("sw002", "sw004", "sm002")]
    written = twiml_file.read_text(encoding="utf-8")
    assert written == failsafe_file_twiml(tuple(on_duty), FALLBACK)
    for number in [*on_duty, FALLBACK]:  # each with machine detection, as the app's own ring
        assert f'<Number machineDetection="Enable">{number}</Number>' in written
    assert "http" not in written and "action" not in written

    nginx, port = await _start_nginx(nginx_workdir, service.server.port or 0, twiml_file)
    try:
        params, headers = _new_call(service, "5")
        path, base = INCOMING, f"http://127.0.0.1:{port}"
        async with ClientSession() as http:
            # The app answers: its own TwiML passes through (the ring-round: sw002 first).
            async with http.post(base + path, data=params, headers=headers) as answer:
                assert answer.status == 200
                body = await answer.text()
            assert "<Number url=" in body or "/twilio/voice/whisper" in body, body
            await service.server.close()  # the app stops
            async with http.post(base + path, data=params, headers=headers) as answer:
                assert answer.status == 200
                assert answer.content_type == "text/xml"
                assert await answer.text() == written
            async with http.post(base + FALLBACK_PATH, data=params) as fallback:
                assert fallback.status == 200 and await fallback.text() == written
            # Only a new call's webhook is answered so: a status callback still fails (502).
            async with http.post(base + "/twilio/voice/status", data=params) as status:
                assert status.status == 502
            async with http.get(base + "/oncall-failsafe.xml") as direct:
                assert direct.status == 404  # internal only
    finally:
        _stop_nginx(nginx)


async def test_a_voicemail_answering_nginx_s_fail_safe_ring_is_a_missed_call(
    aiohttp_server: ServerFactory, database: Database, nginx_workdir: Path, tmp_path: Path
) -> None:
    """Twilio takes each number's Fallback URL, which nginx answers with the file alone (the app
    never sees the call); voicemails answer the ring. Found afterwards in the provider's
    records, the call is a missed call, alerted, not one handled by a voicemail's owner (the
    file asks Twilio's machine detection on each number). A person who answers still counts."""
    await load_demo_data(database)
    await publish_friday_night(database)
    twiml_file = tmp_path / "var" / "failsafe.xml"
    service = await start_service(
        aiohttp_server, database, ManualClock(FRIDAY_NIGHT),
        escalation_workers=False, call_check_seconds=CHECK_S,  # type: ignore[arg-type]
        failsafe_twiml_file=str(twiml_file),
    )  # fmt: skip
    nginx, port = await _start_nginx(nginx_workdir, service.server.port or 0, twiml_file)
    police = service.fake.numbers[service.lines["police"]]
    saved = police.voice_url
    try:
        police.voice_url = f"http://127.0.0.1:{port}{FALLBACK_PATH}"  # as Twilio's fallback
        script(service, sw002=PhoneBehaviour.VOICEMAIL, sw004=PhoneBehaviour.VOICEMAIL)
        service.fake.phones.set(service.phones["sm002"], PhoneBehaviour.VOICEMAIL)
        to_voicemail = await service.fake.place_inbound_call(
            from_=POLICE_CONTROL_ROOM, to=service.lines["police"]
        )
        await service.fake.settle()
        script(service, sw002=PhoneBehaviour.NO_ANSWER, sw004=PhoneBehaviour.ACCEPT)
        to_a_person = await service.fake.place_inbound_call(
            from_=POLICE_CONTROL_ROOM, to=service.lines["police"]
        )
        await service.fake.settle()
    finally:
        police.voice_url = saved
        _stop_nginx(nginx)
    assert any(e.data.get("bridged") for e in to_voicemail.events)  # a voicemail took the caller
    _age(service)
    found = await _recover(service)
    assert sorted(found.calls) == sorted([to_voicemail.call_sid, to_a_person.call_sid])
    await service.clock.advance(CHECK_S + 1)
    assert await service.app[keys.CALL_CHECK].run_once() != []
    missed = await outcome(service, to_voicemail)
    assert "call.connected_per_provider" not in missed.kinds()
    assert "call.unanswered" in missed.kinds()
    assert missed.handled_by is None and missed.contact.status == "missed"
    assert [a.kind for a in missed.alerts] == ["missed_call"]
    answered = await outcome(service, to_a_person)
    assert "call.connected_per_provider" in answered.kinds()
    assert answered.handled_by == "sw004" and answered.alerts == []


async def test_calls_reach_the_webhook_process_while_the_app_is_stopped(
    aiohttp_server: ServerFactory, database: Database, nginx_workdir: Path, tmp_path: Path
) -> None:
    """The shipped layout: Twilio's webhooks go to a process of their own (docs/routing.md,
    "Isolation"). With the app's process stopped (a crash, a deploy, a page that hangs it),
    a new call still gets the ring-round from the webhook process, not the fail-safe file."""
    await load_demo_data(database)
    await publish_friday_night(database)
    twiml_file = tmp_path / "var" / "failsafe.xml"
    clock = ManualClock(FRIDAY_NIGHT)
    app = await start_service(aiohttp_server, database, clock, escalation_workers=False,  # type: ignore[arg-type]
                              failsafe_twiml_file=str(twiml_file))  # fmt: skip
    webhooks = await start_service(aiohttp_server, database, clock, escalation_workers=False)  # type: ignore[arg-type]
    nginx, port = await _start_nginx(
        nginx_workdir, app.server.port or 0, twiml_file, webhooks.server.port
    )
    try:
        await app.server.close()
        params, headers = _new_call(webhooks, "6")
        path, base = INCOMING, f"http://127.0.0.1:{port}"
        async with ClientSession() as http:
            async with http.post(base + path, data=params, headers=headers) as answer:
                assert answer.status == 200
                body = await answer.text()
            assert body != twiml_file.read_text(encoding="utf-8")
            assert "/twilio/voice/whisper" in body, body  # the ring-round: sw002 first
            async with http.get(base + "/login") as page:
                assert page.status == 502  # the pages were the stopped app's
    finally:
        _stop_nginx(nginx)


def _limit(name: str) -> int:
    """A figure of the webhooks' per-address limit, as the shipped files set it."""
    texts = SITE.read_text(encoding="utf-8") + (NGINX / "oncall-proxy.conf").read_text("utf-8")
    (rate,) = re.findall(r"zone=oncall_twilio:\S+ rate=(\d+)r/s;", texts)
    bursts = set(re.findall(r"limit_req zone=oncall_twilio burst=(\d+) nodelay;", texts))
    (burst,) = bursts  # the same for every webhook location
    return int({"rate": rate, "burst": burst}[name])


async def test_a_flood_of_forged_webhooks_from_one_address_stops_at_nginx(
    aiohttp_server: ServerFactory, database: Database, nginx_workdir: Path, tmp_path: Path
) -> None:
    """Past the burst nginx answers 429 itself, so a flood from one address costs the webhook
    process nothing; and a forged new call never gets the fail-safe file (it names the on-duty
    phones), however the flood goes."""
    await load_demo_data(database)
    await publish_friday_night(database)
    twiml_file = tmp_path / "var" / "failsafe.xml"
    clock = ManualClock(FRIDAY_NIGHT)
    webhooks = await start_service(aiohttp_server, database, clock, escalation_workers=False,  # type: ignore[arg-type]
                                   failsafe_twiml_file=str(twiml_file))  # fmt: skip
    port_of_app = webhooks.server.port or 0
    nginx, port = await _start_nginx(nginx_workdir, port_of_app, twiml_file, port_of_app)
    burst, rate = _limit("burst"), _limit("rate")
    params, _headers = _new_call(webhooks, "7")
    statuses: Counter[int] = Counter()
    failsafe = twiml_file.read_text(encoding="utf-8")
    try:
        async with ClientSession(connector=TCPConnector(limit=50)) as http:

            async def forged() -> None:
                async with http.post(
                    f"http://127.0.0.1:{port}{INCOMING}", data=params,
                    headers={"X-Twilio-Signature": "Zm9yZ2Vk"},
                ) as answer:  # fmt: skip
                    statuses[answer.status] += 1
                    assert await answer.text() != failsafe

            started = time.monotonic()
            await asyncio.gather(*(forged() for _ in range(burst + 600)))
            seconds = time.monotonic() - started
    finally:
        _stop_nginx(nginx)
    assert set(statuses) <= {403, 429}, statuses
    # What reached the app: the burst, and the rate for the flood's length (plus one each way).
    assert statuses[403] <= burst + 1 + rate * (seconds + 1), (statuses, seconds)
    assert statuses[429] > 0, (statuses, seconds)
