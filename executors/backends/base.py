"""The one interface every backend implements, and the errors it raises.

A handler (``executors/handlers.py``) turns a job's data into one call here and
the returned info into the job's result. Every mutating call carries:

- ``registrar``: the accreditation name, i.e. which registrar account acts;
- ``client_ref``: the idempotency key of the operation (the provision's id). A
  backend must make a retried call with the same ``client_ref`` return the first
  call's result instead of acting twice (EPP: a create that finds the name
  already ours with that reference; the sandbox: a transaction log).

Errors follow EPP's result codes so an EPP backend can raise them as it reads
them; ``retryable`` tells the worker whether to retry with backoff or fail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from provisioning.errors import ProvisioningError


class BackendError(ProvisioningError):
    """The backend refused or failed an operation."""

    code = 2400  # EPP "command failed"
    retryable = False

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class TransientBackendError(BackendError):
    """Unavailable, timed out, rate limited: worth retrying."""

    code = 2400
    retryable = True


class NotAuthorized(BackendError):
    """Wrong auth code, or the object belongs to another registrar (EPP 2201/2202)."""

    code = 2201


class ObjectExists(BackendError):
    """EPP 2302."""

    code = 2302


class ObjectNotFound(BackendError):
    """EPP 2303."""

    code = 2303


class StatusProhibits(BackendError):
    """The object's status does not allow the operation (EPP 2304), or its associations
    do (EPP 2305: a host or contact a domain still names): raised with ``code=2305``."""

    code = 2304


class PolicyError(BackendError):
    """A value outside the registry's policy, e.g. a wrong current expiry date (EPP 2306)."""

    code = 2306


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# Fields of an info that are secrets (an auth code): left out of ``to_result()``
# unless asked for, so no handler hands one to a job result by accident.
SECRET_FIELDS = frozenset({"auth_info"})


@dataclass(frozen=True)
class _Info:
    def to_result(self, *, secrets: bool = False) -> dict[str, Any]:
        """The job result: the keys the database's completion functions read.

        Secrets (:data:`SECRET_FIELDS`) only with ``secrets=True``: the transfer
        handler passes the registry's new auth code on to the completion, which
        stores it in the domain row and keeps it out of every published result.
        """
        result: dict[str, Any] = _jsonable(asdict(self))
        if not secrets:
            for name in SECRET_FIELDS:
                result.pop(name, None)
        return result


@dataclass(frozen=True)
class DomainInfo(_Info):
    name: str
    roid: str
    created_date: datetime
    expiry_date: datetime
    updated_date: datetime | None = None
    transfer_date: datetime | None = None
    nameservers: list[str] = field(default_factory=list)
    registrant: str | None = None
    admin_contact: str | None = None
    tech_contact: str | None = None
    billing_contact: str | None = None
    statuses: list[str] = field(default_factory=list)
    # the registry answered "pending" (EPP 1001): the action completes later, announced
    # by a poll message (a transfer waiting for the losing registrar)
    pending: bool = False
    # the auth code the registry set (after a completed transfer): a secret, kept out
    # of repr() so no log line of an info prints it
    auth_info: str | None = field(default=None, repr=False)

    def to_result(self, *, secrets: bool = False) -> dict[str, Any]:
        result = super().to_result(secrets=secrets)
        if not self.pending:
            del result["pending"]  # results of actions done at once stay as they were
        return result


@dataclass(frozen=True)
class DeleteInfo(_Info):
    name: str
    purged: bool
    redemption_end_date: datetime | None = None


@dataclass(frozen=True)
class ObjectInfo(_Info):
    """A contact or a host."""

    roid: str
    created_date: datetime
    handle: str | None = None  # contacts
    name: str | None = None  # hosts


@dataclass(frozen=True)
class CertificateInfo(_Info):
    serial: str
    not_before: datetime
    not_after: datetime
    certificate_pem: str
    chain_pem: str
    key_type: str


# A transfer's state as EPP's <domain:trStatus> names it (RFC 5731 3.2.4).
TRANSFER_STATUSES = frozenset(
    {
        "pending",
        "clientApproved",
        "clientCancelled",
        "clientRejected",
        "serverApproved",
        "serverCancelled",
    }
)
TRANSFER_APPROVED = frozenset({"clientApproved", "serverApproved"})


@dataclass(frozen=True)
class TransferInfo(_Info):
    """A transfer as the registry has it after a decision (EPP ``<domain:trnData>``)."""

    name: str
    status: str  # one of TRANSFER_STATUSES
    gaining_registrar: str
    losing_registrar: str
    requested_date: datetime
    action_date: datetime


# the decisions a registrar may request on a pending transfer (EPP <transfer op=...>):
# cancel as the gaining registrar, reject (or approve) as the losing one
TRANSFER_OPS = frozenset({"cancel", "reject", "approve"})


@dataclass(frozen=True)
class TransferMessage:
    """One message of a registrar's poll queue about a transfer (EPP ``<poll op="req">``
    with ``<domain:trnData>``), kept in the queue until acknowledged (``<poll op="ack">``).

    ``domain``: for an approved transfer to the polling registrar, the domain as its new
    sponsor sees it, with the new ``auth_info`` (EPP: an ``<info>`` after the message);
    None otherwise.
    """

    id: str
    name: str
    status: str  # one of TRANSFER_STATUSES
    gaining_registrar: str  # EPP reID
    losing_registrar: str  # EPP acID
    requested_date: datetime
    action_date: datetime
    message: str = ""
    domain: DomainInfo | None = None

    @property
    def approved(self) -> bool:
        return self.status in TRANSFER_APPROVED


class Backend(Protocol):
    """A registry (domains, contacts, hosts) and a certificate authority."""

    name: str

    def check_availability(self, names: Sequence[str]) -> dict[str, bool]: ...

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
    ) -> DomainInfo: ...

    def renew_domain(
        self,
        *,
        registrar: str,
        client_ref: str,
        name: str,
        period: int,
        current_expiry_date: date | None,
    ) -> DomainInfo: ...

    def transfer_domain(
        self, *, registrar: str, client_ref: str, name: str, auth_info: str, period: int
    ) -> DomainInfo: ...

    def transfer_domain_action(
        self, *, registrar: str, client_ref: str, name: str, op: str
    ) -> TransferInfo:
        """Decide the pending transfer of ``name``: ``op`` one of TRANSFER_OPS."""
        ...

    def restore_domain(
        self, *, registrar: str, client_ref: str, name: str, report: Mapping[str, Any] | None
    ) -> DomainInfo: ...

    def delete_domain(self, *, registrar: str, client_ref: str, name: str) -> DeleteInfo: ...

    def update_domain(
        self, *, registrar: str, client_ref: str, name: str, changes: Mapping[str, Any]
    ) -> DomainInfo: ...

    def create_contact(
        self, *, registrar: str, client_ref: str, contact: Mapping[str, Any]
    ) -> ObjectInfo: ...

    def create_host(
        self, *, registrar: str, client_ref: str, name: str, addresses: Sequence[str]
    ) -> ObjectInfo: ...

    def update_host(
        self, *, registrar: str, client_ref: str, name: str, addresses: Sequence[str]
    ) -> ObjectInfo:
        """Give host ``name`` exactly ``addresses`` (the full new list)."""
        ...

    def delete_host(self, *, registrar: str, client_ref: str, name: str) -> ObjectInfo:
        """Delete host ``name``; refused (2305) while a domain names it."""
        ...

    def update_contact(
        self, *, registrar: str, client_ref: str, handle: str, contact: Mapping[str, Any]
    ) -> ObjectInfo:
        """Change contact ``handle``: the keys of ``contact`` are the fields to change
        (as ``create_contact`` has them, ``address`` whole); "" clears an optional one."""
        ...

    def delete_contact(self, *, registrar: str, client_ref: str, handle: str) -> ObjectInfo:
        """Delete contact ``handle``; refused (2305) while a domain names it."""
        ...

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
    ) -> CertificateInfo: ...

    def poll_transfers(self, *, registrar: str) -> list[TransferMessage]:
        """The transfer messages queued for ``registrar``, oldest first, not removed."""
        ...

    def ack_transfer_message(self, *, registrar: str, message_id: str) -> None:
        """Remove message ``message_id`` from ``registrar``'s queue (idempotent)."""
        ...

    def close(self) -> None: ...
