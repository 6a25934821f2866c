"""Backends: what a job handler talks to (a registry over EPP, a CA over ACME, the sandbox).

A backend is chosen by ``PROVISIONING_BACKEND``; adding one means implementing
:class:`Backend` and adding its factory to ``FACTORIES`` (and its name to the
setting's choices) — the worker and the handlers do not change.
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

    return EppBackend.from_settings(settings)


FACTORIES: dict[str, Callable[[Settings], Backend]] = {"sandbox": _sandbox, "epp": _epp}


def backend_from_settings(settings: Settings) -> Backend:
    """The backend ``PROVISIONING_BACKEND`` names."""
    return FACTORIES[settings.backend](settings)


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
