"""Prometheus metrics, on prometheus-client: counters and histograms the service updates,
process metrics, and a collector for what is read from the database at scrape time (the
queue's depth and ages, jobs by verdict per installation).

Label values come from fixed sets or from verified data only (see the intake), so no
request can add a series.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    gc_collector,
    generate_latest,
    platform_collector,
    process_collector,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_LATEST


@dataclass(slots=True)
class Scraped:
    """What the metrics endpoint read from the database for this scrape."""

    queue: dict[str, float] = field(default_factory=dict)  # queued, running, dead, oldest_age
    by_status: dict[tuple[int, str], int] = field(default_factory=dict)


class DatabaseCollector(Collector):
    _QUEUE = (
        ("queued", "parity_queue_depth", "Jobs waiting to run"),
        ("running", "parity_queue_running", "Jobs running"),
        ("dead", "parity_queue_dead", "Jobs that failed for good"),
        ("oldest_age", "parity_queue_oldest_age_seconds", "Age of the oldest waiting job"),
    )

    def __init__(self, scraped: Scraped) -> None:
        self.scraped = scraped

    def collect(self) -> Iterator[Metric]:
        for key, name, text in self._QUEUE:
            if key in self.scraped.queue:
                yield GaugeMetricFamily(name, text, value=self.scraped.queue[key])
        jobs = GaugeMetricFamily(
            "parity_jobs_by_status",
            "Workflow jobs by verdict in each repository's latest scan, per installation",
            labels=["installation", "status"],
        )
        for (installation, status), count in sorted(self.scraped.by_status.items()):
            jobs.add_metric([str(installation), status], count)
        yield jobs


class KnownGauge(Collector):
    """A gauge with no sample until its value is known: read as 0 before the first
    response, a rate limit left would look exhausted (and page whoever alerts near 0)."""

    def __init__(self, name: str, documentation: str) -> None:
        self.name = name
        self.documentation = documentation
        self.value: float | None = None

    def set(self, value: float) -> None:
        self.value = value

    def collect(self) -> Iterator[Metric]:
        if self.value is not None:
            yield GaugeMetricFamily(self.name, self.documentation, value=self.value)

    def describe(self) -> Iterator[Metric]:
        return iter(())  # no sample to probe: collect() may yield nothing


class Registry:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        process_collector.ProcessCollector(registry=r)
        platform_collector.PlatformCollector(registry=r)
        gc_collector.GCCollector(registry=r)
        self.scraped = Scraped()
        r.register(DatabaseCollector(self.scraped))
        self.deliveries = Counter(
            "parity_deliveries", "Webhook deliveries by event and outcome", ["event", "outcome"], registry=r
        )
        self.jobs = Histogram(
            "parity_job_duration_seconds",
            "Time to process a queued delivery, by event",
            ["event"],
            registry=r,
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, float("inf")),
        )
        self.job_failures = Counter(
            "parity_job_failures",
            "Failed job attempts by event and what happened next",
            ["event", "outcome"],
            registry=r,
        )
        self.github_calls = Counter(
            "parity_github_calls", "GitHub API calls by HTTP status", ["status"], registry=r
        )
        self.rate_limit = KnownGauge(
            "parity_github_rate_limit_remaining", "x-ratelimit-remaining of the last response"
        )
        r.register(self.rate_limit)
        self.scans = Counter(
            "parity_scans",
            "Repository scans by outcome (scanned, unchanged, skipped as archived/disabled/empty, failed)",
            ["state"],
            registry=r,
        )
        self.fix_prs = Counter(
            "parity_fix_pull_requests", "Fix pull request jobs by what they did", ["outcome"], registry=r
        )
        self.stuck_legs = Counter(
            "parity_arm64_legs_stuck",
            "Arm64 legs found queued past RUNNER_WAIT_MINUTES with no runner, per installation",
            ["installation"],
            registry=r,
        )
        self.recovered = Counter(
            "parity_deliveries_recovered", "Missed deliveries GitHub was asked to redeliver", registry=r
        )
        self.job_logs = Counter(
            "parity_job_logs",
            "Job logs wanted for a results difference, by outcome (read, cut: only the end read, "
            "expired, unreadable, cached: read before for this job)",
            ["outcome"],
            registry=r,
        )
        self.scan_calls = Counter(
            "parity_scan_github_calls", "GitHub API calls made by repository scans", registry=r
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
