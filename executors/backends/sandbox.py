"""The sandbox backend: a registry's test environment and a CA, state in PostgreSQL.

It behaves like an OT&E registry: names are registered, renewed, transferred,
deleted into redemption and restored with the refusals a registry gives (EPP
result codes, see ``base.py``), contacts and hosts are created, and a real CA
issues real X.509 certificates (``ca.py``). Its tables are in schema
``sandbox`` (``db/sandbox/schema.sql``), which :meth:`SandboxBackend.install`
applies when a backend starts; its SQL is in ``db/queries/sandbox.sql``.

Every mutating call runs in one transaction that first claims its
``client_ref`` in ``sandbox.transaction``: the first call acts and records its
result; a retry (even a concurrent one, which waits for the first to commit)
returns the recorded result without acting again.

A transfer is approved at once, or with ``transfer_pending_seconds`` > 0
answered "pending" like a real registry's (EPP 1001): the losing registrar
approves or rejects it (:meth:`SandboxBackend.decide_transfer`, the operator's
``provisioning sandbox transfer approve|reject|cancel NAME``), else the server
approves it after that delay; each registrar's poll queue (``sandbox.message``,
:meth:`SandboxBackend.poll_transfers`, ``ack_transfer_message``) says how it
ended, as EPP's ``<poll>`` does.

``latency_ms`` and ``failure_rate`` make it behave like a remote registry: every
call sleeps that long, and that share of calls raises
:class:`TransientBackendError` before doing anything.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import fields, replace
from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any, TypeVar, get_args, get_type_hints

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

from executors.backends.base import (
    TRANSFER_APPROVED,
    BackendError,
    CertificateInfo,
    DeleteInfo,
    DomainInfo,
    NotAuthorized,
    ObjectExists,
    ObjectInfo,
    ObjectNotFound,
    PolicyError,
    StatusProhibits,
    TransferInfo,
    TransferMessage,
    TransientBackendError,
)
from executors.backends.ca import (
    CertificateAuthority,
    PublicKey,
    certificate_pem,
    generate_key,
    key_type_of,
    load_csr,
    normalize_key_type,
    private_key_pem,
)
from provisioning.settings import Settings
from provisioning.sqlfiles import db_dir, query

log = logging.getLogger(__name__)

Cursor = psycopg.Cursor[DictRow]
Info = TypeVar("Info", DomainInfo, DeleteInfo, ObjectInfo, CertificateInfo, TransferInfo)

CLIENT_LOCKS = frozenset(
    {
        "clientDeleteProhibited",
        "clientHold",
        "clientRenewProhibited",
        "clientTransferProhibited",
        "clientUpdateProhibited",
    }
)
CONTACT_ROLES = ("registrant", "admin", "tech", "billing")
UPDATE_KEYS = frozenset({"nameservers", "contacts", "auth_info", "add_locks", "remove_locks"})
# operator decisions on a pending transfer -> its final status (EPP trStatus)
TRANSFER_DECISIONS = {
    "approve": "clientApproved",
    "reject": "clientRejected",
    "cancel": "clientCancelled",
}
MAX_VALIDITY_DAYS = 398  # the CA/Browser Forum's limit for a TLS server certificate

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOST_NAME = re.compile(rf"^{_LABEL}(\.{_LABEL})+$")


def _q(name: str) -> str:
    return query("sandbox", name)


def _fqdn(name: str, *, wildcard: bool = False) -> str:
    """``name`` lower-cased without a trailing dot; PolicyError when it is not a host name."""
    normalized = name.strip().lower().removesuffix(".")
    bare = normalized.removeprefix("*.") if wildcard else normalized
    if len(normalized) > 253 or not _HOST_NAME.match(bare):
        raise PolicyError(f"sandbox: {name!r} is not a host name")
    return normalized


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _plain(value: Any) -> Any:
    """``value`` as JSON can hold it (dates as ISO strings), None kept."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _from_result(info_type: type[Info], result: Mapping[str, Any]) -> Info:
    """The info a recorded ``to_result()`` came from."""
    hints = get_type_hints(info_type)
    values: dict[str, Any] = {}
    for field in fields(info_type):
        if field.name not in result:
            continue
        value = result[field.name]
        hint: object = hints[field.name]
        if isinstance(value, str) and datetime in (hint, *get_args(hint)):
            value = datetime.fromisoformat(value)
        values[field.name] = value
    return info_type(**values)


def _domain_info(row: DictRow) -> DomainInfo:
    contacts: dict[str, str] = row["contacts"]
    locks = sorted(row["locks"])
    if row["status"] == "redemption":
        statuses = ["pendingDelete", "redemptionPeriod", *locks]
    else:
        statuses = locks or [row["status"]]
    return DomainInfo(
        name=row["name"],
        roid=row["roid"],
        created_date=row["created_date"].astimezone(UTC),
        expiry_date=row["expiry_date"].astimezone(UTC),
        updated_date=_utc(row["updated_date"]),
        transfer_date=_utc(row["transfer_date"]),
        nameservers=list(row["nameservers"]),
        registrant=contacts.get("registrant"),
        admin_contact=contacts.get("admin"),
        tech_contact=contacts.get("tech"),
        billing_contact=contacts.get("billing"),
        statuses=statuses,
    )


def _addresses(host: str, addresses: Sequence[str]) -> list[str]:
    """The addresses as plain IP texts; PolicyError naming the host for one that is not."""
    try:  # an INET's text may carry a full-length prefix: 192.0.2.1/32
        return [str(ipaddress.ip_interface(a.strip()).ip) for a in addresses]
    except ValueError as exc:
        raise PolicyError(f"sandbox: host {host}: {exc}") from None


def _object_info(row: DictRow) -> ObjectInfo:
    return ObjectInfo(
        roid=row["roid"],
        created_date=row["created_date"].astimezone(UTC),
        handle=row.get("handle"),
        name=row.get("name"),
    )


def _changed_fields(fields: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A contact's stored fields with ``changes`` applied; "" or None removes a field."""
    merged = dict(fields)
    for key, value in changes.items():
        if key == "handle":
            raise PolicyError("sandbox: a contact's handle cannot be changed")
        if value is None or value == "":
            merged.pop(key, None)
        else:
            merged[key] = _plain(value)
    return merged


def _check_period(period: int, low: int, high: int, what: str) -> None:
    if not low <= period <= high:
        raise PolicyError(f"sandbox: {what} period {period} is outside {low}..{high} years")


def _locks(value: Any, what: str) -> list[str]:
    locks = list(dict.fromkeys(value or []))
    unknown = [lock for lock in locks if lock not in CLIENT_LOCKS]
    if unknown:
        raise PolicyError(f"sandbox: {what}: {unknown} not among {sorted(CLIENT_LOCKS)}")
    return locks


def _contacts(value: Mapping[str, str | None], base: Mapping[str, str]) -> dict[str, str]:
    """``base`` with the roles in ``value`` set (a None or empty handle removes the role)."""
    contacts = dict(base)
    for role, handle in value.items():
        if role not in CONTACT_ROLES:
            raise PolicyError(f"sandbox: contact role {role!r} is not one of {CONTACT_ROLES}")
        if handle:
            contacts[role] = handle
        else:
            contacts.pop(role, None)
    return contacts


class SandboxBackend:
    """A :class:`~executors.backends.base.Backend` whose registry and CA live in PostgreSQL.

    Thread-safe: each call takes a connection from a pool of ``max_connections``
    (give it the executor's concurrency) and runs in one transaction.
    """

    name = "sandbox"

    def __init__(
        self,
        database_url: str,
        *,
        latency_ms: int = 0,
        failure_rate: float = 0.0,
        seed: int | None = None,
        max_connections: int = 8,
        transfer_pending_seconds: float = 0.0,
    ) -> None:
        if latency_ms < 0:
            raise ValueError(f"latency_ms must be >= 0, not {latency_ms}")
        if not 0.0 <= failure_rate <= 1.0:
            raise ValueError(f"failure_rate must be within 0..1, not {failure_rate}")
        if transfer_pending_seconds < 0:
            raise ValueError(
                f"transfer_pending_seconds must be >= 0, not {transfer_pending_seconds}"
            )
        self.latency_ms = latency_ms
        self.transfer_pending_seconds = transfer_pending_seconds
        self.failure_rate = failure_rate
        self._random = random.Random(seed)  # noqa: S311 - simulated failures, not secrets
        self._random_lock = threading.Lock()
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            database_url,
            min_size=1,
            max_size=max(1, max_connections),
            kwargs={"autocommit": True},
            configure=self._configure,
            name="sandbox",
            open=True,
        )
        try:
            self._ca = self.install()
        except BaseException:
            self._pool.close()
            raise

    @classmethod
    def from_settings(cls, settings: Settings) -> SandboxBackend:
        """The sandbox the ``PROVISIONING_SANDBOX_*`` settings describe.

        Its database is the provisioning database (as its owner: the sandbox stands for
        a registry, not for a component) unless SANDBOX_DATABASE_URL names one.
        """
        url = settings.sandbox_database_url
        return cls(
            url.get_secret_value() if url is not None else settings.admin_url(),
            latency_ms=settings.sandbox_latency_ms,
            failure_rate=settings.sandbox_failure_rate,
            max_connections=settings.executor_concurrency,
            transfer_pending_seconds=settings.sandbox_transfer_pending_seconds,
        )

    @staticmethod
    def _configure(conn: psycopg.Connection[Any]) -> None:
        conn.execute(_q("session_setup"))

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> SandboxBackend:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- plumbing -------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[Cursor]:
        """One transaction; database failures become backend errors (unavailable: retryable)."""
        try:
            with (
                self._pool.connection() as conn,
                conn.transaction(),
                conn.cursor(row_factory=dict_row) as cur,
            ):
                yield cur
        except PoolTimeout as exc:
            raise TransientBackendError(f"sandbox: no database connection: {exc}") from exc
        except psycopg.OperationalError as exc:
            raise TransientBackendError(f"sandbox: database unavailable: {exc}") from exc
        except psycopg.Error as exc:
            raise BackendError(f"sandbox: database error: {exc}") from exc

    def install(self) -> CertificateAuthority:
        """Apply ``db/sandbox/schema.sql`` and create the CA if there is none; return the CA.

        Idempotent and safe to run from several processes at once. A role that may
        not run the DDL (an executor's) can still use a schema its owner installed.
        """
        schema = (db_dir() / "sandbox" / "schema.sql").read_text()
        with self._transaction() as cur:
            cur.execute(_q("install_lock"))
            try:
                with cur.connection.transaction():
                    cur.execute(schema)
            except psycopg.errors.InsufficientPrivilege:
                row = cur.execute(_q("installed")).fetchone()
                if row is None or not row["installed"]:
                    raise
                log.warning("sandbox: may not apply schema.sql; using the installed schema")
            row = cur.execute(_q("get_ca")).fetchone()
            if row is None:
                fresh = CertificateAuthority.create()
                cur.execute(
                    _q("insert_ca"),
                    {"key_pem": fresh.key_pem, "certificate_pem": fresh.certificate_pem},
                )
                row = cur.execute(_q("get_ca")).fetchone()
            if row is None:
                raise BackendError("sandbox: the CA was not stored")
            return CertificateAuthority.from_pem(row["key_pem"], row["certificate_pem"])

    @property
    def ca_certificate_pem(self) -> str:
        """The sandbox CA's certificate: what a client trusts to verify what it issues."""
        return self._ca.certificate_pem

    def _simulate(self) -> None:
        """The configured latency, then (with failure_rate) a transient failure."""
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)
        if self.failure_rate:
            with self._random_lock:
                roll = self._random.random()
            if roll < self.failure_rate:
                raise TransientBackendError("sandbox: simulated failure")

    def _once(
        self,
        operation: str,
        info_type: type[Info],
        *,
        registrar: str,
        client_ref: str,
        request: Mapping[str, Any],
        act: Callable[[Cursor], Info],
    ) -> Info:
        """Run ``act`` once per ``client_ref``; a repeated call returns the recorded result."""
        self._simulate()
        recorded_request = _plain(request)
        params = {"client_ref": client_ref, "operation": operation, "registrar": registrar}
        with self._transaction() as cur:
            cur.execute(_q("claim_transaction"), {**params, "request": Jsonb(recorded_request)})
            if cur.fetchone() is None:
                row = cur.execute(_q("get_transaction"), params).fetchone()
                if row is None or row["result"] is None:
                    raise BackendError(f"sandbox: transaction {client_ref} has no result")
                seen = (row["operation"], row["registrar"], row["request"])
                if seen != (operation, registrar, recorded_request):
                    raise PolicyError(
                        f"sandbox: client_ref {client_ref} was already used for another request"
                        f" ({row['operation']} by {row['registrar']})"
                    )
                return _from_result(info_type, row["result"])
            info = act(cur)
            cur.execute(
                _q("record_result"),
                {"client_ref": client_ref, "result": Jsonb(info.to_result(secrets=True))},
            )
            return info

    def _tld(self, cur: Cursor, name: str) -> DictRow:
        tld = name.partition(".")[2]
        row = cur.execute(_q("get_tld"), {"tld": tld}).fetchone()
        if row is None:
            raise PolicyError(f"sandbox: {name}: the sandbox registers no names under .{tld}")
        return row

    def _own_domain(self, cur: Cursor, name: str, registrar: str, *, purge: bool = True) -> DictRow:
        """The live domain ``name`` of ``registrar``, locked; ObjectNotFound / NotAuthorized."""
        if purge:
            cur.execute(_q("purge_due"), {"name": name})
        row = cur.execute(_q("get_live_domain"), {"name": name}).fetchone()
        if row is None:
            raise ObjectNotFound(f"sandbox: domain {name} does not exist")
        if row["registrar"] != registrar:
            raise NotAuthorized(f"sandbox: domain {name} is sponsored by another registrar")
        return row

    @staticmethod
    def _require(row: DictRow, *, status: str, lock: str | None = None) -> None:
        if row["status"] != status:
            raise StatusProhibits(
                f"sandbox: domain {row['name']} is in status {row['status']}, not {status}"
            )
        if lock is not None and lock in row["locks"]:
            raise StatusProhibits(f"sandbox: domain {row['name']} has the lock {lock}")

    # --- the Backend interface ------------------------------------------------

    def check_availability(self, names: Sequence[str]) -> dict[str, bool]:
        self._simulate()
        normalized = {name: name.strip().lower().removesuffix(".") for name in names}
        with self._transaction() as cur:
            rows = cur.execute(
                _q("check_availability"), {"names": sorted(set(normalized.values()))}
            ).fetchall()
        free = {row["name"]: bool(row["available"]) for row in rows}
        return {name: free.get(value, False) for name, value in normalized.items()}

    def create_domain(
        self,
        *,
        registrar: str,
        client_ref: str,
        name: str,
        period: int,
        auth_info: str,
        contacts: Mapping[str, str | None],
        nameservers: Sequence[str],
    ) -> DomainInfo:
        name = _fqdn(name)
        hosts = [_fqdn(ns) for ns in nameservers]

        def act(cur: Cursor) -> DomainInfo:
            tld = self._tld(cur, name)
            _check_period(period, 1, tld["max_years"], "registration")
            cur.execute(_q("purge_due"), {"name": name})
            row = cur.execute(
                _q("insert_domain"),
                {
                    "name": name,
                    "tld": tld["name"],
                    "registrar": registrar,
                    "auth_info": auth_info,
                    "period": period,
                    "nameservers": hosts,
                    "contacts": Jsonb(_contacts(contacts, {})),
                },
            ).fetchone()
            if row is None:
                raise ObjectExists(f"sandbox: domain {name} is already registered")
            return _domain_info(row)

        request = {
            "name": name,
            "period": period,
            "auth_info": auth_info,
            "contacts": contacts,
            "nameservers": hosts,
        }
        return self._once(
            "create_domain",
            DomainInfo,
            registrar=registrar,
            client_ref=client_ref,
            request=request,
            act=act,
        )

    def renew_domain(
        self,
        *,
        registrar: str,
        client_ref: str,
        name: str,
        period: int,
        current_expiry_date: date | None,
    ) -> DomainInfo:
        name = _fqdn(name)

        def act(cur: Cursor) -> DomainInfo:
            row = self._own_domain(cur, name, registrar)
            self._require(row, status="ok", lock="clientRenewProhibited")
            tld = self._tld(cur, name)
            _check_period(period, 1, tld["max_years"], "renewal")
            expiry = row["expiry_date"].astimezone(UTC).date()
            if current_expiry_date is not None and current_expiry_date != expiry:
                raise PolicyError(
                    f"sandbox: domain {name} expires on {expiry}, not {current_expiry_date}"
                )
            renewed = cur.execute(
                _q("renew_domain"),
                {"id": row["id"], "period": period, "max_years": tld["max_years"]},
            ).fetchone()
            if renewed is None:
                raise PolicyError(
                    f"sandbox: renewing {name} by {period} years would take its expiry"
                    f" beyond {tld['max_years']} years from now"
                )
            return _domain_info(renewed)

        request = {"name": name, "period": period, "current_expiry_date": current_expiry_date}
        return self._once(
            "renew_domain",
            DomainInfo,
            registrar=registrar,
            client_ref=client_ref,
            request=request,
            act=act,
        )

    def transfer_domain(
        self, *, registrar: str, client_ref: str, name: str, auth_info: str, period: int
    ) -> DomainInfo:
        """Move ``name`` to ``registrar`` with a new auth code (returned in ``auth_info``),
        and tell the losing registrar in its poll queue (``serverApproved``); or, with
        ``transfer_pending_seconds`` > 0, answer "pending" (``pending=True``): the
        transfer then waits for :meth:`decide_transfer` or its auto-approval, and both
        registrars' poll queues say how it ended (:meth:`poll_transfers`)."""
        name = _fqdn(name)

        def act(cur: Cursor) -> DomainInfo:
            cur.execute(_q("purge_due"), {"name": name})
            row = cur.execute(_q("get_live_domain"), {"name": name}).fetchone()
            if row is None:
                raise ObjectNotFound(f"sandbox: domain {name} does not exist")
            if row["registrar"] == registrar:
                raise StatusProhibits(f"sandbox: domain {name} is already sponsored by you")
            if not secrets.compare_digest(row["auth_info"].encode(), auth_info.encode()):
                raise NotAuthorized(f"sandbox: wrong auth code for domain {name}")
            self._require(row, status="ok", lock="clientTransferProhibited")
            if cur.execute(_q("get_pending_transfer"), {"name": name}).fetchone() is not None:
                raise StatusProhibits(f"sandbox: domain {name} has a pending transfer", code=2300)
            tld = self._tld(cur, name)
            if tld["transfer_adds_years"] == 0:
                _check_period(period, 0, 0, f".{tld['name']} transfer")
            else:
                _check_period(period, 1, tld["max_years"], "transfer")
            if self.transfer_pending_seconds > 0:
                transfer = cur.execute(
                    _q("insert_transfer"),
                    {
                        "domain_id": row["id"],
                        "name": name,
                        "gaining": registrar,
                        "losing": row["registrar"],
                        "period": period,
                        "pending_seconds": self.transfer_pending_seconds,
                    },
                ).fetchone()
                if transfer is None:
                    raise StatusProhibits(
                        f"sandbox: domain {name} has a pending transfer", code=2300
                    )
                self._notify(cur, transfer, None)
                info = _domain_info(row)
                held = [status for status in info.statuses if status != "ok"]
                return replace(info, pending=True, statuses=[*held, "pendingTransfer"])
            moved = self._move(cur, row, registrar, period, tld)
            if moved is None:
                raise PolicyError(
                    f"sandbox: a transfer adding {period} years would take the expiry of {name}"
                    f" beyond {tld['max_years']} years from now"
                )
            # approved at once: the losing registrar still learns of it from its queue
            now = datetime.now(UTC).isoformat()
            notice = {
                "name": name,
                "status": "serverApproved",
                "gaining_registrar": registrar,
                "losing_registrar": row["registrar"],
                "requested_date": now,
                "action_date": now,
            }
            cur.execute(
                _q("insert_message"), {"registrar": row["registrar"], "body": Jsonb(notice)}
            )
            return moved

        request = {"name": name, "auth_info": auth_info, "period": period}
        return self._once(
            "transfer_domain",
            DomainInfo,
            registrar=registrar,
            client_ref=client_ref,
            request=request,
            act=act,
        )

    def transfer_domain_action(
        self, *, registrar: str, client_ref: str, name: str, op: str
    ) -> TransferInfo:
        """Decide the pending transfer of ``name`` as a registrar: ``cancel`` as the gaining
        one, ``reject`` or ``approve`` as the losing one (EPP ``<transfer op=...>``).
        StatusProhibits (2301) when no transfer of ``name`` is pending; NotAuthorized when
        ``registrar`` is not the party that may take that decision."""
        name = _fqdn(name)
        if op not in TRANSFER_DECISIONS:
            raise PolicyError(f"sandbox: transfer op {op!r} is not cancel, reject or approve")
        decision = op

        def act(cur: Cursor) -> TransferInfo:
            transfer = cur.execute(_q("get_pending_transfer"), {"name": name}).fetchone()
            if transfer is None:
                raise StatusProhibits(f"sandbox: no transfer of {name} is pending", code=2301)
            party = "gaining_registrar" if decision == "cancel" else "losing_registrar"
            if transfer[party] != registrar:
                raise NotAuthorized(
                    f"sandbox: only the {party.replace('_', ' ')} may {decision} the transfer"
                    f" of {name}"
                )
            status = self._end_transfer(cur, transfer, TRANSFER_DECISIONS[decision])
            return TransferInfo(
                name=name,
                status=status,
                gaining_registrar=transfer["gaining_registrar"],
                losing_registrar=transfer["losing_registrar"],
                requested_date=transfer["requested_date"].astimezone(UTC),
                action_date=datetime.now(UTC),
            )

        return self._once(
            "transfer_domain_action",
            TransferInfo,
            registrar=registrar,
            client_ref=client_ref,
            request={"name": name, "op": decision},
            act=act,
        )

    @staticmethod
    def _move(
        cur: Cursor, row: DictRow, registrar: str, period: int, tld: DictRow
    ) -> DomainInfo | None:
        """Move the domain ``row`` to ``registrar`` with a new auth code; None when the
        period would take its expiry beyond the zone's limit."""
        moved = cur.execute(
            _q("transfer_domain"),
            {
                "id": row["id"],
                "registrar": registrar,
                "auth_info": secrets.token_urlsafe(12),
                "period": period,
                "max_years": tld["max_years"],
            },
        ).fetchone()
        if moved is None:
            return None
        return replace(_domain_info(moved), auth_info=moved["auth_info"])

    @staticmethod
    def _notify(cur: Cursor, transfer: DictRow, moved: DomainInfo | None) -> None:
        """Queue the transfer's state for both registrars (EPP sends both a trnData
        message); the gaining registrar's copy of an approval carries the domain."""
        body = {
            "name": transfer["name"],
            "status": transfer["status"],
            "gaining_registrar": transfer["gaining_registrar"],
            "losing_registrar": transfer["losing_registrar"],
            "requested_date": transfer["requested_date"].astimezone(UTC).isoformat(),
            "action_date": (transfer["action_date"] or transfer["auto_approve_date"])
            .astimezone(UTC)
            .isoformat(),
        }
        for registrar in (transfer["gaining_registrar"], transfer["losing_registrar"]):
            message = dict(body)
            if moved is not None and registrar == transfer["gaining_registrar"]:
                message["domain"] = moved.to_result(secrets=True)
            cur.execute(_q("insert_message"), {"registrar": registrar, "body": Jsonb(message)})

    def _end_transfer(self, cur: Cursor, transfer: DictRow, status: str) -> str:
        """End the pending ``transfer`` with ``status`` (an approval that can no longer
        be carried out becomes serverCancelled); queue the messages; the final status."""
        moved: DomainInfo | None = None
        if status in TRANSFER_APPROVED:
            row = cur.execute(_q("get_domain_by_id"), {"id": transfer["domain_id"]}).fetchone()
            if (
                row is not None
                and row["status"] == "ok"
                and row["registrar"] == transfer["losing_registrar"]
            ):
                moved = self._move(
                    cur, row, transfer["gaining_registrar"], transfer["period"],
                    self._tld(cur, transfer["name"]),
                )  # fmt: skip
            if moved is None:
                status = "serverCancelled"
        ended = cur.execute(_q("end_transfer"), {"id": transfer["id"], "status": status}).fetchone()
        if ended is None:
            raise BackendError(f"sandbox: transfer of {transfer['name']} vanished")
        self._notify(cur, ended, moved)
        return status

    def _settle_due(self, cur: Cursor) -> int:
        """Approve the pending transfers whose auto-approval time has come."""
        due = cur.execute(_q("due_transfers"), {"limit": 100}).fetchall()
        for transfer in due:
            self._end_transfer(cur, transfer, "serverApproved")
        return len(due)

    def restore_domain(
        self, *, registrar: str, client_ref: str, name: str, report: Mapping[str, Any] | None
    ) -> DomainInfo:
        name = _fqdn(name)

        def act(cur: Cursor) -> DomainInfo:
            row = self._own_domain(cur, name, registrar, purge=False)
            self._require(row, status="redemption")
            restored = cur.execute(_q("restore_domain"), {"id": row["id"]}).fetchone()
            if restored is None:
                raise StatusProhibits(
                    f"sandbox: the redemption period of {name} ended at {row['redemption_end']}"
                )
            return _domain_info(restored)

        return self._once(
            "restore_domain",
            DomainInfo,
            registrar=registrar,
            client_ref=client_ref,
            request={"name": name, "report": report},
            act=act,
        )

    def delete_domain(self, *, registrar: str, client_ref: str, name: str) -> DeleteInfo:
        name = _fqdn(name)

        def act(cur: Cursor) -> DeleteInfo:
            row = self._own_domain(cur, name, registrar)
            self._require(row, status="ok", lock="clientDeleteProhibited")
            hosts = [h["name"] for h in cur.execute(_q("subordinate_hosts"), {"name": name})]
            if hosts:
                raise StatusProhibits(
                    f"sandbox: domain {name} has hosts under it ({', '.join(hosts)}):"
                    " delete them first",
                    code=2305,
                )
            tld = self._tld(cur, name)
            deleted = cur.execute(
                _q("delete_domain"), {"id": row["id"], "redemption_days": tld["redemption_days"]}
            ).fetchone()
            if deleted is None:
                raise BackendError(f"sandbox: domain {name} vanished while being deleted")
            return DeleteInfo(
                name=name,
                purged=deleted["status"] == "deleted",
                redemption_end_date=_utc(deleted["redemption_end"]),
            )

        return self._once(
            "delete_domain",
            DeleteInfo,
            registrar=registrar,
            client_ref=client_ref,
            request={"name": name},
            act=act,
        )

    def update_domain(
        self, *, registrar: str, client_ref: str, name: str, changes: Mapping[str, Any]
    ) -> DomainInfo:
        name = _fqdn(name)
        unknown = sorted(set(changes) - UPDATE_KEYS)
        if unknown:
            raise PolicyError(f"sandbox: unknown changes {unknown}; known: {sorted(UPDATE_KEYS)}")
        add = _locks(changes.get("add_locks"), "add_locks")
        remove = _locks(changes.get("remove_locks"), "remove_locks")
        if set(add) & set(remove):
            raise PolicyError(f"sandbox: {sorted(set(add) & set(remove))} both added and removed")
        nameservers = changes.get("nameservers")
        hosts = None if nameservers is None else [_fqdn(ns) for ns in nameservers]

        def act(cur: Cursor) -> DomainInfo:
            row = self._own_domain(cur, name, registrar)
            self._require(row, status="ok")
            # RFC 5731: with clientUpdateProhibited only a request that removes it is accepted.
            if "clientUpdateProhibited" in row["locks"] and "clientUpdateProhibited" not in remove:
                raise StatusProhibits(
                    f"sandbox: domain {name} has the lock clientUpdateProhibited;"
                    " remove it to change the domain"
                )
            locks = [lock for lock in row["locks"] if lock not in remove]
            locks += [lock for lock in add if lock not in locks]
            updated = cur.execute(
                _q("update_domain"),
                {
                    "id": row["id"],
                    "nameservers": hosts,
                    "contacts": Jsonb(_contacts(changes.get("contacts") or {}, row["contacts"])),
                    "auth_info": changes.get("auth_info"),
                    "locks": locks,
                },
            ).fetchone()
            if updated is None:
                raise BackendError(f"sandbox: domain {name} vanished while being updated")
            return _domain_info(updated)

        return self._once(
            "update_domain",
            DomainInfo,
            registrar=registrar,
            client_ref=client_ref,
            request={"name": name, "changes": changes},
            act=act,
        )

    def create_contact(
        self, *, registrar: str, client_ref: str, contact: Mapping[str, Any]
    ) -> ObjectInfo:
        handle = contact.get("handle")
        if not isinstance(handle, str) or not handle.strip():
            raise PolicyError("sandbox: a contact needs a handle")
        handle = handle.strip()
        details = {key: value for key, value in contact.items() if key != "handle"}

        def act(cur: Cursor) -> ObjectInfo:
            row = cur.execute(
                _q("insert_contact"),
                {"registrar": registrar, "handle": handle, "fields": Jsonb(_plain(details))},
            ).fetchone()
            if row is None:
                raise ObjectExists(f"sandbox: you already have a contact with handle {handle}")
            return ObjectInfo(
                roid=row["roid"], created_date=row["created_date"].astimezone(UTC), handle=handle
            )

        return self._once(
            "create_contact",
            ObjectInfo,
            registrar=registrar,
            client_ref=client_ref,
            request={"contact": contact},
            act=act,
        )

    def create_host(
        self, *, registrar: str, client_ref: str, name: str, addresses: Sequence[str]
    ) -> ObjectInfo:
        name = _fqdn(name)
        ips = _addresses(name, addresses)

        def act(cur: Cursor) -> ObjectInfo:
            row = cur.execute(
                _q("insert_host"), {"name": name, "registrar": registrar, "addresses": ips}
            ).fetchone()
            if row is None:
                raise ObjectExists(f"sandbox: host {name} already exists")
            return ObjectInfo(
                roid=row["roid"], created_date=row["created_date"].astimezone(UTC), name=name
            )

        return self._once(
            "create_host",
            ObjectInfo,
            registrar=registrar,
            client_ref=client_ref,
            request={"name": name, "addresses": ips},
            act=act,
        )

    def _own_host(self, cur: Cursor, name: str, registrar: str) -> DictRow:
        """The host ``name`` of ``registrar``, locked; ObjectNotFound / NotAuthorized."""
        row = cur.execute(_q("get_host"), {"name": name}).fetchone()
        if row is None:
            raise ObjectNotFound(f"sandbox: host {name} does not exist")
        if row["registrar"] != registrar:
            raise NotAuthorized(f"sandbox: host {name} is sponsored by another registrar")
        return row

    def _own_contact(self, cur: Cursor, handle: str, registrar: str) -> DictRow:
        """The registrar's contact ``handle``, locked; ObjectNotFound."""
        row = cur.execute(_q("get_contact"), {"registrar": registrar, "handle": handle}).fetchone()
        if row is None:
            raise ObjectNotFound(f"sandbox: you have no contact with handle {handle}")
        return row

    def update_host(
        self, *, registrar: str, client_ref: str, name: str, addresses: Sequence[str]
    ) -> ObjectInfo:
        name = _fqdn(name)
        ips = _addresses(name, addresses)

        def act(cur: Cursor) -> ObjectInfo:
            row = self._own_host(cur, name, registrar)
            updated = cur.execute(_q("update_host"), {"id": row["id"], "addresses": ips}).fetchone()
            if updated is None:
                raise BackendError(f"sandbox: host {name} vanished while being updated")
            return _object_info(updated)

        return self._once(
            "update_host",
            ObjectInfo,
            registrar=registrar,
            client_ref=client_ref,
            request={"name": name, "addresses": ips},
            act=act,
        )

    def delete_host(self, *, registrar: str, client_ref: str, name: str) -> ObjectInfo:
        name = _fqdn(name)

        def act(cur: Cursor) -> ObjectInfo:
            row = self._own_host(cur, name, registrar)
            users = [u["name"] for u in cur.execute(_q("host_users"), {"name": name})]
            if users:
                raise StatusProhibits(
                    f"sandbox: host {name} is in use: domain {', '.join(users)} names it",
                    code=2305,
                )
            deleted = cur.execute(_q("delete_host"), {"id": row["id"]}).fetchone()
            if deleted is None:
                raise BackendError(f"sandbox: host {name} vanished while being deleted")
            return _object_info(deleted)

        return self._once(
            "delete_host",
            ObjectInfo,
            registrar=registrar,
            client_ref=client_ref,
            request={"name": name},
            act=act,
        )

    def update_contact(
        self, *, registrar: str, client_ref: str, handle: str, contact: Mapping[str, Any]
    ) -> ObjectInfo:
        handle = handle.strip()
        if not contact:
            raise PolicyError(f"sandbox: contact {handle}: no change requested")

        def act(cur: Cursor) -> ObjectInfo:
            row = self._own_contact(cur, handle, registrar)
            fields = _changed_fields(row["fields"], contact)
            updated = cur.execute(
                _q("update_contact"), {"id": row["id"], "fields": Jsonb(fields)}
            ).fetchone()
            if updated is None:
                raise BackendError(f"sandbox: contact {handle} vanished while being updated")
            return _object_info(updated)

        return self._once(
            "update_contact",
            ObjectInfo,
            registrar=registrar,
            client_ref=client_ref,
            request={"handle": handle, "contact": contact},
            act=act,
        )

    def delete_contact(self, *, registrar: str, client_ref: str, handle: str) -> ObjectInfo:
        handle = handle.strip()

        def act(cur: Cursor) -> ObjectInfo:
            row = self._own_contact(cur, handle, registrar)
            users = [
                u["name"]
                for u in cur.execute(
                    _q("contact_users"), {"handle": handle, "registrar": registrar}
                )
            ]
            if users:
                raise StatusProhibits(
                    f"sandbox: contact {handle} is in use: domain {', '.join(users)} names it",
                    code=2305,
                )
            deleted = cur.execute(_q("delete_contact"), {"id": row["id"]}).fetchone()
            if deleted is None:
                raise BackendError(f"sandbox: contact {handle} vanished while being deleted")
            return _object_info(deleted)

        return self._once(
            "delete_contact",
            ObjectInfo,
            registrar=registrar,
            client_ref=client_ref,
            request={"handle": handle},
            act=act,
        )

    def issue_certificate(
        self,
        *,
        registrar: str,
        client_ref: str,
        common_name: str,
        sans: Sequence[str],
        csr_pem: str | None,
        key_type: str | None,
        validity_days: int,
    ) -> CertificateInfo:
        common_name = _fqdn(common_name, wildcard=True)
        sans = [_fqdn(san, wildcard=True) for san in sans]
        names = [n for n in dict.fromkeys(sans) if n != common_name]
        if not 1 <= validity_days <= MAX_VALIDITY_DAYS:
            raise PolicyError(
                f"sandbox: validity_days {validity_days} is outside 1..{MAX_VALIDITY_DAYS}"
            )
        # Key material first, outside the transaction (an RSA key takes a while).
        key_pem: str | None = None
        public_key: PublicKey
        if csr_pem and csr_pem.strip():
            public_key = load_csr(csr_pem)
            kind = key_type_of(public_key)
        else:
            kind = normalize_key_type(key_type)
            private_key = generate_key(kind)
            public_key, key_pem = private_key.public_key(), private_key_pem(private_key)

        def act(cur: Cursor) -> CertificateInfo:
            certificate = self._ca.issue(
                common_name=common_name,
                sans=names,
                public_key=public_key,
                validity_days=validity_days,
            )
            info = CertificateInfo(
                serial=format(certificate.serial_number, "x"),
                not_before=certificate.not_valid_before_utc,
                not_after=certificate.not_valid_after_utc,
                certificate_pem=certificate_pem(certificate),
                chain_pem=self._ca.certificate_pem,
                key_type=kind,
            )
            cur.execute(
                _q("insert_certificate"),
                {
                    "serial": info.serial,
                    "registrar": registrar,
                    "common_name": common_name,
                    "sans": [common_name, *names],
                    "key_type": kind,
                    "not_before": info.not_before,
                    "not_after": info.not_after,
                    "certificate_pem": info.certificate_pem,
                    "private_key_pem": key_pem,
                },
            )
            return info

        request = {
            "common_name": common_name,
            "sans": names,
            "csr_pem": csr_pem,
            "key_type": key_type,
            "validity_days": validity_days,
        }
        return self._once(
            "issue_certificate",
            CertificateInfo,
            registrar=registrar,
            client_ref=client_ref,
            request=request,
            act=act,
        )

    def poll_transfers(self, *, registrar: str) -> list[TransferMessage]:
        """``registrar``'s queued transfer messages, oldest first (at most 100), after
        approving the pending transfers whose auto-approval time has come."""
        self._simulate()
        with self._transaction() as cur:
            self._settle_due(cur)
            rows = cur.execute(
                _q("poll_messages"), {"registrar": registrar, "limit": 100}
            ).fetchall()
        return [_transfer_message(row) for row in rows]

    def ack_transfer_message(self, *, registrar: str, message_id: str) -> None:
        self._simulate()
        try:
            number = int(message_id)
        except ValueError:
            raise ObjectNotFound(f"sandbox: no message {message_id!r}") from None
        with self._transaction() as cur:
            cur.execute(_q("ack_message"), {"id": number, "registrar": registrar})

    # --- the registry's operator ------------------------------------------------

    def decide_transfer(self, name: str, decision: str) -> str:
        """Decide the pending transfer of ``name``: ``approve`` or ``reject`` as the losing
        registrar, ``cancel`` as the gaining one. Returns the transfer's final status
        (EPP trStatus); ObjectNotFound when ``name`` has no pending transfer."""
        status = TRANSFER_DECISIONS.get(decision)
        if status is None:
            known = sorted(TRANSFER_DECISIONS)
            raise PolicyError(f"sandbox: decision {decision!r} is not one of {known}")
        name = _fqdn(name)
        with self._transaction() as cur:
            transfer = cur.execute(_q("get_pending_transfer"), {"name": name}).fetchone()
            if transfer is None:
                raise ObjectNotFound(f"sandbox: domain {name} has no pending transfer")
            return self._end_transfer(cur, transfer, status)

    # --- for tests and demos ----------------------------------------------------

    def seed_foreign_domain(
        self, name: str, registrar: str, auth_info: str, expiry: datetime | date
    ) -> DomainInfo:
        """Register ``name`` to ``registrar`` directly (no transaction log, no latency or
        failures): a domain held elsewhere, to transfer in. ObjectExists if it is live."""
        name = _fqdn(name)
        if not isinstance(expiry, datetime):
            expiry = datetime(expiry.year, expiry.month, expiry.day, tzinfo=UTC)
        with self._transaction() as cur:
            tld = self._tld(cur, name)
            cur.execute(_q("purge_due"), {"name": name})
            row = cur.execute(
                _q("insert_foreign_domain"),
                {
                    "name": name,
                    "tld": tld["name"],
                    "registrar": registrar,
                    "auth_info": auth_info,
                    "expiry_date": expiry,
                },
            ).fetchone()
        if row is None:
            raise ObjectExists(f"sandbox: domain {name} is already registered")
        return _domain_info(row)

    def end_redemption_now(self, name: str) -> datetime:
        """Let the redemption period of ``name`` end now (tests, demos); ObjectNotFound when
        ``name`` is not in redemption."""
        name = _fqdn(name)
        with self._transaction() as cur:
            row = cur.execute(_q("end_redemption_now"), {"name": name}).fetchone()
        if row is None:
            raise ObjectNotFound(f"sandbox: domain {name} is not in redemption")
        ended: datetime = row["redemption_end"].astimezone(UTC)
        return ended


def _transfer_message(row: DictRow) -> TransferMessage:
    body: dict[str, Any] = row["body"]
    domain = body.get("domain")
    return TransferMessage(
        id=str(row["id"]),
        name=body["name"],
        status=body["status"],
        gaining_registrar=body["gaining_registrar"],
        losing_registrar=body["losing_registrar"],
        requested_date=datetime.fromisoformat(body["requested_date"]),
        action_date=datetime.fromisoformat(body["action_date"]),
        message=f"transfer of {body['name']}: {body['status']}",
        domain=None if domain is None else _from_result(DomainInfo, domain),
    )


__all__ = ["CLIENT_LOCKS", "TRANSFER_DECISIONS", "SandboxBackend"]
