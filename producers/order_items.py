"""The items of an order, one builder per kind, each with its plans in stages.

An item is one thing the customer ordered (``create domain example.com``); its
plans are the provision requests that make it happen, and a plan of stage n+1
is requested only once every plan of stage n completed (``orders.release_plans``):

  domain_item    contact, out-of-zone hosts → domain (without its in-zone name
                 servers) → in-zone hosts with their glue addresses → domain
                 update adding the in-zone name servers
  renew_item     renew
  transfer_item  contact (when given) → transfer → update setting the contact
  restore_item   restore
  delete_item    delete
  update_item    contact, hosts (in-zone ones with glue addresses) → update
  contact_item   contact
  ssl_item       certificate

A name server is *in-zone* when it is under the domain itself (``ns1.example.com``
for ``example.com``): it cannot exist before the domain, and the registry needs
its addresses (glue). An in-zone name server of a new domain without addresses is
refused here, before anything is recorded (InvalidRequest).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from provisioning.errors import InvalidRequest

CONTACT_ROLES = ("registrant", "admin_contact", "tech_contact", "billing_contact")


@dataclass(frozen=True)
class Plan:
    """One provision request of an item, and the stage it runs in."""

    action: str  # the provision table
    payload: Mapping[str, Any]
    stage: int = 1


@dataclass(frozen=True)
class Item:
    product: str  # domain, contact, ssl
    action: str  # create, renew, transfer_in, ...
    object_name: str
    plans: Sequence[Plan]
    accreditation: str | None = None  # the order's unless given (an SSL item's CA)


@dataclass(frozen=True)
class Contact:
    """A registrant/admin/tech/billing contact to create with the domain."""

    handle: str
    name: str
    email: str
    city: str
    country_code: str
    extra: Mapping[str, Any] = field(default_factory=dict)  # organization, phone, street1, ...

    def payload(self) -> dict[str, Any]:
        return {
            "handle": self.handle,
            "name": self.name,
            "email": self.email,
            "city": self.city,
            "country_code": self.country_code,
            **self.extra,
        }


def fqdn(name: str) -> str:
    """``name`` as the database keeps it: lower case, no surrounding blanks or final dot."""
    return name.strip().rstrip(".").lower()


def in_zone(nameserver: str, domain: str) -> bool:
    """True when ``nameserver`` is under ``domain`` itself (needs glue, exists after it)."""
    host, zone = fqdn(nameserver), fqdn(domain)
    return host == zone or host.endswith("." + zone)


def parse_nameserver(text: str) -> tuple[str, list[str]]:
    """``ns1.example.com`` or ``ns1.example.com=192.0.2.1,2001:db8::1``: name and addresses."""
    name, _, addresses = text.partition("=")
    if not name.strip():
        raise InvalidRequest(f"nameserver {text!r}: no host name")
    found = [a.strip() for a in addresses.split(",") if a.strip()]
    for address in found:
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise InvalidRequest(
                f"nameserver {name.strip()}: {address!r} is not an IPv4 or IPv6 address"
            ) from None
    return fqdn(name), found


def _staged(*stages: Sequence[Plan]) -> list[Plan]:
    """The plans of each non-empty group, numbered 1, 2, ... in the order given."""
    plans: list[Plan] = []
    number = 0
    for group in stages:
        if not group:
            continue
        number += 1
        plans += [Plan(plan.action, plan.payload, number) for plan in group]
    return plans


def _glue(
    domain: str,
    nameservers: Sequence[str],
    addresses: Mapping[str, Sequence[str]] | None,
    *,
    create_hosts: bool,
    require_glue: bool,
) -> tuple[list[str], list[Plan], list[Plan]]:
    """The name servers (normalised), the host plans to run before the domain
    (out-of-zone) and the ones to run after it (in-zone, with addresses)."""
    names = [fqdn(ns) for ns in nameservers]
    glue = {fqdn(host): list(ips) for host, ips in (addresses or {}).items()}
    stray = sorted(set(glue) - set(names))
    if stray:
        raise InvalidRequest(f"addresses given for {', '.join(stray)}, not a name server listed")
    before: list[Plan] = []
    after: list[Plan] = []
    for ns in names:
        ips = glue.get(ns, [])
        if in_zone(ns, domain):
            if not ips:
                if require_glue:
                    raise InvalidRequest(
                        f"nameserver {ns} is under {fqdn(domain)} itself: the order must carry"
                        f" its glue addresses ({ns}=192.0.2.1,2001:db8::1)"
                    )
                continue  # an update naming an in-zone host that exists already
            after.append(Plan("provision_host", {"name": ns, "addresses": ips}))
        elif create_hosts or ips:
            before.append(Plan("provision_host", {"name": ns, "addresses": ips}))
    return names, before, after


def domain_item(
    name: str,
    *,
    period: int = 1,
    registrant: Contact | None = None,
    nameservers: Sequence[str] = (),
    create_hosts: bool = False,
    addresses: Mapping[str, Sequence[str]] | None = None,
) -> Item:
    """Register ``name``: its contact and out-of-zone hosts (``create_hosts``), the
    domain, then its in-zone hosts with ``addresses`` and an update adding them."""
    name = fqdn(name)
    names, hosts_before, hosts_after = _glue(
        name, nameservers, addresses, create_hosts=create_hosts, require_glue=True
    )
    first: list[Plan] = []
    if registrant is not None:
        first.append(Plan("provision_contact", registrant.payload()))
    first += hosts_before
    handle = registrant.handle if registrant is not None else None
    domain = {
        "name": name,
        "registration_period": period,
        **dict.fromkeys(CONTACT_ROLES, handle),
        "nameservers": [ns for ns in names if not in_zone(ns, name)],
    }
    last = [Plan("provision_domain_update", {"name": name, "nameservers": names})]
    return Item(
        "domain",
        "create",
        name,
        _staged(
            first,
            [Plan("provision_domain", domain)],
            hosts_after,
            last if hosts_after else [],
        ),
    )


def renew_item(name: str, *, period: int = 1, current_expiry_date: date | None = None) -> Item:
    """Renew ``name`` by ``period`` years (``current_expiry_date`` guards against a
    renewal counted twice, as EPP's curExpDate)."""
    name = fqdn(name)
    payload: dict[str, Any] = {"name": name, "period": period}
    if current_expiry_date is not None:
        payload["current_expiry_date"] = current_expiry_date
    return Item("domain", "renew", name, [Plan("provision_domain_renew", payload)])


def transfer_item(
    name: str, *, pw: str, period: int = 1, registrant: Contact | None = None
) -> Item:
    """Transfer ``name`` in with its auth code; with ``registrant``: that contact first,
    then the transfer, then an update making it the domain's four contacts."""
    name = fqdn(name)
    if not pw:
        raise InvalidRequest("a transfer needs the domain's auth code (pw)")
    contact = [Plan("provision_contact", registrant.payload())] if registrant else []
    update = (
        [
            Plan(
                "provision_domain_update",
                {"name": name, **dict.fromkeys(CONTACT_ROLES, registrant.handle)},
            )
        ]
        if registrant
        else []
    )
    transfer = Plan("provision_domain_transfer", {"name": name, "pw": pw, "period": period})
    return Item("domain", "transfer_in", name, _staged(contact, [transfer], update))


def restore_item(name: str, *, report: str | None = None) -> Item:
    """Restore ``name`` from redemption (``report``: the restore report, where the TLD
    asks for one)."""
    name = fqdn(name)
    payload: dict[str, Any] = {"name": name}
    if report is not None:
        payload["restore_report"] = report
    return Item("domain", "restore", name, [Plan("provision_domain_restore", payload)])


def delete_item(name: str) -> Item:
    """Delete ``name`` (it goes into redemption where the TLD has one)."""
    name = fqdn(name)
    return Item("domain", "delete", name, [Plan("provision_domain_delete", {"name": name})])


def update_item(
    name: str,
    *,
    nameservers: Sequence[str] | None = None,
    addresses: Mapping[str, Sequence[str]] | None = None,
    create_hosts: bool = False,
    new_contact: Contact | None = None,
    contacts: Mapping[str, str] | None = None,
    pw: str | None = None,
    add_locks: Sequence[str] = (),
    remove_locks: Sequence[str] = (),
) -> Item:
    """Change ``name``: ``nameservers`` replaces the set (in-zone ones with
    ``addresses`` are created first, in-zone ones without must exist), ``new_contact``
    is created first and becomes every role ``contacts`` does not name."""
    name = fqdn(name)
    roles = dict(contacts or {})
    unknown = sorted(set(roles) - set(CONTACT_ROLES))
    if unknown:
        known = ", ".join(CONTACT_ROLES)
        raise InvalidRequest(f"contacts: {', '.join(unknown)} not one of {known}")
    first: list[Plan] = []
    if new_contact is not None:
        first.append(Plan("provision_contact", new_contact.payload()))
        roles = {role: roles.get(role, new_contact.handle) for role in CONTACT_ROLES}
    payload: dict[str, Any] = {"name": name, **roles}
    if nameservers is not None:
        names, hosts_before, hosts_after = _glue(
            name, nameservers, addresses, create_hosts=create_hosts, require_glue=False
        )
        first += hosts_before + hosts_after  # the domain exists: its in-zone hosts can too
        payload["nameservers"] = names
    elif addresses:
        raise InvalidRequest("addresses are for name servers: give the nameservers too")
    if pw:
        payload["pw"] = pw
    if add_locks:
        payload["add_locks"] = list(add_locks)
    if remove_locks:
        payload["remove_locks"] = list(remove_locks)
    if len(payload) == 1:
        raise InvalidRequest(
            "an update needs a change: nameservers, a contact, pw, add_locks or remove_locks"
        )
    return Item(
        "domain", "update", name, _staged(first, [Plan("provision_domain_update", payload)])
    )


def contact_item(contact: Contact) -> Item:
    """Create ``contact`` at the registry."""
    return Item("contact", "create", contact.handle, [Plan("provision_contact", contact.payload())])


def ssl_item(
    common_name: str,
    *,
    sans: Sequence[str] = (),
    validity_days: int | None = None,
    key_type: str | None = None,
    csr_pem: str | None = None,
    validation_method: str | None = None,
    accreditation: str | None = None,
) -> Item:
    """Issue a certificate for ``common_name`` (and ``sans``) from the certificate
    authority ``accreditation`` (default: the order's)."""
    common_name = fqdn(common_name)
    payload: dict[str, Any] = {"common_name": common_name, "sans": [fqdn(s) for s in sans]}
    for key, value in (
        ("validity_days", validity_days),
        ("key_type", key_type),
        ("csr_pem", csr_pem),
        ("validation_method", validation_method),
    ):
        if value is not None:
            payload[key] = value
    return Item(
        "ssl", "create", common_name, [Plan("provision_ssl", payload)], accreditation=accreditation
    )


__all__ = [
    "CONTACT_ROLES",
    "Contact",
    "Item",
    "Plan",
    "contact_item",
    "delete_item",
    "domain_item",
    "fqdn",
    "in_zone",
    "parse_nameserver",
    "renew_item",
    "restore_item",
    "ssl_item",
    "transfer_item",
    "update_item",
]
