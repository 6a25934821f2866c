"""``make bench``: start a throwaway stack, run every benchmark, print and save the ratios.

Usage: python -m bench [NAME ...]   (names: db_insert; default all)
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import psycopg

from bench import db_insert
from bench.harness import Comparison
from provisioning.localstack import temporary_stack

BENCHMARKS: dict[str, Callable[[str], Comparison]] = {"db_insert": db_insert.run}


def main(argv: list[str]) -> int:
    chosen = argv or list(BENCHMARKS)
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    with temporary_stack(with_kafka=False) as stack:
        admin = stack.postgres.admin_url()
        for name in chosen:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "bench_{name}"')
                conn.execute(f'CREATE DATABASE "bench_{name}"')
            comparison = BENCHMARKS[name](stack.postgres.admin_url(f"bench_{name}"))
            print(comparison.report(), flush=True)
            print(f"  saved: {comparison.save()}\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
