"""Which failures are the infrastructure's and which are one message's: decided here, once.

The rule is a deny-list. Only a failure of the infrastructure — the database
unreachable or shutting down, a serialization failure or deadlock, the server
out of resources — is retried (the same work again, after a backoff) or, if it
lasts, stops a process. **Everything else** that happens while one message is
handled — any Python exception, any other SQLSTATE, an error psycopg raises on
the client side (a NUL character in a string), a ``RecursionError`` from deeply
nested JSON — is that message's problem: it gets a failed outcome or goes to
the DLQ, and the consumer moves on.

The consumer loop, the outbox relay and the job executor all ask :func:`is_transient`;
docs/ingest.md has the table.
"""

from __future__ import annotations

import psycopg

from provisioning.errors import DeliveryError, RegistryUnavailableError

# SQLSTATE classes of the infrastructure: 08 connection exception, 40 transaction
# rollback (serialization failure, deadlock), 53 insufficient resources (disk full,
# out of memory, too many connections), 58 system error (I/O).
TRANSIENT_CLASSES = ("08", "40", "53", "58")
# ... and of class 57 (operator intervention) the shutdowns; 57014 query_canceled
# (statement_timeout) is left to the message that ran that long.
TRANSIENT_STATES = frozenset({"57P01", "57P02", "57P03", "57P04", "57P05"})

REASON_BYTES = 1000  # how much of an error's text a header or an outcome carries


def sqlstate(exc: BaseException) -> str | None:
    state = getattr(exc, "sqlstate", None)
    return str(state) if state else None


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` is the infrastructure failing: retry the same work later.

    A lost or unusable connection (psycopg raises ``OperationalError`` or
    ``InterfaceError`` without a SQLSTATE then), the SQLSTATEs above, Kafka
    not acknowledging a write (:class:`DeliveryError`, after librdkafka's own
    retries), and the schema registry not answering
    (:class:`RegistryUnavailableError`). Everything else is not transient: the
    same input would fail the same way again.
    """
    if isinstance(exc, DeliveryError | RegistryUnavailableError):
        return True
    state = sqlstate(exc)
    if state is not None:
        return state.startswith(TRANSIENT_CLASSES) or state in TRANSIENT_STATES
    return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)


def describe(exc: BaseException, limit: int = REASON_BYTES) -> str:
    """One line saying what went wrong: the class and the primary message, NULs removed.

    PostgreSQL's own primary message is preferred over ``str(exc)``, which for
    some errors quotes the whole failing row. At most ``limit`` UTF-8 bytes.
    """
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    text = primary or str(exc) or type(exc).__name__
    return clip(" ".join(text.replace("\x00", "\\0").split()), limit)


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, never inside a character."""
    data = text.encode(errors="replace")
    if len(data) <= limit:
        return text
    return data[: max(0, limit - 3)].decode(errors="ignore") + "..."


__all__ = [
    "REASON_BYTES",
    "TRANSIENT_CLASSES",
    "TRANSIENT_STATES",
    "clip",
    "describe",
    "is_transient",
    "sqlstate",
]
