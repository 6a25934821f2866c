"""Which backend serves which accreditation: ``PROVISIONING_BACKENDS``.

A :class:`RoutingBackend` sends each call by its ``registrar`` (the accreditation
acting) to that accreditation's registry backend (domains, contacts, hosts) or
certificate authority backend (``issue_certificate``). An accreditation the map
does not name is served by the ``"*"`` route; with no ``"*"`` route, by
``PROVISIONING_BACKEND`` (its registry; the sandbox CA).
``check_availability(names)`` names no accreditation: it goes to the ``"*"``
registry.

Backends are built once per kind and shared by every accreditation routed to it
(one sandbox, one ACME backend holding one account per accreditation).

A kind is a factory ``Settings -> Backend`` in :data:`REGISTRY_KINDS` or
:data:`CA_KINDS`; adding one is one line, e.g.
``REGISTRY_KINDS["epp"] = _epp``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from executors.backends.base import (
    Backend,
    CertificateInfo,
    DeleteInfo,
    DomainInfo,
    ObjectInfo,
    TransferInfo,
    TransferMessage,
)
from provisioning.errors import ConfigError
from provisioning.settings import BackendRoute, Settings

Factory = Callable[[Settings], Any]  # builds a Backend (or one half of one)

DEFAULT_ROUTE = "*"


def _sandbox(settings: Settings) -> Backend:
    from executors.backends.sandbox import SandboxBackend  # noqa: PLC0415 - import on use

    return SandboxBackend.from_settings(settings)


def _epp(settings: Settings) -> Any:
    from executors.backends.epp import EppBackend  # noqa: PLC0415 - import on use

    return EppBackend(settings.epp_servers)


def _acme(settings: Settings) -> Any:
    from executors.backends.acme import AcmeBackend  # noqa: PLC0415 - import on use

    return AcmeBackend.from_settings(settings)


# Registry kinds serve check_availability, domains, contacts, hosts.
REGISTRY_KINDS: dict[str, Factory] = {"sandbox": _sandbox, "epp": _epp}
# CA kinds serve issue_certificate.
CA_KINDS: dict[str, Factory] = {"sandbox": _sandbox, "acme": _acme}


def routes_from_settings(settings: Settings) -> dict[str, BackendRoute]:
    """PROVISIONING_BACKENDS with its ``"*"`` route filled in from PROVISIONING_BACKEND;
    ConfigError naming the variable for an unknown kind."""
    routes = dict(settings.backends)
    if DEFAULT_ROUTE not in routes:
        routes[DEFAULT_ROUTE] = BackendRoute(
            registry=settings.backend,
            ca=settings.backend if settings.backend in CA_KINDS else "sandbox",
        )
    for accreditation, route in routes.items():
        if route.registry not in REGISTRY_KINDS:
            raise ConfigError(
                f"PROVISIONING_BACKENDS: {accreditation!r}: registry {route.registry!r} is not "
                f"one of {', '.join(sorted(REGISTRY_KINDS))}"
            )
        if route.ca not in CA_KINDS:
            raise ConfigError(
                f"PROVISIONING_BACKENDS: {accreditation!r}: ca {route.ca!r} is not one of "
                f"{', '.join(sorted(CA_KINDS))}"
            )
    return routes


class RoutingBackend:
    """A :class:`Backend` that hands each call to the backend of its accreditation."""

    name = "routing"

    def __init__(
        self,
        routes: Mapping[str, BackendRoute],
        registries: Mapping[str, Any],
        cas: Mapping[str, Any],
    ) -> None:
        if DEFAULT_ROUTE not in routes:
            raise ValueError(f"routes need a {DEFAULT_ROUTE!r} route")
        self.routes = dict(routes)
        self.registries = dict(registries)  # kind -> backend
        self.cas = dict(cas)

    @classmethod
    def from_settings(cls, settings: Settings) -> RoutingBackend:
        routes = routes_from_settings(settings)
        built: dict[tuple[str, str], Any] = {}  # (table, kind): a sandbox serves both halves
        registries: dict[str, Any] = {}
        cas: dict[str, Any] = {}
        try:
            for route in routes.values():
                for kinds, table, kind in (
                    (REGISTRY_KINDS, registries, route.registry),
                    (CA_KINDS, cas, route.ca),
                ):
                    factory = kinds[kind]
                    key = (factory.__module__, factory.__qualname__)
                    if key not in built:
                        built[key] = factory(settings)
                    table[kind] = built[key]
        except BaseException:
            for backend in built.values():
                backend.close()
            raise
        return cls(routes, registries, cas)

    def route(self, registrar: str) -> BackendRoute:
        return self.routes.get(registrar) or self.routes[DEFAULT_ROUTE]

    def registry_for(self, registrar: str) -> Backend:
        backend: Backend = self.registries[self.route(registrar).registry]
        return backend

    def ca_for(self, registrar: str) -> Any:
        return self.cas[self.route(registrar).ca]

    def close(self) -> None:
        seen: set[int] = set()
        for backend in [*self.registries.values(), *self.cas.values()]:
            if id(backend) not in seen:
                seen.add(id(backend))
                backend.close()

    # --- the registry half ---------------------------------------------------------

    def check_availability(self, names: Sequence[str]) -> dict[str, bool]:
        return self.registry_for(DEFAULT_ROUTE).check_availability(names)

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
        return self.registry_for(registrar).create_domain(
            registrar=registrar,
            client_ref=client_ref,
            name=name,
            period=period,
            auth_info=auth_info,
            contacts=contacts,
            nameservers=nameservers,
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
        return self.registry_for(registrar).renew_domain(
            registrar=registrar,
            client_ref=client_ref,
            name=name,
            period=period,
            current_expiry_date=current_expiry_date,
        )

    def transfer_domain(
        self, *, registrar: str, client_ref: str, name: str, auth_info: str, period: int
    ) -> DomainInfo:
        return self.registry_for(registrar).transfer_domain(
            registrar=registrar,
            client_ref=client_ref,
            name=name,
            auth_info=auth_info,
            period=period,
        )

    def restore_domain(
        self, *, registrar: str, client_ref: str, name: str, report: Mapping[str, Any] | None
    ) -> DomainInfo:
        return self.registry_for(registrar).restore_domain(
            registrar=registrar, client_ref=client_ref, name=name, report=report
        )

    def delete_domain(self, *, registrar: str, client_ref: str, name: str) -> DeleteInfo:
        return self.registry_for(registrar).delete_domain(
            registrar=registrar, client_ref=client_ref, name=name
        )

    def update_domain(
        self, *, registrar: str, client_ref: str, name: str, changes: Mapping[str, Any]
    ) -> DomainInfo:
        return self.registry_for(registrar).update_domain(
            registrar=registrar, client_ref=client_ref, name=name, changes=changes
        )

    def create_contact(
        self, *, registrar: str, client_ref: str, contact: Mapping[str, Any]
    ) -> ObjectInfo:
        return self.registry_for(registrar).create_contact(
            registrar=registrar, client_ref=client_ref, contact=contact
        )

    def create_host(
        self, *, registrar: str, client_ref: str, name: str, addresses: Sequence[str]
    ) -> ObjectInfo:
        return self.registry_for(registrar).create_host(
            registrar=registrar, client_ref=client_ref, name=name, addresses=addresses
        )

    def update_host(
        self, *, registrar: str, client_ref: str, name: str, addresses: Sequence[str]
    ) -> ObjectInfo:
        return self.registry_for(registrar).update_host(
            registrar=registrar, client_ref=client_ref, name=name, addresses=addresses
        )

    def delete_host(self, *, registrar: str, client_ref: str, name: str) -> ObjectInfo:
        return self.registry_for(registrar).delete_host(
            registrar=registrar, client_ref=client_ref, name=name
        )

    def update_contact(
        self, *, registrar: str, client_ref: str, handle: str, contact: Mapping[str, Any]
    ) -> ObjectInfo:
        return self.registry_for(registrar).update_contact(
            registrar=registrar, client_ref=client_ref, handle=handle, contact=contact
        )

    def delete_contact(self, *, registrar: str, client_ref: str, handle: str) -> ObjectInfo:
        return self.registry_for(registrar).delete_contact(
            registrar=registrar, client_ref=client_ref, handle=handle
        )

    # --- transfers decided, the poll queues ------------------------------------------

    def transfer_domain_action(
        self, *, registrar: str, client_ref: str, name: str, op: str
    ) -> TransferInfo:
        return self.registry_for(registrar).transfer_domain_action(
            registrar=registrar, client_ref=client_ref, name=name, op=op
        )

    def poll_transfers(self, *, registrar: str) -> list[TransferMessage]:
        return self.registry_for(registrar).poll_transfers(registrar=registrar)

    def ack_transfer_message(self, *, registrar: str, message_id: str) -> None:
        self.registry_for(registrar).ack_transfer_message(
            registrar=registrar, message_id=message_id
        )

    # --- the CA half -------------------------------------------------------------------

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
        info: CertificateInfo = self.ca_for(registrar).issue_certificate(
            registrar=registrar,
            client_ref=client_ref,
            common_name=common_name,
            sans=sans,
            csr_pem=csr_pem,
            key_type=key_type,
            validity_days=validity_days,
        )
        return info


__all__ = ["CA_KINDS", "DEFAULT_ROUTE", "REGISTRY_KINDS", "RoutingBackend", "routes_from_settings"]
