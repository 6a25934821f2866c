"""A test-only ingest process that dies outright on a "poison" request.

``python -m tests.crashing_ingest`` runs the real ingest loop (the same parts as
``provisioning ingest``) with a handler that calls ``os._exit`` — no exception,
no cleanup, as a kill, the OOM killer or a native crash would end it — as soon
as a batch holds a domain request whose name starts with ``poison``. The
poison-pill quarantine must get past such a message without it ever being handled.
"""

from __future__ import annotations

import logging
import os
import signal
from collections import Counter
from collections.abc import Sequence
from typing import Any

import psycopg

from consumers.ingest import apply_requests, request_handler
from consumers.loop import Handler, Item, group_loop
from provisioning import observability
from provisioning.settings import load_settings

CRASH_EXIT_CODE = 70


def main() -> int:
    settings = load_settings()
    real = request_handler(settings)

    def apply_or_die(conn: psycopg.Connection[Any], items: Sequence[Item]) -> Counter[str]:
        for item in items:
            if str(item.datum["payload"].get("name", "")).startswith("poison"):
                os._exit(CRASH_EXIT_CODE)
        return apply_requests(conn, items, orders_topic=settings.topic_orders)

    handler = Handler(record=real.record, apply=apply_or_die, reject=real.reject)
    loop = group_loop(
        settings,
        handler,
        topics=[settings.topic_actions],
        group_id=settings.group_ingest,
        component="ingest",
        poll_timeout=0.2,
    )
    observability.start_component(settings, "ingest")
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: loop.stop())
    logging.getLogger(__name__).info("ingesting (crashing on poison)")
    loop.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
