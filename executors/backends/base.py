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


@dataclass(frozen=True)
class _Info:
    def to_result(self) -> dict[str, Any]:
        """The job result: the keys the database's completion functions read."""
        result: dict[str, Any] = _jsonable(asdict(self))
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

    def close(self) -> None: ...
