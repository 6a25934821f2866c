"""Job handlers: job type → a plain function that makes one backend call.

A handler takes the claimed job and the backend and returns the job's result
(the keys the database's completion function reads), or raises. It never
reports anything itself: the worker turns its return or its exception into
exactly one job state change (see ``executors/worker.py``).

Every call passes ``client_ref`` = the provision's id (a child job's own
``client_ref``, stable per step: see ``docs/executors.md``), so a retried job
(after a crash, a lost lease, a timeout) has one effect on the backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from executors.backends.base import Backend
from provisioning.errors import ProvisioningError


class InvalidJob(ProvisioningError):
    """A job's data lacks what its handler needs: retrying cannot help."""


@dataclass(frozen=True)
class Job:
    """A claimed job, as the handler sees it."""

    id: UUID
    type: str
    data: Mapping[str, Any]
    attempts: int
    max_attempts: int

    def field(self, name: str) -> Any:
        try:
            return self.data[name]
        except KeyError:
            raise InvalidJob(f"job {self.id} ({self.type}) has no {name!r} in its data") from None

    @property
    def registrar(self) -> str:
        return str(self.field("accreditation"))

    @property
    def client_ref(self) -> str:
        """The backend's idempotency key: a child job's own, else the provision's id."""
        own = self.data.get("client_ref")
        return str(own) if own else str(self.field("provision_id"))


Handler = Callable[[Job, Backend], dict[str, Any]]


def create_domain(job: Job, backend: Backend) -> dict[str, Any]:
    contacts = job.data.get("contacts") or {}
    return backend.create_domain(
        registrar=job.registrar,
        client_ref=job.client_ref,
        name=job.field("name"),
        period=int(job.field("period")),
        auth_info=job.field("auth_info"),
        contacts=contacts,
        nameservers=list(job.data.get("nameservers") or []),
    ).to_result()


def renew_domain(job: Job, backend: Backend) -> dict[str, Any]:
    expiry = job.data.get("current_expiry_date")
    return backend.renew_domain(
        registrar=job.registrar,
        client_ref=job.client_ref,
        name=job.field("name"),
        period=int(job.field("period")),
        current_expiry_date=date.fromisoformat(str(expiry)[:10]) if expiry else None,
    ).to_result()


def transfer_domain(job: Job, backend: Backend) -> dict[str, Any]:
    """The registry's new auth code goes into the result (``secrets=True``): the completion
    stores it in the domain row and removes it from the job's and the provision's result."""
    return backend.transfer_domain(
        registrar=job.registrar,
        client_ref=job.client_ref,
        name=job.field("name"),
        auth_info=job.field("auth_info"),
        period=int(job.field("period")),
    ).to_result(secrets=True)


def transfer_domain_action(job: Job, backend: Backend) -> dict[str, Any]:
    return backend.transfer_domain_action(
        registrar=job.registrar,
        client_ref=job.client_ref,
        name=job.field("name"),
        op=str(job.field("op")),
    ).to_result()


def restore_domain(job: Job, backend: Backend) -> dict[str, Any]:
    return backend.restore_domain(
        registrar=job.registrar,
        client_ref=job.client_ref,
        name=job.field("name"),
        report=job.data.get("restore_report"),
    ).to_result()


def delete_domain(job: Job, backend: Backend) -> dict[str, Any]:
    return backend.delete_domain(
        registrar=job.registrar, client_ref=job.client_ref, name=job.field("name")
    ).to_result()


def update_domain(job: Job, backend: Backend) -> dict[str, Any]:
    return backend.update_domain(
        registrar=job.registrar,
        client_ref=job.client_ref,
        name=job.field("name"),
        changes=job.field("changes"),
    ).to_result()


def create_contact(job: Job, backend: Backend) -> dict[str, Any]:
    fields = (
        "handle", "name", "organization", "email", "phone", "fax", "address", "auth_info"
    )  # fmt: skip
    return backend.create_contact(
        registrar=job.registrar,
        client_ref=job.client_ref,
        contact={name: job.data.get(name) for name in fields},
    ).to_result()


def create_host(job: Job, backend: Backend) -> dict[str, Any]:
    return backend.create_host(
        registrar=job.registrar,
        client_ref=job.client_ref,
        name=job.field("name"),
        addresses=[str(a) for a in job.data.get("addresses") or []],
    ).to_result()


def update_host(job: Job, backend: Backend) -> dict[str, Any]:
    return backend.update_host(
        registrar=job.registrar,
        client_ref=job.client_ref,
        name=job.field("name"),
        addresses=[str(a) for a in job.data.get("addresses") or []],
    ).to_result()


def delete_host(job: Job, backend: Backend) -> dict[str, Any]:
    return backend.delete_host(
        registrar=job.registrar, client_ref=job.client_ref, name=job.field("name")
    ).to_result()


def update_contact(job: Job, backend: Backend) -> dict[str, Any]:
    return backend.update_contact(
        registrar=job.registrar,
        client_ref=job.client_ref,
        handle=job.field("handle"),
        contact=job.field("changes"),
    ).to_result()


def delete_contact(job: Job, backend: Backend) -> dict[str, Any]:
    return backend.delete_contact(
        registrar=job.registrar, client_ref=job.client_ref, handle=job.field("handle")
    ).to_result()


def unlink_hosts(job: Job, backend: Backend) -> dict[str, Any]:
    """A domain delete's first step: its own subordinate hosts out of its name servers."""
    return backend.update_domain(
        registrar=job.registrar,
        client_ref=job.client_ref,
        name=job.field("name"),
        changes={"nameservers": list(job.field("nameservers"))},
    ).to_result()


def issue_certificate(job: Job, backend: Backend) -> dict[str, Any]:
    return backend.issue_certificate(
        registrar=job.registrar,
        client_ref=job.client_ref,
        common_name=job.field("common_name"),
        sans=list(job.data.get("sans") or []),
        csr_pem=job.data.get("csr_pem"),
        key_type=job.data.get("key_type"),
        validity_days=int(job.data.get("validity_days") or 365),
    ).to_result()


HANDLERS: dict[str, Handler] = {
    "provision_domain": create_domain,
    "provision_domain_renew": renew_domain,
    "provision_domain_transfer": transfer_domain,
    "provision_domain_transfer_action": transfer_domain_action,
    "provision_domain_restore": restore_domain,
    "provision_domain_delete": delete_domain,
    "provision_domain_update": update_domain,
    "provision_contact": create_contact,
    "provision_host": create_host,
    "provision_ssl": issue_certificate,
    "provision_host_update": update_host,
    "provision_host_delete": delete_host,
    "provision_contact_update": update_contact,
    "provision_contact_delete": delete_contact,
    # child jobs (docs/executors.md, "Child jobs")
    "domain_delete_unlink_hosts": unlink_hosts,
    "domain_delete_host": delete_host,
    "domain_update_host": create_host,
}

__all__ = ["HANDLERS", "Handler", "InvalidJob", "Job"]
