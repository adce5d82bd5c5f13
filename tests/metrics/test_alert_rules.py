"""deploy/prometheus: the alert rules name only metrics and labels that /metrics exposes.

The rule file is read as YAML and each `expr` is checked against a real scrape of the service: a
renamed metric or label breaks this test rather than silently disabling an alert. promtool (which
`make test` unpacks from Debian's prometheus package into .venv/tools) checks the files as well.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml  # type: ignore[import-untyped]
from aiohttp.test_utils import TestServer

from oncall.app import create_app
from oncall.clock import ManualClock
from oncall.db.engine import Database
from oncall.settings import load_settings
from tests.e2e.conftest import FRIDAY_NIGHT, ServerFactory
from tests.metrics.scrape import Scrape, get_metrics, parse
from tests.support import load_demo_data

PROMETHEUS = Path(__file__).parents[2] / "deploy" / "prometheus"
RULES = PROMETHEUS / "alerts.yml"
DOCS = Path(__file__).parents[2] / "docs" / "metrics.md"
# PromQL words the rules may use besides metric names (functions, aggregations, operators).
PROMQL = frozenset(
    {
        "sum", "min", "max", "avg", "count", "by", "without", "on", "ignoring", "group_left",
        "group_right", "and", "or", "unless", "bool", "rate", "increase", "time", "absent",
        "clamp_min", "clamp_max", "offset",
    }
)  # fmt: skip
SERIES_FROM_PROMETHEUS = frozenset({"up"})  # made by Prometheus itself for each target
TARGET_LABELS = frozenset({"job", "instance"})  # added by Prometheus to every series
SUFFIXES = ("", "_total", "_bucket", "_sum", "_count")


def _rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def _names_and_matchers(expr: str) -> tuple[set[str], list[tuple[str, set[str]]]]:
    """Identifiers that are not PromQL words, and each metric's label matchers."""
    matchers = [
        (name, set(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", body)))
        for name, body in re.findall(r"([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}", expr)
    ]
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\"[^\"]*\"", " ", expr)
    bare = re.sub(r"\b(?:by|without|on|ignoring)\s*\([^)]*\)", " ", bare)
    words = set(re.findall(r"\b[a-zA-Z_:][\w:]*\b", bare)) - PROMQL
    return words, matchers


async def _scrape_with_everything(aiohttp_server: ServerFactory, sqlite_url: str) -> Scrape:
    """A scrape after a loop pass and a webhook request, so every family has samples."""
    database = Database.connect(sqlite_url)
    await load_demo_data(database)  # lines, so the per-line series exist
    await database.dispose()
    settings = load_settings({"ONCALL_DATABASE_URL": sqlite_url})  # loops on, as in production
    server: TestServer = await aiohttp_server(create_app(settings, clock=ManualClock(FRIDAY_NIGHT)))
    url = str(server.make_url("/metrics"))
    async with aiohttp.ClientSession() as session:
        await session.post(server.make_url("/twilio/voice/incoming"), data={"CallSid": "CA1"})
    for _ in range(200):  # the loops' first pass runs as the app starts; wait for it
        _, text = await get_metrics(url)
        scrape = parse(text)
        if scrape.values("oncall_worker_loop_last_success_timestamp_seconds"):
            return scrape
        await asyncio.sleep(0.05)
    raise AssertionError("the escalation loops never completed a pass")


def test_every_rule_has_a_name_severity_duration_and_summary() -> None:
    rules = _rules()
    assert len(rules) >= 10
    assert len({r["alert"] for r in rules}) == len(rules)
    for rule in rules:
        assert rule["alert"].startswith("Oncall"), rule
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
    for must in (
        "OncallEscalationSchedulerStalled",
        "OncallSmsFailures",
        "OncallNobodyOnDutyTonight",
    ):
        assert must in {r["alert"] for r in rules}


async def test_every_rule_names_only_exposed_metrics_and_labels(
    aiohttp_server: ServerFactory, sqlite_url: str
) -> None:
    scrape = await _scrape_with_everything(aiohttp_server, sqlite_url)
    exposed = scrape.sample_names | {f + s for f in scrape.families for s in SUFFIXES}
    labels: dict[str, set[str]] = {}
    for name, pairs in scrape.samples:
        labels.setdefault(name, set()).update(label for label, _ in pairs)
    for rule in _rules():
        words, matchers = _names_and_matchers(rule["expr"])
        unknown = words - exposed - SERIES_FROM_PROMETHEUS
        assert not unknown, f"{rule['alert']}: not exposed by /metrics: {sorted(unknown)}"
        for name, used in matchers:
            if name in SERIES_FROM_PROMETHEUS:
                continue
            missing = used - labels.get(name, set()) - TARGET_LABELS
            assert not missing, f"{rule['alert']}: {name} has no label {sorted(missing)}"
        grouped = {
            label.strip()
            for clause in re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", rule["expr"])
            for label in clause.split(",")
            if label.strip()
        }
        known = set(TARGET_LABELS).union(*(labels.get(w, set()) for w in words))
        assert grouped <= known, f"{rule['alert']}: groups by unknown {sorted(grouped - known)}"


async def test_docs_list_every_exposed_metric_and_no_other(
    aiohttp_server: ServerFactory, sqlite_url: str
) -> None:
    scrape = await _scrape_with_everything(aiohttp_server, sqlite_url)
    documented = set(re.findall(r"^\| `(oncall_\w+)`", DOCS.read_text(), flags=re.MULTILINE))
    exposed = {
        name + "_total" if kind == "counter" else name
        for name, kind in scrape.families.items()
        if name.startswith("oncall_")
    }
    assert documented == exposed


def test_the_rule_file_and_scrape_config_are_what_prometheus_loads() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    assert config["rule_files"] == [RULES.name]
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert jobs == {"oncall"}
    jobs_in_rules = set(re.findall(r'job="([^"]+)"', RULES.read_text()))
    assert jobs_in_rules == jobs


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_promtool_accepts_the_files() -> None:
    promtool = str(shutil.which("promtool"))
    for args in (
        ["check", "rules", str(RULES)],
        ["check", "config", "--syntax-only", str(PROMETHEUS / "prometheus.yml")],
        ["test", "rules", str(PROMETHEUS / "alerts_test.yml")],
    ):
        done = subprocess.run([promtool, *args], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
