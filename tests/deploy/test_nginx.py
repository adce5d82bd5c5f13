"""The nginx sites: parsed by nginx's rules, proxying unchanged URLs to the app's real address."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.files import NGINX, SYSTEMD
from tests.deploy.nginx_config import Directive, inlined, main_config, parse, upstream_servers, walk

SITES = [NGINX / "oncall.conf", NGINX / "compose.conf"]
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def _directives(site: Path, workdir: Path) -> list[Directive]:
    result = parse(main_config(site, workdir))
    assert result["status"] == "ok", [e["error"] for e in result["errors"]]
    return inlined(result)


def _servers(directives: list[Directive]) -> dict[str, list[Directive]]:
    """Each server block's directives, keyed by its first listen port."""
    servers = {}
    for directive, parents in walk(directives):
        if directive["directive"] == "server" and parents[-1]["directive"] == "http":
            block = directive["block"]
            listen = next(d["args"] for d in block if d["directive"] == "listen")
            servers[listen[0].rsplit(":", 1)[-1]] = block
    return servers


def _in(block: list[Directive], name: str) -> list[list[str]]:
    return [d["args"] for d, _ in walk(block) if d["directive"] == name]


@pytest.mark.parametrize("site", SITES, ids=lambda p: p.name)
def test_site_parses_with_each_directive_in_its_place(site: Path, tmp_path: Path) -> None:
    servers = _servers(_directives(site, tmp_path))
    assert set(servers) == {"80", "443"}
    assert ["301", "https://$host$request_uri"] in _in(servers["80"], "return")
    tls = servers["443"]
    assert ["443", "ssl"] in _in(tls, "listen")
    assert _in(tls, "ssl_certificate") and _in(tls, "ssl_certificate_key")
    assert _in(tls, "ssl_protocols") == [["TLSv1.2", "TLSv1.3"]]


@pytest.mark.parametrize("site", SITES, ids=lambda p: p.name)
def test_requests_reach_the_app_unchanged_with_forwarded_headers(
    site: Path, tmp_path: Path
) -> None:
    tls = _servers(_directives(site, tmp_path))["443"]
    root = next(d["block"] for d in tls if d["directive"] == "location" and d["args"] == ["/"])
    # No URI after the upstream: nginx then passes the request line as received, which is what
    # Twilio signed (ONCALL_PUBLIC_URL + path + query).
    assert _in(root, "proxy_pass") == [["http://oncall"]]
    headers = {args[0]: args[1] for args in _in(root, "proxy_set_header")}
    assert headers["Host"] == "$host"
    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["X-Request-Id"] == "$request_id"
    metrics = next(
        d["block"] for d in tls if d["directive"] == "location" and d["args"] == ["=", "/metrics"]
    )
    assert _in(metrics, "deny") == [["all"]]


def _listens_on(unit: str) -> str:
    text = (SYSTEMD / unit).read_text(encoding="utf-8")
    environment = dict(
        pair.split("=", 1)
        for line in text.splitlines()
        if line.startswith("Environment=")
        for pair in line.removeprefix("Environment=").split()
    )
    return f"{environment['ONCALL_HOST']}:{environment['ONCALL_PORT']}"


def test_plain_server_site_proxies_to_the_addresses_the_systemd_units_listen_on(
    tmp_path: Path,
) -> None:
    directives = _directives(NGINX / "oncall.conf", tmp_path)
    app, webhooks = _listens_on("oncall.service"), _listens_on("oncall-webhooks.service")
    assert upstream_servers(directives, "oncall") == [app]
    # Twilio's webhooks: their own process first, the app when it is down.
    assert upstream_servers(directives, "oncall_webhooks") == [webhooks, app]


@pytest.mark.parametrize("site", SITES, ids=lambda p: p.name)
def test_every_twilio_webhook_goes_to_the_webhook_process_and_nothing_else_does(
    site: Path, tmp_path: Path
) -> None:
    tls = _servers(_directives(site, tmp_path))["443"]
    passes = {
        " ".join(d["args"]): _in(d["block"], "proxy_pass")
        for d in tls
        if d["directive"] == "location" and _in(d["block"], "proxy_pass")
    }
    webhooks = [["http://oncall_webhooks"]]
    assert passes["/twilio/"] == passes["= /twilio/voice/incoming"] == webhooks
    assert all(v != webhooks for k, v in passes.items() if "/twilio/" not in k), passes
    backup = [
        d["args"]
        for d, parents in walk(_directives(site, tmp_path))
        if d["directive"] == "server" and parents[-1]["args"] == ["oncall_webhooks"]
    ][-1]
    assert "backup" in backup, backup


def test_a_broken_site_is_caught(tmp_path: Path) -> None:
    broken = tmp_path / "broken" / "oncall.conf"
    broken.parent.mkdir()
    text = (NGINX / "oncall.conf").read_text(encoding="utf-8")
    broken.write_text(text.replace("keepalive 16;", "keepalive 16"), encoding="utf-8")
    result = parse(main_config(broken, tmp_path))
    assert result["status"] == "failed"
    assert "keepalive" in result["errors"][0]["error"]


@pytest.mark.skipif(
    shutil.which("nginx") is None or shutil.which("openssl") is None,
    reason="nginx (and openssl, for a throw-away certificate) are not installed",
)
def test_nginx_accepts_the_plain_server_site(tmp_path: Path) -> None:
    # The compose site needs nginx 1.27.3+ (`resolve` upstreams) and Docker's DNS, so only the
    # plain server's site is run through `nginx -t`; crossplane checks both above.
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=oncall.example.org", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    site = tmp_path / "site" / "oncall.conf"
    site.parent.mkdir()
    text = (NGINX / "oncall.conf").read_text(encoding="utf-8")
    text = text.replace("/etc/letsencrypt/live/oncall.example.org/fullchain.pem", str(cert))
    text = text.replace("/etc/letsencrypt/live/oncall.example.org/privkey.pem", str(key))
    text = text.replace("/var/log/nginx/", f"{tmp_path}/")
    site.write_text(text, encoding="utf-8")
    # Paths nginx would otherwise write to under /var (the test need not run as root).
    writable = [f"{kind}_temp_path {tmp_path}/{kind};" for kind in TEMP_PATHS]
    writable.append("access_log off;")
    main = main_config(site, tmp_path, http_extra="\n".join(writable))
    main.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n" + main.read_text()
    )
    checked = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(main)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("site", SITES, ids=lambda p: p.name)
def test_access_log_never_records_a_query_string_or_an_outcome_token(
    site: Path, tmp_path: Path
) -> None:
    directives = _directives(site, tmp_path)
    logs = [
        args for d, _ in walk(directives) if d["directive"] == "access_log" for args in [d["args"]]
    ]
    assert logs and all(args[1:] == ["oncall"] for args in logs), logs
    (log_format,) = [d["args"] for d, _ in walk(directives) if d["directive"] == "log_format"]
    text = " ".join(log_format[1:])
    for variable in ("$request ", "$request_uri", "$args", "$query_string", "$uri"):
        assert variable not in text + " ", variable
    (masks,) = [d["block"] for d, _ in walk(directives) if d["directive"] == "map"]
    assert {m["directive"]: m["args"] for m in masks}["~^/outcome/"] == ["/outcome/..."]


@pytest.mark.parametrize("site", SITES, ids=lambda p: p.name)
def test_the_site_hides_nginx_s_version_and_leaves_the_app_s_security_headers_alone(
    site: Path, tmp_path: Path
) -> None:
    from oncall.web.headers import SECURITY_HEADERS

    tls = _servers(_directives(site, tmp_path))["443"]
    assert _in(tls, "server_tokens") == [["off"]]
    added = {args[0].lower() for args in _in(tls, "add_header")}
    hidden = {args[0].lower() for args in _in(tls, "proxy_hide_header")}
    # The app's headers reach the browser once, as the app wrote them (the outcome page's
    # stricter Referrer-Policy included): the proxy neither adds a second copy nor drops them.
    assert not added & {name.lower() for name in SECURITY_HEADERS}, added
    assert not hidden & {name.lower() for name in SECURITY_HEADERS}, hidden
    assert "strict-transport-security" in added
