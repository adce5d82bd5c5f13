"""GET /metrics in Prometheus's text format: database figures, this process's loops and requests.

Business figures are read from the database at scrape time (every replica reports the same
truth; a restart loses nothing), at most once per CACHE_SECONDS of the service's clock per
process, one read at a time, so a storm of scrapes cannot load the database. Request counts and
latencies, loop timings and process figures belong to this process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from sqlalchemy.exc import SQLAlchemyError

from oncall import keys
from oncall.db.engine import DatabaseUnavailable
from oncall.domain.metrics import Figures, loop_stats, read_figures
from oncall.log import get_logger
from oncall.settings import Settings
from oncall.web.metrics.access import refusal
from oncall.web.metrics.families import figure_families, loop_families

log = get_logger(__name__)

CACHE_SECONDS = 10.0  # figures older than this (service clock) are read again
READ_TIMEOUT_S = 10.0
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

routes = web.RouteTableDef()


@dataclass(slots=True)
class FiguresCache:
    """The last read of the database's figures (None when it failed), and when it was made."""

    ttl_s: float = CACHE_SECONDS
    figures: Figures | None = None
    read_seconds: float = 0.0
    read_at: datetime | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def fresh(self, now: datetime) -> bool:
        # A clock set back (demo) makes the age negative: read again.
        return self.read_at is not None and 0 <= (now - self.read_at).total_seconds() < self.ttl_s

    async def refresh(self, app: web.Application) -> None:
        async with self.lock:  # concurrent scrapes wait for one read and share it
            now = app[keys.CLOCK].now()
            if self.fresh(now):
                return
            started = time.perf_counter()
            try:
                async with asyncio.timeout(READ_TIMEOUT_S):
                    async with app[keys.DATABASE].sessions() as session:
                        zone = app[keys.SETTINGS].zone
                        self.figures = await read_figures(session, now=now, zone=zone)
            except (SQLAlchemyError, OSError, TimeoutError, DatabaseUnavailable) as exc:
                self.figures = None
                log.warning("metrics: the database could not be read", error=type(exc).__name__)
            self.read_seconds = time.perf_counter() - started
            self.read_at = now


class _DatabaseCollector:
    """The cached figures as families, with whether the database answered and how fast."""

    def __init__(self, cache: FiguresCache) -> None:
        self._cache = cache

    def collect(self) -> Iterable[Metric]:
        figures = self._cache.figures
        yield GaugeMetricFamily(
            "oncall_database_up",
            "1 when this process's last read of the figures from the database succeeded.",
            value=0.0 if figures is None else 1.0,
        )
        yield GaugeMetricFamily(
            "oncall_metrics_read_seconds",
            "How long this process's last read of the figures from the database took.",
            value=self._cache.read_seconds,
        )
        if figures is not None:
            yield from figure_families(figures)


class _LoopCollector:
    def __init__(self, enabled: bool) -> None:
        self._enabled = enabled

    def collect(self) -> Iterable[Metric]:
        yield from loop_families(loop_stats(), self._enabled)


@dataclass(slots=True)
class MetricsState:
    """One registry per app (tests build many apps in one process)."""

    registry: CollectorRegistry
    cache: FiguresCache
    requests: Counter
    latency: Histogram


def metrics_state(settings: Settings) -> MetricsState:
    """The app's registry (app[keys.METRICS]); `measure` and /metrics read it."""
    disable_created_metrics()  # type: ignore[no-untyped-call]  # *_created series: noise
    registry = CollectorRegistry()
    for collector in (ProcessCollector, PlatformCollector, GCCollector):
        collector(registry=registry)
    cache = FiguresCache()
    registry.register(_DatabaseCollector(cache))
    registry.register(_LoopCollector(settings.escalation_workers))
    requests = Counter(
        "oncall_http_requests", "HTTP requests this process answered, by route, method and "
        "status.", ["route", "method", "status"], registry=registry,
    )  # fmt: skip
    latency = Histogram(
        "oncall_http_request_duration_seconds", "Time this process took to answer, by route.",
        ["route"], registry=registry,
    )  # fmt: skip
    return MetricsState(registry, cache, requests, latency)


def _route(request: web.Request) -> str:
    """The route's pattern (never the path: ids and tokens stay out of labels)."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def measure(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count and time every request by route pattern and status (the outermost middleware, so it
    times everything)."""
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        state = request.config_dict[keys.METRICS]
        route = _route(request)
        method = request.method if request.method in METHODS else "other"
        state.requests.labels(route, method, str(status)).inc()
        state.latency.labels(route).observe(time.perf_counter() - started)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    refused = refusal(request, request.config_dict[keys.SETTINGS])
    if refused is not None:
        return refused
    state = request.config_dict[keys.METRICS]
    await state.cache.refresh(request.app)
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return web.Response(body=encoder(state.registry), headers={"Content-Type": content_type})
