"""The trigger chain's cost: provision_domain rows/s, 500 per transaction, against plain writes.

The candidate inserts 500 rows per transaction into ``provision_domain`` with one
INSERT ... SELECT FROM unnest, through every trigger (validation, job creation,
audit, foreign keys). The baseline performs the same writes with no trigger and no
function of ours: the provision row, its job row and its audit row, by plain
multi-row INSERTs into untriggered copies of the three tables (one statement with
data-modifying CTEs; ids, auth codes and the job's data made by the client or by
built-in functions). A second figure, in the notes, is the provision row alone into
an untriggered copy of the table (the baseline before 2026-12-01).
"""

from __future__ import annotations

import secrets
import statistics
import string
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg

from bench.harness import Comparison, Services, interleave, rate
from provisioning.migrations import upgrade
from provisioning.sqlfiles import named_blocks

SQL = named_blocks(Path(__file__).with_name("db_insert.sql"))
BATCH = 500
BATCHES_PER_ROUND = 8
ROUNDS = 5


def run(services: Services) -> Comparison:
    database_url = services.create_database("bench_db_insert")
    upgrade(database_url, seed=True)
    with psycopg.connect(database_url) as conn:
        conn.execute(SQL["create_plain_tables"])
        cursor = conn.execute(SQL["target_ids"])
        columns = [c.name for c in cursor.description or []]
        ids = dict(zip(columns, cursor.fetchone() or (), strict=True))
        conn.commit()

        def insert(statement: str, label: str) -> Callable[[int], float]:
            def one_round(index: int) -> float:
                def work() -> None:
                    for batch in range(BATCHES_PER_ROUND):
                        names = [f"{label}-{index}-{batch}-{i}.com" for i in range(BATCH)]
                        values = {
                            **ids,
                            "names": names,
                            "request_ids": [uuid.uuid4() for _ in range(BATCH)],
                            "job_ids": [uuid.uuid4() for _ in range(BATCH)],
                            "pws": [auth_code() for _ in range(BATCH)],
                        }
                        with conn.transaction():
                            conn.execute(statement, values)

                return rate(BATCH * BATCHES_PER_ROUND, work)

            return one_round

        conn.autocommit = True
        # One warm-up round each, not recorded: plans and caches.
        insert(SQL["insert_plain"], "warm-plain")(0)
        insert(SQL["insert_plain_writes"], "warm-writes")(0)
        insert(SQL["insert_triggered"], "warm-triggered")(0)
        comparison = Comparison(
            name="db_insert: provision_domain rows/s, 500 rows per transaction",
            unit="rows/s",
            candidate_label="provision_domain, all triggers",
            baseline_label="the same writes, plain INSERTs",
        )
        one_table: list[float] = []
        plain_one_table = insert(SQL["insert_plain"], "plain")

        def baseline(index: int) -> float:
            one_table.append(plain_one_table(index))
            return insert(SQL["insert_plain_writes"], "writes")(index)

        interleave(
            comparison,
            ROUNDS,
            baseline=baseline,
            candidate=insert(SQL["insert_triggered"], "triggered"),
        )
        single = statistics.median(one_table)
        comparison.notes.append(
            f"the provision row alone into an untriggered copy of the table: {single:,.0f} rows/s "
            f"(rounds {min(one_table):,.0f}..{max(one_table):,.0f}); "
            f"ratio {comparison.candidate_median / single:.3f}"
        )
        comparison.figures["plain_one_table_rows_per_s"] = single
        return comparison


def auth_code() -> str:
    """An auth code as a client would make one (the baseline gives the chain's own)."""
    return "".join(secrets.choice(AUTH_CODE_ALPHABET) for _ in range(16))


AUTH_CODE_ALPHABET = string.ascii_letters + string.digits + "!#*+-=?"
