"""What every long-running loop shares: the consumer loop, the outbox relay, the job executor.

- a database connection that is opened on first use and again after it broke;
- a LISTEN thread that sets the wake event on every NOTIFY of a channel and
  reconnects when its link drops;
- ``stop`` and ``wake`` events: ``stop()`` asks the loop to finish what it holds
  and return; a NOTIFY or a finished piece of work wakes it early;
- an exponential backoff for retrying the infrastructure;
- ``liveness`` for /healthz;
- one rule for which failures are worth retrying: :func:`provisioning.failures.is_transient`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import psycopg
from psycopg import sql
from psycopg.rows import RowFactory, TupleRow, tuple_row

from provisioning import observability
from provisioning.failures import is_transient
from provisioning.settings import Settings

log = logging.getLogger(__name__)

Row = TypeVar("Row")
T = TypeVar("T")

MAX_BACKOFF_SECONDS = 30.0

# The database role each component works as (db/roles.sql): after connecting, a
# component does SET ROLE to it unless PROVISIONING_DATABASE_SET_ROLE is false.
COMPONENT_ROLES = {
    "ingest": "provisioning_ingest",
    "replay": "provisioning_ingest",
    "executor": "provisioning_executor",
    "relay": "provisioning_relay",
    "order-service": "provisioning_order_service",
}


class Backoff:
    """Doubling delays from ``base`` up to ``ceiling``; ``reset`` after a success."""

    def __init__(self, base: float = 0.5, ceiling: float = MAX_BACKOFF_SECONDS) -> None:
        self.base = base
        self.ceiling = ceiling
        self.current = base

    def next(self) -> float:
        delay = self.current
        self.current = min(self.current * 2, self.ceiling)
        return delay

    def reset(self) -> None:
        self.current = self.base


class Service(Generic[Row]):
    """The base of a long-running loop; subclasses add their ``run``."""

    def __init__(
        self,
        settings: Settings,
        name: str,
        *,
        row_factory: RowFactory[Row] | None = None,
        backoff_seconds: float = 0.5,
        read_only: bool = False,
        role: str | None = None,
    ) -> None:
        self.settings = settings
        self.name = name  # application_name in pg_stat_activity
        self.role = role  # SET ROLE on every connection (COMPONENT_ROLES)
        self.stop_event = threading.Event()
        self.wake_event = threading.Event()
        self.backoff = Backoff(backoff_seconds)
        self.liveness = observability.Liveness()
        self.listening = threading.Event()  # set while a LISTEN is active (tests wait on it)
        self.reconnects = 0
        self._row_factory = row_factory
        self._read_only = read_only  # a dry run's transactions cannot write, even by mistake
        self._conn: psycopg.Connection[Row] | None = None

    # ------------------------------------------------------------------ stop and wake

    def stop(self) -> None:
        """Finish the work in hand, then return from ``run``."""
        self.stop_event.set()
        self.wake_event.set()

    @property
    def stopping(self) -> bool:
        return self.stop_event.is_set()

    def wait(self, seconds: float, *, wakeable: bool = True) -> None:
        """Sleep up to ``seconds``; a stop ends it, and a wake too when ``wakeable``."""
        (self.wake_event if wakeable else self.stop_event).wait(max(0.0, seconds))
        self.wake_event.clear()

    # ------------------------------------------------------------------ the database

    def connection(self) -> psycopg.Connection[Row]:
        """The loop's autocommit connection, opened again if it was closed or broke."""
        if self._conn is None or self._conn.closed or self._conn.broken:
            factory: RowFactory[Any] = self._row_factory or tuple_row
            self._conn = psycopg.connect(
                self.settings.database_url.get_secret_value(),
                autocommit=True,
                row_factory=factory,
                application_name=self.name,
            )
            if self.role is not None and self.settings.database_set_role:
                self._conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(self.role)))
            if self._read_only:
                self._conn.read_only = True
        return self._conn

    def drop_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def retry_later(self, exc: BaseException, what: str) -> None:
        """After a transient failure: log it, drop the connection, wait the next backoff."""
        delay = self.backoff.next()
        log.warning("%s: %s (%s); retrying in %.1fs", self.name, what, exc, delay)
        self.reconnects += 1
        self.drop_connection()
        self.wait(delay, wakeable=False)

    def retrying(self, work: Callable[[], T], what: str = "database unavailable") -> T:
        """``work()``, again after each transient failure, until it succeeds or stop is asked.

        A failure that is not transient propagates; so does a transient one once
        stopping (the caller has nothing committed, so nothing is lost).
        """
        while True:
            try:
                result = work()
            except Exception as exc:
                if not is_transient(exc) or self.stopping:
                    raise
                self.retry_later(exc, what)
                continue
            self.backoff.reset()
            return result

    # ------------------------------------------------------------------ LISTEN

    def start_listener(self, listen_sql: str, poll_seconds: float = 1.0) -> threading.Thread:
        """A daemon thread that sets ``wake_event`` on each NOTIFY ``listen_sql`` subscribes to."""
        thread = threading.Thread(
            target=self._listen, args=(listen_sql, poll_seconds), name=f"{self.name}-listen"
        )
        thread.daemon = True
        thread.start()
        return thread

    def _listen(self, listen_sql: str, poll_seconds: float) -> None:
        while not self.stopping:
            try:
                with psycopg.connect(
                    self.settings.database_url.get_secret_value(),
                    autocommit=True,
                    application_name=f"{self.name}-listen",
                ) as conn:
                    conn.execute(listen_sql)
                    self.listening.set()
                    self.wake_event.set()  # anything notified while we were away
                    while not self.stopping:
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self.wake_event.set()
            except psycopg.Error as exc:
                self.listening.clear()
                if not is_transient(exc):
                    log.error("%s: LISTEN failed (%s); polling only", self.name, exc)
                    return
                log.warning(
                    "%s: LISTEN connection lost (%s); polling until it is back", self.name, exc
                )
                self.stop_event.wait(poll_seconds)
        self.listening.clear()


__all__ = ["COMPONENT_ROLES", "MAX_BACKOFF_SECONDS", "Backoff", "Service", "TupleRow"]
