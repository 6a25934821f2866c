"""The trigger chain's cost: provision_domain rows/s, 500 per transaction, against a plain table.

Both sides insert the same rows with the same statement shape (one INSERT ... SELECT
FROM unnest per 500-row transaction): the candidate into ``provision_domain`` with
every trigger (validation, job creation, audit, foreign keys), the baseline into
an untriggered table with the same columns, defaults, checks and indexes.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

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
        conn.execute(SQL["create_plain_table"])
        cursor = conn.execute(SQL["target_ids"])
        columns = [c.name for c in cursor.description or []]
        ids = dict(zip(columns, cursor.fetchone() or (), strict=True))
        conn.commit()

        def insert(statement: str, label: str) -> Any:
            def one_round(index: int) -> float:
                def work() -> None:
                    for batch in range(BATCHES_PER_ROUND):
                        names = [f"{label}-{index}-{batch}-{i}.com" for i in range(BATCH)]
                        request_ids = [uuid.uuid4() for _ in range(BATCH)]
                        with conn.transaction():
                            conn.execute(
                                statement, {**ids, "names": names, "request_ids": request_ids}
                            )

                return rate(BATCH * BATCHES_PER_ROUND, work)

            return one_round

        conn.autocommit = True
        # One warm-up round each, not recorded: plans and caches.
        insert(SQL["insert_plain"], "warm-plain")(0)
        insert(SQL["insert_triggered"], "warm-triggered")(0)
        comparison = Comparison(
            name="db_insert: provision_domain rows/s, 500 rows per transaction",
            unit="rows/s",
            candidate_label="provision_domain, all triggers",
            baseline_label="plain INSERT, untriggered table, same columns",
        )
        return interleave(
            comparison,
            ROUNDS,
            baseline=insert(SQL["insert_plain"], "plain"),
            candidate=insert(SQL["insert_triggered"], "triggered"),
        )
