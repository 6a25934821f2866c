"""The request outbox: ask for a provision action in your own database transaction.

A component that writes to PostgreSQL and must ask for a provision action when
its write commits — and only then — puts the request into the request outbox
(``action_request_outbox``) **in the same transaction** as its own write:

    from sqlalchemy import create_engine
    from producers.outbox import enqueue_request

    engine = create_engine("postgresql+psycopg://panel@db/provisioning")
    with engine.begin() as conn:                 # one transaction
        conn.execute(invoices.insert().values(...))
        enqueue_request(conn, {"action": "provision_domain_renew", ...})
    # committed: the relay publishes the request to the actions topic;
    # rolled back: neither the invoice nor the request exists

``enqueue_request`` takes a SQLAlchemy ``Connection`` or ``Session`` (any
PostgreSQL driver with the ``pyformat`` paramstyle: psycopg 3, psycopg2) or a
plain psycopg 3 connection, and runs in whatever transaction it is in: it never
begins, commits or rolls back one. The relay (``provisioning relay``, outbox
``action-requests``) publishes committed rows in id order, at least once, keyed
by object, as :class:`producers.requests.RequestProducer` would have sent them;
ingest dedupes by ``request_id``. For an ``AsyncConnection``/``AsyncSession``:
``await conn.run_sync(enqueue_request, request)``.

The request is checked and encoded before anything is written: a request that
cannot be a valid message raises :class:`~provisioning.errors.InvalidRequest`,
writes nothing and leaves the caller's transaction usable.

The database role: INSERT on the outbox is all a writer needs, and
``provisioning_requester`` (db/roles.sql) has only that. Grant it to the
component's own login role (which keeps its rights on its own tables); do not
``SET ROLE`` to it, which would lose them for the rest of the transaction.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy.engine import Connection as SAConnection
from sqlalchemy.orm import Session

from producers.requests import new_traceparent
from provisioning.errors import InvalidRequest
from provisioning.sqlfiles import query
from schemas.codec import SingleObjectCodec
from schemas.requests import ACTIONS, REQUEST, build_request, object_key, to_avro

GROUP = "action_outbox"  # db/queries/action_outbox.sql

MAX_KEY_CHARS = 1000  # action_request_outbox's CHECKs
MAX_REQUEST_BYTES = 65536

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
_CODEC = SingleObjectCodec()

Target = psycopg.Connection[Any] | SAConnection | Session
_Execute = Callable[[str, Mapping[str, Any] | None], None]


def enqueue_request(
    target: Target, request: Mapping[str, Any], *, traceparent: str | None = None
) -> str:
    """Write ``request`` into the request outbox in ``target``'s transaction; its request_id.

    ``traceparent`` continues the caller's trace (a fresh one when None, as
    RequestProducer.send does); the relay sends it as the message's header.

    ``request`` is a mapping in the ``schemas/requests.py`` form (``action``,
    ``tenant_customer_id``, ``accreditation``, ``payload``, optional
    ``request_id`` — generated when missing —, ``order_metadata``). The same
    ``request_id`` twice is written once. Raises InvalidRequest, writing
    nothing, when the request cannot be a valid message; TypeError for a target
    it cannot write through.
    """
    row = _outbox_row(request, traceparent)
    execute = _executor(target)
    execute(query(GROUP, "enqueue"), row)
    execute(query(GROUP, "notify"), None)  # delivered at commit, dropped by a rollback
    return str(row["request_id"])


def _outbox_row(request: Mapping[str, Any], traceparent: str | None) -> dict[str, Any]:
    """The outbox row of a checked, encodable request; InvalidRequest otherwise."""
    if not isinstance(request, Mapping):
        raise InvalidRequest("a request is a mapping (schemas/requests.py)")
    datum = build_request(request)
    if datum["order_item_plan_ids"]:
        raise InvalidRequest(
            "order_item_plan_ids are accepted only on the order service's topic: "
            "order through producers.orders.place_order"
        )
    if traceparent is not None and not _TRACEPARENT.match(traceparent):
        raise InvalidRequest(f"traceparent {traceparent!r} is not a W3C trace context")
    _CODEC.encode(REQUEST, to_avro(datum))  # InvalidRequest: what the relay could not send
    key = object_key(ACTIONS[datum["action"]], datum["payload"], datum["request_id"])
    if len(key) > MAX_KEY_CHARS:
        raise InvalidRequest(f"the object's name is longer than {MAX_KEY_CHARS} characters")
    stored = json.dumps(datum, default=_json_default)
    if len(stored.encode()) > MAX_REQUEST_BYTES:
        raise InvalidRequest(f"the request is larger than {MAX_REQUEST_BYTES} bytes as JSON")
    return {
        "request_id": datum["request_id"],
        "message_key": key,
        "request": stored,
        "traceparent": traceparent or new_traceparent(),  # as RequestProducer.send
    }


def _json_default(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _executor(target: object) -> _Execute:
    """A function running a named query (psycopg ``%(name)s`` placeholders) on ``target``,
    in the transaction ``target`` is in (SQLAlchemy: the one it begins on first use)."""
    if isinstance(target, psycopg.Connection):
        conn = target

        def run_psycopg(sql: str, params: Mapping[str, Any] | None) -> None:
            conn.execute(sql, params)

        return run_psycopg
    if isinstance(target, Session):
        target = target.connection()  # the session's transaction (begun if it was not)
    if isinstance(target, SAConnection):
        dialect = target.dialect
        if dialect.name != "postgresql" or dialect.paramstyle != "pyformat":
            raise TypeError(
                "enqueue_request needs PostgreSQL through a pyformat driver (psycopg, "
                f"psycopg2), not {dialect.name}+{dialect.driver}"
            )
        sa_conn = target

        def run_sqlalchemy(sql: str, params: Mapping[str, Any] | None) -> None:
            if params is None:
                sa_conn.exec_driver_sql(sql)
            else:
                sa_conn.exec_driver_sql(sql, dict(params))

        return run_sqlalchemy
    raise TypeError(
        "enqueue_request writes through a SQLAlchemy Connection or Session or a psycopg "
        f"Connection, not {type(target).__name__}"
    )


__all__ = ["GROUP", "MAX_KEY_CHARS", "MAX_REQUEST_BYTES", "Target", "enqueue_request"]
