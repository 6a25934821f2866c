"""Measure a candidate against a baseline in the same run, interleaved, and report the ratio.

These machines are shared and noisy, so a benchmark never reports a bare figure:
both sides run in alternating rounds (baseline, candidate, baseline, ...), each
round's rate is recorded, and the medians and their ratio are reported.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Services:
    """The throwaway Kafka and PostgreSQL a benchmark run uses."""

    kafka_bootstrap: str
    postgres_admin_url: str  # the server's maintenance database

    def url(self, database: str) -> str:
        return self.postgres_admin_url.rsplit("/", 1)[0] + f"/{database}"

    def create_database(self, name: str, template: str = "template1") -> str:
        """A fresh database (dropped first if it exists), as a copy of ``template``."""
        with psycopg.connect(self.postgres_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)


@dataclass
class Comparison:
    name: str
    unit: str
    candidate_label: str
    baseline_label: str
    candidate: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # further figures, one line each
    lower_is_better: bool = False  # a time (latency), not a rate
    figures: dict[str, float] = field(default_factory=dict)  # named values for bench.capacity

    @property
    def candidate_median(self) -> float:
        return statistics.median(self.candidate)

    @property
    def baseline_median(self) -> float:
        return statistics.median(self.baseline)

    @property
    def ratio(self) -> float:
        """candidate / baseline: 0.25 means the candidate runs at a quarter of the baseline."""
        return self.candidate_median / self.baseline_median

    def report(self) -> str:
        def spread(values: list[float]) -> str:
            return f"{min(values):,.0f}..{max(values):,.0f}"

        return "\n".join(
            [
                f"{self.name}",
                f"  {self.baseline_label:<46} {self.baseline_median:>12,.0f} {self.unit}"
                f"   (rounds {spread(self.baseline)})",
                f"  {self.candidate_label:<46} {self.candidate_median:>12,.0f} {self.unit}"
                f"   (rounds {spread(self.candidate)})",
                f"  ratio candidate/baseline: {self.ratio:.3f}"
                + (
                    f"  (the candidate takes {self.ratio:.2f} times the baseline's time)"
                    if self.lower_is_better
                    else f"  (the candidate runs at {self.ratio:.1%} of the baseline's rate)"
                ),
                *(f"  {note}" for note in self.notes),
            ]
        )

    def save(self) -> Path:
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{self.name.split(':')[0].strip().replace(' ', '_')}.json"
        data = {
            **asdict(self),
            "candidate_median": self.candidate_median,
            "baseline_median": self.baseline_median,
            "ratio": self.ratio,
        }
        path.write_text(json.dumps(data, indent=2) + "\n")
        return path


def rate(count: int, work: Callable[[], object]) -> float:
    """Items per second for ``work``, which processes ``count`` items."""
    start = time.perf_counter()
    work()
    return count / (time.perf_counter() - start)


def interleave(
    comparison: Comparison,
    rounds: int,
    baseline: Callable[[int], float],
    candidate: Callable[[int], float],
) -> Comparison:
    """Run ``rounds`` alternating rounds; each callable gets the round number, returns a rate."""
    for index in range(rounds):
        comparison.baseline.append(baseline(index))
        comparison.candidate.append(candidate(index))
    return comparison
