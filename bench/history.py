"""Grow a provisioning database's history: many copies of the rows it already holds.

Used by the hot-lookup plan test (tests/db/test_hot_lookups.py) and the
``history`` benchmark: every table a request reads or writes gets ``copies``
copies of each of its rows — fresh ids, distinct names — inserted without
triggers (``session_replication_role = replica``, so only a superuser can do
it), then ``ANALYZE``. The rows copied from are renamed too (prefix ``h0-``),
so the same requests can be made again afterwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg

from provisioning.sqlfiles import named_blocks

SQL = named_blocks(Path(__file__).with_name("history.sql"))


def grow(conn: psycopg.Connection[Any], copies: int) -> dict[str, int]:
    """Copy every history table's rows ``copies`` times; ``{table: rows written}``."""
    conn.execute(SQL["create_history_copy"])
    conn.execute(SQL["create_history_rename"])
    written: dict[str, int] = {}
    with conn.transaction():
        conn.execute(SQL["without_triggers"])
        tables = [row[0] for row in conn.execute(SQL["history_tables"]).fetchall()]
        for table in tables:
            row = conn.execute(
                SQL["copy"], {"table": table, "copies": copies, "tag": "h"}
            ).fetchone()
            written[table] = int(row[0]) if row else 0
            conn.execute(SQL["rename_originals"], {"table": table, "tag": "h0-"})
        conn.execute(SQL["register_request_ids"])
    conn.execute(SQL["analyze"])
    return written


__all__ = ["grow"]
