"""A capacity table from ``make bench`` results: what 100, 1,000 and 10,000 requests/s need.

    python -m bench.capacity [RESULTS_DIR]   (default bench/results)

Reads the per-process rates the benchmarks measured — ``ingest`` (requests/s of
one ingest process), ``executor`` (jobs/s of one executor process), ``relay``
(outcomes/s of the one active relay per outbox) and ``flat`` (the trigger
chain's rows/s on one connection, about one PostgreSQL core, and the write cost
per request) — and prints, for each target rate, how many of each process,
partitions and database cores it takes, in Markdown. ``docs/scaling.md``
explains the model; this script keeps its figures in step with the code.

The model, per target rate R requests/s (each request: one order plan, one job,
one outcome):

- ingest processes = ceil(R / ingest rate), partitions of the request topics =
  2 x that (room to add processes without re-partitioning);
- executors = ceil(R / executor rate) (no-op backend: a real registry's latency
  divides this rate by the time a job waits on it);
- relays: one active per outbox; past its rate the outbox itself must be split;
- database cores for the insert chain = R / (flat rows/s per connection), and
  as much again for job completion, outcome and order roll-up (measured by the
  pipeline benchmark's ratio to ingest + executor alone: about 1.4x), so x2.4;
  WAL = R x bytes per request (insert only) x 3 (completion writes about twice
  what the insert does).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from bench.harness import RESULTS

TARGETS = (100, 1_000, 10_000)
DB_CORES_PER_HOST = 32  # a large single primary
COMPLETION_FACTOR = 2.4  # insert chain + completion, outcome and roll-up
WAL_FACTOR = 3.0


def _result(results: Path, name: str) -> dict[str, object] | None:
    path = results / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _rates(results: Path) -> dict[str, float] | str:
    """The measured rates, or a message naming the benchmarks still to run."""
    wanted = {
        "ingest": "candidate_median",
        "executor": "candidate_median",
        "relay": "candidate_median",
        "flat": "baseline_median",
    }
    rates: dict[str, float] = {}
    missing = []
    for name, side in wanted.items():
        found = _result(results, name)
        if found is None:
            missing.append(name)
        else:
            rates[name] = float(str(found[side]))
            figures = found.get("figures") or {}
            assert isinstance(figures, dict)
            rates.update({key: float(value) for key, value in figures.items()})
    if missing:
        return f"missing results: {', '.join(missing)} (python -m bench {' '.join(missing)})"
    return rates


def table(results: Path) -> str:
    rates = _rates(results)
    if isinstance(rates, str):
        return rates
    ingest, executor, relay, chain = (rates[k] for k in ("ingest", "executor", "relay", "flat"))
    wal = rates.get("wal_bytes_per_request")
    lines = [
        f"measured: ingest {ingest:,.0f} req/s per process, executor {executor:,.0f} jobs/s per"
        f" process, relay {relay:,.0f} outcomes/s, trigger chain {chain:,.0f} rows/s per"
        " connection" + (f", {wal:,.0f} WAL bytes per request inserted" if wal else ""),
        "",
        "| requests/s | ingest processes | request-topic partitions | executors | relays"
        " | PostgreSQL cores | WAL |",
        "|---|---|---|---|---|---|---|",
    ]
    for target in TARGETS:
        processes = math.ceil(target / ingest)
        cores = target / chain * COMPLETION_FACTOR
        relays = "1 active + 1 standby" if target <= relay else "outbox saturated: split it"
        wal_text = f"{target * wal * WAL_FACTOR / 1e6:,.1f} MB/s" if wal else "?"
        core_text = (
            f"{cores:,.1f}"
            if cores <= DB_CORES_PER_HOST
            else f"{cores:,.0f}: past one primary ({DB_CORES_PER_HOST} cores)"
        )
        lines.append(
            f"| {target:,} | {processes} | {2 * processes} | {math.ceil(target / executor)}"
            f" | {relays} | {core_text} | {wal_text} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS))
