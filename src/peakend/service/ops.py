"""Operations (`ws.ops`): what monitoring scrapes (`/metrics`, Prometheus text) and asks (`/healthz`, `/readyz`).

Figures kept in the store (ingest and quarantine totals, the job queue, live alerts and cases, the outbox and the
deliveries) are read from it at each scrape, so every process of a server tells the same; figures of this process
only (request latency by route, deliveries it made) are prometheus-client metrics of this module's registry.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric

from peakend.store.db import migrations

if TYPE_CHECKING:
    from peakend.service.workspace import Workspace

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Histogram("peakend_http_request_seconds", "Time to answer a request, by route template, method and status",
                     ["route", "method", "status"], registry=REGISTRY,
                     buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
DELIVERIES = Counter("peakend_webhook_deliveries", "Webhook and robot deliveries this process made, by outcome",
                     ["channel", "outcome"], registry=REGISTRY)
LATENCY_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 300, 1800)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
HEARTBEAT = "worker_heartbeat"  # its row in table `store_secrets` (the store's key-value table): epoch seconds
BEAT_S = 10.0  # a worker writes its heartbeat this often
STALE_S = 60.0  # and is taken for dead when the newest is older than this


def count_delivery(channel: str, outcome: str, n: int = 1) -> None:
    """Count `n` deliveries of `channel` that ended in `outcome` (sent, failed, gone)."""
    DELIVERIES.labels(channel, outcome).inc(n)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count one request's latency under its route template."""
    REQUESTS.labels(route, method, str(status)).observe(seconds)


class StoreCollector:
    """The figures kept in the store, read at each scrape."""

    def __init__(self, ws: Workspace):
        self.ws = ws

    def collect(self) -> Iterator[Metric]:
        store = self.ws.store
        rows = CounterMetricFamily("peakend_ingest_rows", "Rows read from files, by kind", labels=["kind"])
        stored = CounterMetricFamily("peakend_ingest_stored", "Records stored from files, by kind", labels=["kind"])
        quarantined = CounterMetricFamily("peakend_ingest_quarantined", "File rows quarantined, by kind",
                                          labels=["kind"])
        for kind, read, kept, bad in store.rows("SELECT kind, sum(rows_read), sum(stored), sum(quarantined) "
                                                "FROM ingest_log GROUP BY kind ORDER BY kind"):
            rows.add_metric([str(kind)], float(read or 0))
            stored.add_metric([str(kind)], float(kept or 0))
            quarantined.add_metric([str(kind)], float(bad or 0))
        yield from (rows, stored, quarantined)
        records = GaugeMetricFamily("peakend_records", "Records stored, by table (device posts and files alike)",
                                    labels=["table"])
        for table in ("visits", "touches", "surveys", "audits"):
            records.add_metric([table], float(store.scalar(f"SELECT count(*) FROM {table}")))
        yield records
        yield GaugeMetricFamily("peakend_quarantine_rows", "Rows held in quarantine",
                                value=float(store.scalar("SELECT count(*) FROM quarantine")))
        jobs = GaugeMetricFamily("peakend_jobs", "Jobs by state", labels=["state"])
        for state, n in store.rows("SELECT state, count(*) FROM jobs GROUP BY state ORDER BY state"):
            jobs.add_metric([str(state)], float(n))
        yield jobs
        oldest = store.scalar("SELECT min(created_at) FROM jobs WHERE state = 'queued'")
        yield GaugeMetricFamily("peakend_jobs_oldest_queued_seconds", "Age of the oldest queued job (0: none)",
                                value=_age(oldest))
        yield GaugeMetricFamily("peakend_live_backlog", "Visits queued for the live rules",
                                value=float(store.scalar("SELECT count(*) FROM live_pending")))
        since = datetime.now() - timedelta(hours=24)
        yield GaugeMetricFamily("peakend_alerts_24h", "Recovery alerts fired in the last 24 hours",
                                value=float(store.scalar("SELECT count(*) FROM alerts WHERE fired_at >= ?", [since])))
        yield alert_latency(store.rows("SELECT fired_at, event_at FROM alerts WHERE fired_at >= ? AND event_at IS NOT "
                                       "NULL", [since]))
        yield GaugeMetricFamily("peakend_cases_open", "Follow-up cases open",
                                value=float(store.scalar("SELECT count(*) FROM cases WHERE status = 'open'")))
        backlog = self.ws.webhooks.backlog()
        yield GaugeMetricFamily("peakend_outbox_unfanned", "Events not yet fanned out to endpoints",
                                value=float(backlog.pop("outbox_unfanned")))
        states = GaugeMetricFamily("peakend_deliveries", "Deliveries in the log by state", labels=["state"])
        for key, n in sorted(backlog.items()):
            states.add_metric([key.removeprefix("deliveries_")], float(n))
        yield states


def alert_latency(rows: Iterable[tuple[Any, ...]]) -> HistogramMetricFamily:
    """Seconds from each alert's touch (its end, else start) to the alert being stored, over `rows` of
    (fired_at, event_at); a touch stamped after its alert (clocks apart) counts as 0."""
    waits = sorted(max(0.0, (fired - event).total_seconds()) for fired, event in rows)
    buckets = [(str(float(b)), float(bisect_right(waits, b))) for b in LATENCY_BUCKETS] + [("+Inf", float(len(waits)))]
    return HistogramMetricFamily("peakend_alert_latency_seconds", "Seconds from the touch to its recovery alert "
                                 "being stored, alerts of the last 24 hours", buckets=buckets, sum_value=sum(waits))


def _age(at: Any) -> float:
    return 0.0 if at is None else max(0.0, (datetime.now() - at).total_seconds())


class Ops:
    """Health, readiness and metrics of a workspace's store."""

    def __init__(self, ws: Workspace):
        self.ws = ws
        self._registry = CollectorRegistry(auto_describe=False)
        self._registry.register(StoreCollector(ws))

    def beat(self, at: float | None = None) -> None:
        """Note that a worker (live rules, timers, job runners) is alive now (or at epoch second `at`)."""
        store = self.ws.store
        store.execute("DELETE FROM store_secrets WHERE name = ?", [HEARTBEAT])
        store.execute("INSERT INTO store_secrets (name, value) VALUES (?, ?)", [HEARTBEAT, f"{at or time.time():.3f}"])

    def worker(self) -> tuple[str, float | None]:
        """("alive" | "stale" | "none", seconds since the newest heartbeat)."""
        found = self.ws.store.scalar("SELECT value FROM store_secrets WHERE name = ?", [HEARTBEAT])
        if found is None:
            return "none", None
        age = max(0.0, time.time() - float(found))
        return ("alive" if age <= STALE_S else "stale"), round(age, 1)

    def ready(self) -> dict[str, Any]:
        """Whether the store answers, its schema is the newest this code ships and the worker, if one ever beat,
        beat in the last `STALE_S` seconds: {"ready", "why", "store", "schema", "expected", "worker",
        "worker_age_s"}."""
        try:
            current = int(self.ws.store.scalar("SELECT coalesce(max(version), 0) FROM schema_migrations"))
            worker, age = self.worker()
        except Exception as exc:  # the store is gone or unreadable: not ready, and why
            return {"ready": False, "store": f"{type(exc).__name__}"[:100], "schema": None, "expected": None}
        expected = max(v for v, _ in migrations(self.ws.store.backend))
        why = [w for w, bad in (("schema_behind", current < expected), ("worker_stale", worker == "stale")) if bad]
        return {"ready": not why, "why": why, "store": "ok", "schema": current, "expected": expected,
                "worker": worker, "worker_age_s": age}

    def metrics(self) -> bytes:
        """The Prometheus text exposition: this process's metrics, then the store's figures."""
        return generate_latest(REGISTRY) + generate_latest(self._registry)
