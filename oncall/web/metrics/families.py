"""The database's figures and this process's loop timings as Prometheus metric families.

Names follow Prometheus conventions: an `oncall_` prefix, `_total` on counters (added by
CounterMetricFamily), `_seconds` for durations. docs/metrics.md lists every one; keep it in step.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
    SummaryMetricFamily,
)

from oncall.db.models import AlertKind, AlertStatus
from oncall.domain.metrics import ANSWER_BOUNDS, SOLVER_BOUNDS, Figures, Histogram, LoopStats

CALL_RESULTS = ("answered", "missed", "forwarded")
TIERS = ("worker", "manager")
DUTY_AT = ("now", "tonight")


def _buckets(histogram: Histogram) -> list[tuple[str, float]]:
    pairs = [
        (repr(b), float(c)) for b, c in zip(histogram.bounds, histogram.cumulative, strict=True)
    ]
    return [*pairs, ("+Inf", float(histogram.count))]


def _histogram(
    name: str,
    doc: str,
    label: str,
    by: dict[str, Histogram],
    keys: tuple[str, ...],
    empty: Histogram,
) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, doc, labels=[label])
    for key in sorted(set(keys) | set(by)):
        histogram = by.get(key, empty)
        family.add_metric([key], _buckets(histogram), histogram.total)
    return family


def call_families(f: Figures) -> Iterator[Metric]:
    lines = sorted(set(f.lines) | {line for line, _ in f.calls} | set(f.calls_in_progress))
    calls = CounterMetricFamily(
        "oncall_calls", "Calls received, by line and result (answered, missed, forwarded to the "
        "day desk).", labels=["line", "result"],
    )  # fmt: skip
    for line in lines:
        for result in CALL_RESULTS:
            calls.add_metric([line, result], f.calls.get((line, result), 0))
    yield calls
    progress = GaugeMetricFamily(
        "oncall_calls_in_progress", "Calls not yet answered or missed.", labels=["line"]
    )
    for line in lines:
        progress.add_metric([line], f.calls_in_progress.get(line, 0))
    yield progress
    texts = CounterMetricFamily(
        "oncall_texts_received", "Texts received on a line (each opens a contact).", labels=["line"]
    )
    for line in sorted(set(lines) | set(f.texts_received)):
        texts.add_metric([line], f.texts_received.get(line, 0))
    yield texts
    yield _histogram(
        "oncall_call_answer_seconds", "Time from a call's arrival to a person pressing 1.",
        "line", f.answer_seconds, tuple(lines), Histogram.of([], ANSWER_BOUNDS),
    )  # fmt: skip


def alert_families(f: Figures) -> Iterator[Metric]:
    alerts = GaugeMetricFamily(
        "oncall_alerts", "Alerts by kind and status, now.", labels=["kind", "status"]
    )
    kinds = sorted({k.value for k in AlertKind} | {k for k, _ in f.alerts})
    for kind in kinds:
        for status in AlertStatus:
            alerts.add_metric([kind, status.value], f.alerts.get((kind, status.value), 0))
    yield alerts
    yield CounterMetricFamily("oncall_alerts_raised", "Alerts raised.", value=f.alerts_raised)
    ack = f.acknowledge_seconds
    family = HistogramMetricFamily(
        "oncall_alert_acknowledge_seconds", "Time from an alert being raised to its "
        "acknowledgement.", buckets=_buckets(ack), sum_value=ack.total,
    )  # fmt: skip
    yield family
    yield GaugeMetricFamily(
        "oncall_alert_oldest_open_seconds",
        "Age of the oldest alert nobody has acknowledged (0: none).",
        value=f.oldest_open_alert_seconds,
    )
    yield CounterMetricFamily(
        "oncall_escalation_steps", "Escalation steps run (texts and calls decided).",
        value=f.escalation_steps,
    )  # fmt: skip


def message_families(f: Figures) -> Iterator[Metric]:
    messages = GaugeMetricFamily(
        "oncall_outbound_messages", "Outbox rows (texts and alert calls) by channel and status, "
        "now.", labels=["channel", "status"],
    )  # fmt: skip
    for (channel, status), n in sorted(f.messages.items()):
        messages.add_metric([channel, status], n)
    yield messages
    yield CounterMetricFamily("oncall_sms_sent", "Texts handed to the provider.", value=f.sms_sent)
    yield CounterMetricFamily(
        "oncall_sms_failed", "Texts that failed or were undelivered (final).", value=f.sms_failed
    )


def scheduler_families(f: Figures) -> Iterator[Metric]:
    yield GaugeMetricFamily(
        "oncall_escalation_due_alerts", "Open alerts whose next step is due now.",
        value=f.escalation_due,
    )  # fmt: skip
    yield GaugeMetricFamily(
        "oncall_escalation_lag_seconds",
        "How late the oldest due escalation step is now (0: none due).",
        value=f.escalation_lag_seconds,
    )
    yield GaugeMetricFamily(
        "oncall_outbox_due_messages", "Outbox rows waiting to be sent now.", value=f.outbox_due
    )
    yield GaugeMetricFamily(
        "oncall_outbox_lag_seconds", "How late the oldest waiting outbox row is now (0: none).",
        value=f.outbox_lag_seconds,
    )  # fmt: skip


def rota_families(f: Figures) -> Iterator[Metric]:
    runs = CounterMetricFamily(
        "oncall_rota_solver_runs", "Rota solver runs stored, by kind (generate, repair) and "
        "solver status.", labels=["kind", "status"],
    )  # fmt: skip
    for (kind, status), n in sorted(f.solver_runs.items()):
        runs.add_metric([kind, status], n)
    yield runs
    yield _histogram(
        "oncall_rota_solver_duration_seconds", "Wall time of each stored rota solver run.",
        "kind", f.solver_seconds, ("generate", "repair"), Histogram.of([], SOLVER_BOUNDS),
    )  # fmt: skip
    duty = GaugeMetricFamily(
        "oncall_on_duty_people", "People on duty by tier, now and tonight (22:00 local).",
        labels=["tier", "at"],
    )  # fmt: skip
    for tier in TIERS:
        for at in DUTY_AT:
            duty.add_metric([tier, at], f.on_duty.get((tier, at), 0))
    yield duty
    yield GaugeMetricFamily(
        "oncall_out_of_hours", "1 while the out-of-hours window is open.",
        value=1.0 if f.out_of_hours else 0.0,
    )  # fmt: skip


def figure_families(f: Figures) -> Iterator[Metric]:
    for group in (
        call_families,
        alert_families,
        message_families,
        scheduler_families,
        rota_families,
    ):
        yield from group(f)


def loop_families(loops: dict[str, LoopStats], enabled: bool) -> Iterator[Metric]:
    """This process's scheduler and sender loops (absent until a loop has run a pass)."""
    yield GaugeMetricFamily(
        "oncall_worker_loops_enabled",
        "1 when this process runs the escalation scheduler and outbox sender loops.",
        value=1.0 if enabled else 0.0,
    )
    duration = SummaryMetricFamily(
        "oncall_worker_loop_duration_seconds", "Passes of this process's loops and time spent.",
        labels=["loop"],
    )  # fmt: skip
    failures = CounterMetricFamily(
        "oncall_worker_loop_failures", "Loop passes that failed (retried next poll).",
        labels=["loop"],
    )  # fmt: skip
    last = GaugeMetricFamily(
        "oncall_worker_loop_last_success_timestamp_seconds",
        "Unix time of the loop's last successful pass (0: none yet).", labels=["loop"],
    )  # fmt: skip
    for name, stats in sorted(loops.items()):
        loop = name.replace(" ", "_")
        duration.add_metric([loop], stats.passes, stats.seconds_total)
        failures.add_metric([loop], stats.failures)
        last.add_metric([loop], stats.last_success_at)
    yield from (duration, failures, last)
