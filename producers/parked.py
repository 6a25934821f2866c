"""Outbox rows the relay parked: list them, retry them, or drop them.

The relay parks a row that failed PROVISIONING_RELAY_MAX_ATTEMPTS times for a
reason of its own (too big for the broker, not encodable). The later rows of its
message key wait behind it, so per-key order holds; every other key flows on.

  list    parked rows, their key, attempts and last reason (--all: also rows that
          failed but are not parked yet); exit status 3 when a row is parked
  retry   un-park a row: the relay tries it again (and counts from zero), with the
          rows of its key behind it; for after the cause was fixed (e.g. the
          topic's max.message.bytes raised)
  drop    give up on a row: it counts as sent and is never published, and the rows
          of its key behind it go on; shows what it would do unless --execute

Examples:
  provisioning outbox list
  provisioning outbox retry outcomes 1234
  provisioning outbox drop outcomes 1234 --execute
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import psycopg
from psycopg.rows import dict_row

from provisioning.errors import EXIT_FOUND, EXIT_OK, ProvisioningError
from provisioning.settings import Settings, load_settings
from provisioning.sqlfiles import query

# what `--outbox` calls each outbox, and the query group that marks its rows sent
GROUPS = {
    "outcomes": "outbox",
    "order-requests": "order_outbox",
    "action-requests": "action_outbox",
    "order-status": "order_status_outbox",
}


class ParkedError(ProvisioningError):
    """The row is not parked, or does not exist."""


def _connect(settings: Settings) -> psycopg.Connection[dict[str, Any]]:
    return psycopg.connect(
        settings.admin_url(),
        row_factory=dict_row,
        application_name="provisioning-outbox",
    )


def parked(
    settings: Settings, outbox: str | None = None, *, every: bool = False
) -> list[dict[str, Any]]:
    with _connect(settings) as conn:
        return conn.execute(
            query("outbox_parked", "list"), {"outbox": outbox, "all": every}
        ).fetchall()


def retry(settings: Settings, outbox: str, row_id: int) -> None:
    """Un-park the row: the relay publishes it (and its key's later rows) again."""
    with _connect(settings) as conn:
        released = conn.execute(
            query("outbox_parked", "release"), {"outbox": outbox, "row_id": row_id}
        ).fetchone()
        if released is None:
            raise ParkedError(f"{outbox} row {row_id} is not parked")
        conn.execute(query(GROUPS[outbox], "notify"))


def drop(settings: Settings, outbox: str, row_id: int) -> None:
    """Give up on the row: marked sent without publishing; its key's later rows go on."""
    with _connect(settings) as conn:
        if (
            conn.execute(
                query("outbox_parked", "release"), {"outbox": outbox, "row_id": row_id}
            ).fetchone()
            is None
        ):
            raise ParkedError(f"{outbox} row {row_id} is not parked")
        conn.execute(query(GROUPS[outbox], "mark_dropped"), {"id": row_id})
        conn.execute(query(GROUPS[outbox], "notify"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="parked rows (exit 3 when there are any)")
    listing.add_argument("--outbox", choices=sorted(GROUPS), help="one outbox only")
    listing.add_argument(
        "--all", action="store_true", help="also rows that failed but are not parked yet"
    )
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(func=_list)
    for name, func, text in (
        ("retry", _retry, "un-park a row: the relay tries it again, its key's rows behind it"),
        ("drop", _drop, "give up on a row: counted as sent, never published"),
    ):
        action = actions.add_parser(name, help=text, description=text)
        action.add_argument("outbox", choices=sorted(GROUPS))
        action.add_argument("row_id", type=int, help="the row's id (`outbox list`)")
        if name == "drop":
            action.add_argument(
                "--execute", action="store_true", help="drop it (without: say what would happen)"
            )
        action.set_defaults(func=func)


def _list(args: argparse.Namespace) -> int:
    rows = parked(load_settings(), args.outbox, every=args.all)
    for row in rows:
        if args.json:
            print(json.dumps(row, default=str))
        else:
            state = "parked" if row["parked_date"] else "failing"
            print(
                f"{row['outbox']:15} {row['row_id']:>10} {state:8} attempts {row['attempts']:<3} "
                f"key {row['message_key'][:60]!r}: {row['reason']}"
            )
    if not rows and not args.json:
        print("no parked rows")
    return EXIT_FOUND if any(row["parked_date"] for row in rows) else EXIT_OK


def _retry(args: argparse.Namespace) -> int:
    retry(load_settings(), args.outbox, args.row_id)
    print(f"{args.outbox} row {args.row_id}: un-parked; the relay publishes it again")
    return 0


def _drop(args: argparse.Namespace) -> int:
    if not args.execute:
        print(
            f"would drop {args.outbox} row {args.row_id}: it is never published, and the "
            "later rows of its key go on; run again with --execute"
        )
        return 0
    drop(load_settings(), args.outbox, args.row_id)
    print(f"{args.outbox} row {args.row_id}: dropped (never published)")
    return 0


__all__ = ["GROUPS", "ParkedError", "add_arguments", "drop", "parked", "retry"]
