"""Prometheus metrics in the text exposition format; a handful of series, no dependency."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import TypeVar

Labels = tuple[tuple[str, str], ...]


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
                     for k, v in labels)
    return "{" + inner + "}"


class Counter:
    def __init__(self, name: str, help_text: str) -> None:
        self.name, self.help, self.kind = name, help_text, "counter"
        self.values: dict[Labels, float] = {}
        self._lock = threading.Lock()

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self.values[key] = self.values.get(key, 0.0) + amount

    def samples(self) -> list[str]:
        return [f"{self.name}{_labels(k)} {v:g}" for k, v in sorted(self.values.items())]


class Gauge(Counter):
    def __init__(self, name: str, help_text: str,
                 read: Callable[[], dict[Labels, float]] | None = None) -> None:
        super().__init__(name, help_text)
        self.kind = "gauge"
        self.read = read

    def set(self, value: float, **labels: str) -> None:
        with self._lock:
            self.values[tuple(sorted(labels.items()))] = value

    def samples(self) -> list[str]:
        if self.read is not None:
            self.values = self.read()
        return super().samples()


class Histogram:
    BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, math.inf)

    def __init__(self, name: str, help_text: str) -> None:
        self.name, self.help, self.kind = name, help_text, "histogram"
        self.series: dict[Labels, list[float]] = {}  # bucket counts..., sum, count
        self._lock = threading.Lock()

    def observe(self, value: float, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            data = self.series.setdefault(key, [0.0] * (len(self.BUCKETS) + 2))
            for index, bound in enumerate(self.BUCKETS):
                if value <= bound:
                    data[index] += 1
            data[-2] += value
            data[-1] += 1

    def samples(self) -> list[str]:
        out = []
        for key, data in sorted(self.series.items()):
            for index, bound in enumerate(self.BUCKETS):
                le = "+Inf" if bound == math.inf else f"{bound:g}"
                out.append(f"{self.name}_bucket{_labels((*key, ('le', le)))} {data[index]:g}")
            out.append(f"{self.name}_sum{_labels(key)} {data[-2]:g}")
            out.append(f"{self.name}_count{_labels(key)} {data[-1]:g}")
        return out


Metric = Counter | Gauge | Histogram
M = TypeVar("M", Counter, Gauge, Histogram)


class Registry:
    def __init__(self) -> None:
        self.metrics: list[Metric] = []
        self.deliveries = self.add(Counter(
            "parity_deliveries_total", "Webhook deliveries by event and outcome"))
        self.jobs = self.add(Histogram(
            "parity_job_duration_seconds", "Time to process a queued delivery, by event"))
        self.job_failures = self.add(Counter(
            "parity_job_failures_total", "Failed job attempts by event and what happened next"))
        self.github_calls = self.add(Counter(
            "parity_github_calls_total", "GitHub API calls by HTTP status"))
        self.rate_limit = self.add(Gauge(
            "parity_github_rate_limit_remaining", "x-ratelimit-remaining of the last response"))
        self.scans = self.add(Counter(
            "parity_scans_total", "Repository scans by outcome (scanned, unchanged, skipped "
                                  "as archived/disabled/empty, failed)"))
        self.fix_prs = self.add(Counter(
            "parity_fix_pull_requests_total", "Fix pull request jobs by what they did"))
        self.stuck_legs = self.add(Counter(
            "parity_arm64_legs_stuck_total", "Arm64 legs found queued past RUNNER_WAIT_MINUTES "
                                             "with no runner, per installation"))
        self.recovered = self.add(Counter(
            "parity_deliveries_recovered_total", "Missed deliveries GitHub was asked to redeliver"))
        self.scan_calls = self.add(Counter(
            "parity_scan_github_calls_total", "GitHub API calls made by repository scans"))

    def add(self, metric: M) -> M:
        self.metrics.append(metric)
        return metric

    def render(self) -> str:
        lines: list[str] = []
        for metric in self.metrics:
            lines.append(f"# HELP {metric.name} {metric.help}")
            lines.append(f"# TYPE {metric.name} {metric.kind}")
            lines.extend(metric.samples())
        return "\n".join(lines) + "\n"
