"""Prometheus metrics, kept in a registry per app instance so several apps can live in one test process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gamesched.core.clock import Clock

_LATENCY_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # process_cpu_seconds_total, process_resident_memory_bytes, …: what the process costs (Linux only).
        ProcessCollector(registry=self.registry)
        self.jobs_handled = Counter(
            "gamesched_jobs_handled",
            "Jobs finished, by kind and outcome (done, retry, dead).",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.job_duration = Histogram(
            "gamesched_job_duration_seconds",
            "Handler run time.",
            ["kind"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.job_start_lag = Histogram(
            "gamesched_job_start_lag_seconds",
            "Delay between a job's due time and its handler starting.",
            ["kind"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "gamesched_queue_jobs", "Jobs in the queue table, by state.", ["state"], registry=self.registry
        )
        self.queue_due_lag = Gauge(
            "gamesched_queue_oldest_due_lag_seconds",
            "How overdue the oldest pending job is (0 when nothing is overdue).",
            registry=self.registry,
        )
        self.http_requests = Counter(
            "gamesched_http_requests",
            "HTTP requests, by method, route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "gamesched_http_request_duration_seconds",
            "HTTP request handling time.",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )

    async def refresh_queue_gauges(self, engine: AsyncEngine, clock: Clock) -> None:
        """Read queue depth and lag from the database right before a scrape."""
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT state, count(*) FROM jobs GROUP BY state"))).all()
            counts: dict[str, int] = {state: count for state, count in rows}
            oldest = (
                await conn.execute(
                    text("SELECT min(due_at) FROM jobs WHERE state = 'pending' AND due_at <= :now"),
                    {"now": clock.now()},
                )
            ).scalar()
        for state in ("pending", "running", "done", "dead"):
            self.queue_depth.labels(state).set(counts.get(state, 0))
        self.queue_due_lag.set((clock.now() - oldest).total_seconds() if oldest else 0)

    def render(self) -> bytes:
        return generate_latest(self.registry)
