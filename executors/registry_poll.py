"""What an executor does every ``executor_registry_poll_seconds`` besides running jobs.

- **The poll queues.** For each accreditation, read the registry's transfer
  messages (:meth:`Backend.poll_transfers`, EPP ``<poll op="req">``). A final
  message about a transfer *to* that registrar settles the provision that waits
  for it in ``pending_action``: approved completes it (the domain with the
  registry's new auth code), rejected or cancelled fails it; either way its final
  outcome is written and the order follows. An approved transfer *away* of one
  of that registrar's domains takes the domain out of this database
  (``domain_transferred_away``: status deleted, its auth code forgotten). Every
  message is then acknowledged (``<poll op="ack">``). Resolving is
  idempotent, so a message delivered twice (an executor that died before its ack,
  two executors polling at once) changes nothing the second time. The queue is
  read again after its messages are acknowledged, until it is empty (bounded):
  an EPP registry shows one message at a time.
- **Redemption ends.** Domains whose redemption period is over leave it
  (``domain_redemption_sweep``): the name can be registered or transferred again,
  a restore is refused, as at the registry, which purges them.

A registry that fails (a ``BackendError``, or any exception of the backend's,
logged with its traceback) is polled again next time; a database failure goes up
to the worker, which retries it like any other.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any

import psycopg
from psycopg.rows import DictRow

from executors.backends.base import Backend, BackendError, TransferMessage
from provisioning.sqlfiles import query

log = logging.getLogger(__name__)

SWEEP_LIMIT = 1000
MAX_POLL_ROUNDS = 100  # reads of one registrar's queue per registry poll, at most

_OUTCOMES = {
    "clientApproved": "approved",
    "serverApproved": "approved",
    "clientRejected": "rejected",
    "clientCancelled": "cancelled",
    "serverCancelled": "cancelled",
}


def resolution(message: TransferMessage) -> tuple[str, dict[str, Any], str] | None:
    """(status, result, message) for provision_domain_transfer_resolve; None when the
    message does not end a transfer (still pending, or unknown)."""
    status = _OUTCOMES.get(message.status)
    if status is None:
        return None
    result: dict[str, Any] = {"transfer_status": message.status}
    if status == "approved" and message.domain is not None:
        result = {**message.domain.to_result(secrets=True), **result}
    by = message.gaining_registrar if status == "cancelled" else message.losing_registrar
    text = f"transfer {message.status} by {by} at {message.action_date.isoformat()}"
    return status, result, text


def poll_transfers(
    conn: psycopg.Connection[DictRow], backend: Backend, registrar: str, counts: Counter[str]
) -> None:
    """Read and settle ``registrar``'s transfer messages, acknowledging each, until the
    queue is empty: a backend may show a few messages at a time (EPP shows only the
    head of the queue until it is acknowledged), so after acknowledging what it showed
    the queue is read again, at most MAX_POLL_ROUNDS times; a round that shows only
    messages already handled (an ack that did not take) ends it."""
    seen: set[str] = set()
    for _ in range(MAX_POLL_ROUNDS):
        try:
            messages = backend.poll_transfers(registrar=registrar)
        except BackendError as exc:
            log.warning("registry poll of %s failed: %s", registrar, exc)
            counts["poll_errors"] += 1
            return
        except Exception:  # a backend's bug must not stop the executor's jobs: logged, retried
            log.exception("registry poll of %s: the backend raised", registrar)
            counts["poll_errors"] += 1
            return
        fresh = [m for m in messages if m.id not in seen]
        if not fresh:
            return
        for message in fresh:
            seen.add(message.id)
            if not _settle(conn, backend, registrar, message, counts):
                return
    log.info("registry poll of %s: %d rounds read, the rest next time", registrar, MAX_POLL_ROUNDS)


def _settle(
    conn: psycopg.Connection[DictRow],
    backend: Backend,
    registrar: str,
    message: TransferMessage,
    counts: Counter[str],
) -> bool:
    """Settle the provision ``message`` ends (if any), then acknowledge it; False when
    the ack failed (the message comes again and changes nothing then)."""
    settle = resolution(message)
    if message.approved and message.losing_registrar == registrar:
        _transferred_away(conn, registrar, message, counts)
    if settle is not None and message.gaining_registrar == registrar:
        status, result, text = settle
        row = conn.execute(
            query("registry_poll", "resolve_transfer"),
            {
                "accreditation": registrar,
                "name": message.name,
                "status": status,
                "result": json.dumps(result),
                "message": text,
            },
        ).fetchone()
        settled = row["status"] if row is not None else None
        if settled is not None:
            log.info(
                "transfer of %s to %s: %s, provision %s",
                message.name,
                registrar,
                message.status,
                settled,
            )
            counts[f"transfers_{settled}"] += 1
    try:
        backend.ack_transfer_message(registrar=registrar, message_id=message.id)
    except BackendError as exc:
        log.warning("registry poll of %s: ack of %s failed: %s", registrar, message.id, exc)
        counts["poll_errors"] += 1
        return False
    except Exception:  # a backend's bug must not stop the executor's jobs: logged
        log.exception("registry poll of %s: ack of %s: the backend raised", registrar, message.id)
        counts["poll_errors"] += 1
        return False
    counts["poll_messages"] += 1
    return True


def _transferred_away(
    conn: psycopg.Connection[DictRow],
    registrar: str,
    message: TransferMessage,
    counts: Counter[str],
) -> None:
    """An approved transfer of one of ``registrar``'s domains to another registrar: the
    domain leaves this database (``domain_transferred_away``)."""
    row = conn.execute(
        query("registry_poll", "transferred_away"),
        {"accreditation": registrar, "name": message.name, "action_date": message.action_date},
    ).fetchone()
    if row is not None and row["id"] is not None:
        log.info(
            "domain %s of %s transferred away to %s (%s)",
            message.name,
            registrar,
            message.gaining_registrar,
            message.status,
        )
        counts["transferred_away"] += 1


def end_redemptions(conn: psycopg.Connection[DictRow], counts: Counter[str]) -> int:
    """End the redemption periods that are over (in rounds of SWEEP_LIMIT); how many."""
    total = 0
    while True:
        row = conn.execute(
            query("registry_poll", "redemption_sweep"), {"limit": SWEEP_LIMIT}
        ).fetchone()
        ended = int(row["ended"]) if row is not None else 0
        total += ended
        if ended < SWEEP_LIMIT:
            break
    if total:
        log.info("%d domain(s) left redemption: their redemption period is over", total)
        counts["redemptions_ended"] += total
    return total


def accreditations(conn: psycopg.Connection[DictRow]) -> list[str]:
    rows = conn.execute(query("registry_poll", "accreditations")).fetchall()
    return [str(row["name"]) for row in rows]


__all__ = [
    "MAX_POLL_ROUNDS",
    "SWEEP_LIMIT",
    "accreditations",
    "end_redemptions",
    "poll_transfers",
    "resolution",
]
