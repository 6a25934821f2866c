"""Backends: what a job handler talks to (a registry over EPP, a CA over ACME, the sandbox).

Which backend serves an accreditation is ``PROVISIONING_BACKENDS`` (per
accreditation, a registry kind and a CA kind; ``routing.py``), falling back to
``PROVISIONING_BACKEND``. Adding a backend means implementing :class:`Backend`
(or its registry or CA half) and registering its factory in
``routing.REGISTRY_KINDS`` / ``routing.CA_KINDS`` — the worker and the handlers
do not change.
"""

from collections.abc import Callable

from executors.backends.base import (
    Backend,
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
    TransientBackendError,
)
from provisioning.settings import Settings


def _sandbox(settings: Settings) -> Backend:
    from executors.backends.sandbox import SandboxBackend  # noqa: PLC0415 - import on use

    return SandboxBackend.from_settings(settings)


def _epp(settings: Settings) -> Backend:
    from executors.backends.epp import EppBackend  # noqa: PLC0415 - import on use

    return EppBackend.from_settings(settings)  # its certificates: the sandbox CA


# One backend serving both halves, by (registry kind, CA kind).
FACTORIES: dict[tuple[str, str], Callable[[Settings], Backend]] = {
    ("sandbox", "sandbox"): _sandbox,
    ("epp", "sandbox"): _epp,
}


def backend_from_settings(settings: Settings) -> Backend:
    """The backend of PROVISIONING_BACKENDS / PROVISIONING_BACKEND: the one backend when every
    accreditation is on the same kind for both halves (the sandbox by default), else a
    :class:`~executors.backends.routing.RoutingBackend`."""
    from executors.backends.routing import RoutingBackend, routes_from_settings  # noqa: PLC0415

    kinds = {(route.registry, route.ca) for route in routes_from_settings(settings).values()}
    if len(kinds) == 1:
        factory = FACTORIES.get(next(iter(kinds)))
        if factory is not None:
            return factory(settings)
    return RoutingBackend.from_settings(settings)


__all__ = [
    "FACTORIES",
    "Backend",
    "BackendError",
    "CertificateInfo",
    "DeleteInfo",
    "DomainInfo",
    "NotAuthorized",
    "ObjectExists",
    "ObjectInfo",
    "ObjectNotFound",
    "PolicyError",
    "StatusProhibits",
    "TransientBackendError",
    "backend_from_settings",
]
