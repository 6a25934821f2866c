"""``make bench``: start a throwaway stack, run every benchmark, print and save the ratios.

Usage: python -m bench [NAME ...]  (names: db_insert, flat, ingest, executor, pipeline,
                                   latency, burst, relay; default all)
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from bench import burst, db_insert, executor, flat, ingest, latency, pipeline, relay
from bench.harness import Comparison, Services
from provisioning.localstack import temporary_stack

BENCHMARKS: dict[str, Callable[[Services], Comparison]] = {
    "db_insert": db_insert.run,
    "flat": flat.run,
    "ingest": ingest.run,
    "executor": executor.run,
    "pipeline": pipeline.run,
    "latency": latency.run,
    "burst": burst.run,
    "relay": relay.run,
}


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    with temporary_stack() as stack:
        services = Services(stack.kafka.bootstrap, stack.postgres.admin_url())
        for name in chosen:
            comparison = BENCHMARKS[name](services)
            print(comparison.report(), flush=True)
            print(f"  saved: {comparison.save()}\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
