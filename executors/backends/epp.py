"""The EPP backend: domains, contacts and hosts at a registry over EPP/TLS.

Each accreditation (``registrar``) has its server in ``PROVISIONING_EPP_SERVERS``
(or the ``"*"`` entry) and a :class:`~executors.epp.session.SessionPool`.
Every mutating command carries ``clTRID`` = ``client_ref``. Certificates are
not a registry's: :meth:`EppBackend.issue_certificate` goes to ``ca`` (the
sandbox CA by default).

Idempotency against a registry that does not deduplicate on clTRID
(``docs/backends.md``, "EPP"): a retried command whose first run did act gets
an error, and the backend looks at the object to tell its own earlier success
from a real refusal:

- create domain → 2302: ``domain:info``; sponsored by us with the auth code of
  this request → success with that info;
- renew → 2304/2306: the expiry is already ``current_expiry_date + period`` → success;
- transfer → 2002/2106/2300/2304: the domain is already ours → success;
- delete → 2304: ours and ``pendingDelete`` → success;
- restore → 2304: ours and no longer ``pendingDelete`` → success;
- create contact / host → 2302: ours (and, for a host, the same addresses) → success;
- transfer cancel/reject/approve → 2301 (none pending): ``<transfer op="query">``
  shows the last transfer of the name ended as this decision → success.

The poll queue (RFC 5730 2.9.2.3): EPP shows only the head of a registrar's queue
until it is acknowledged, so :meth:`EppBackend.poll_transfers` returns at most one
message; the registry poll (``executors/registry_poll.py``) acks it and asks again
until the queue is empty. Messages that are not about a transfer are acknowledged
and skipped there, with a log line (see the method).

Result codes map to the error classes of ``base.py`` (``frames.error_for``);
timeouts and connection failures are :class:`TransientBackendError`.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import re
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from executors.backends.base import (
    TRANSFER_APPROVED,
    Backend,
    BackendError,
    CertificateInfo,
    DeleteInfo,
    DomainInfo,
    NotAuthorized,
    ObjectInfo,
    ObjectNotFound,
    PolicyError,
    TransferInfo,
    TransferMessage,
)
from executors.epp import frames
from executors.epp.frames import CONTACT, DOMAIN, HOST, RGP, Response, q, text
from executors.epp.session import FrameHook, SessionPool
from provisioning.errors import ConfigError
from provisioning.settings import EppServer, Settings

log = logging.getLogger(__name__)

CONTACT_ROLES = ("registrant", "admin", "tech", "billing")
_E164 = re.compile(r"^\+[0-9]{1,3}\.[0-9]{1,14}$")
ALREADY_TRANSFERRED = {2002, 2106, 2300, 2304}
CHECK_BATCH = 50
# the trStatus each decision leaves (RFC 5731 3.2.4)
DECIDED = {"cancel": "clientCancelled", "reject": "clientRejected", "approve": "clientApproved"}
# non-transfer messages acknowledged and skipped in one poll_transfers call, at most
MAX_SKIPPED = 50
T = TypeVar("T")


def add_years(value: date, years: int) -> date:
    try:
        return value.replace(year=value.year + years)
    except ValueError:  # 29 February
        return value.replace(year=value.year + years, day=28)


def _handle(value: Any, what: str) -> str:
    handle = str(value or "").strip()
    if not 3 <= len(handle) <= 16:
        raise PolicyError(f"epp: {what} {handle!r} must be 3..16 characters (RFC 5730 clIDType)")
    return handle


def _phone(value: Any, what: str) -> str | None:
    if value in (None, ""):
        return None
    phone = str(value).strip()
    if not _E164.match(phone):
        raise PolicyError(f"epp: {what} {phone!r} is not +CC.NUMBER (RFC 5733)")
    return phone


class EppBackend:
    """A :class:`~executors.backends.base.Backend` speaking EPP to each accreditation's
    registry. Thread-safe: the pools hand each session to one caller at a time."""

    name = "epp"

    def __init__(
        self,
        servers: Mapping[str, EppServer],
        *,
        ca: Backend | None = None,
        frame_hook: FrameHook | None = None,
        keepalive: bool = True,
    ) -> None:
        if not servers:
            raise ConfigError(
                "the EPP backend needs at least one server (PROVISIONING_EPP_SERVERS)"
            )
        self.servers = dict(servers)
        self.ca = ca
        self.frame_hook = frame_hook
        self._pools: dict[str, SessionPool] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._keepalive: threading.Thread | None = None
        if keepalive:
            self._keepalive = threading.Thread(
                target=self._keepalive_loop, name="epp-keepalive", daemon=True
            )
            self._keepalive.start()

    @classmethod
    def from_settings(cls, settings: Settings) -> EppBackend:
        """The servers of ``PROVISIONING_EPP_SERVERS``; certificates by the sandbox CA."""
        from executors.backends.sandbox import SandboxBackend  # noqa: PLC0415 - import on use

        return cls(settings.epp_servers, ca=SandboxBackend.from_settings(settings))

    # --- plumbing -------------------------------------------------------------

    def server(self, registrar: str) -> EppServer:
        server = self.servers.get(registrar) or self.servers.get("*")
        if server is None:
            raise BackendError(f"epp: no EPP server configured for accreditation {registrar!r}")
        return server

    def pool(self, registrar: str) -> SessionPool:
        key = registrar if registrar in self.servers else "*"
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = SessionPool(key, self.server(registrar), frame_hook=self.frame_hook)
                self._pools[key] = pool
            return pool

    def _keepalive_loop(self) -> None:
        interval = min(s.hello_seconds for s in self.servers.values()) / 4
        while not self._stop.wait(max(0.05, min(interval, 5.0))):
            with self._lock:
                pools = list(self._pools.values())
            for pool in pools:
                try:
                    pool.keepalive()
                except Exception:
                    log.exception("epp %s: keepalive failed", pool.name)

    def close(self) -> None:
        self._stop.set()
        if self._keepalive is not None:
            self._keepalive.join(5)
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()
        if self.ca is not None:
            self.ca.close()

    @staticmethod
    def _look(
        info: Callable[[str, str, str], T], registrar: str, key: str, cltrid: str
    ) -> T | None:
        """``info(registrar, key, cltrid)`` for a reconciliation; None when the registry
        will not show the object (not ours, or gone): then the refusal stands."""
        try:
            return info(registrar, key, cltrid)
        except (NotAuthorized, ObjectNotFound):
            return None

    def _send(self, registrar: str, frame: bytes, what: str) -> Response:
        return self.pool(registrar).run(frame, what)

    def _ok(self, registrar: str, frame: bytes, what: str) -> Response:
        return frames.check(self._send(registrar, frame, what), what)

    def _client_id(self, registrar: str) -> str:
        return self.server(registrar).client_id

    # --- info -----------------------------------------------------------------

    def _info_response(
        self, registrar: str, name: str, cltrid: str, *, auth_info: str | None = None
    ) -> Response:
        frame = frames.domain_info(name, f"{cltrid}-info", auth_info=auth_info)
        return self._ok(registrar, frame, f"info domain {name}")

    def _domain(
        self, registrar: str, name: str, cltrid: str, *, auth_info: str | None = None
    ) -> tuple[DomainInfo, str, str | None]:
        """The domain's info, its sponsor (clID) and its auth code (given to the sponsor)."""
        response = self._info_response(registrar, name, cltrid, auth_info=auth_info)
        return self._parse_domain(response, name)

    @staticmethod
    def _parse_domain(response: Response, name: str) -> tuple[DomainInfo, str, str | None]:
        data = response.find(DOMAIN, "infData")
        if data is None:
            raise frames.ProtocolError(f"epp: info domain {name}: no <domain:infData>")
        created = frames.parse_timestamp(text(data, DOMAIN, "crDate"))
        expiry = frames.parse_timestamp(text(data, DOMAIN, "exDate"))
        roid = text(data, DOMAIN, "roid")
        if created is None or expiry is None or not roid:
            raise frames.ProtocolError(f"epp: info domain {name}: no roid, crDate or exDate")
        contacts = {
            (c.get("type") or ""): (c.text or "").strip()
            for c in data.findall(q(DOMAIN, "contact"))
        }
        ns = data.find(q(DOMAIN, "ns"))
        nameservers = (
            [] if ns is None else [(h.text or "").strip() for h in ns.findall(q(DOMAIN, "hostObj"))]
        )
        statuses = frames.statuses(data, DOMAIN)
        rgp = response.find(RGP, "infData")
        if rgp is not None:
            statuses += [s.get("s") or "" for s in rgp.findall(q(RGP, "rgpStatus"))]
        auth = data.find(q(DOMAIN, "authInfo"))
        info = DomainInfo(
            name=text(data, DOMAIN, "name") or name,
            roid=roid,
            created_date=created,
            expiry_date=expiry,
            updated_date=frames.parse_timestamp(text(data, DOMAIN, "upDate")),
            transfer_date=frames.parse_timestamp(text(data, DOMAIN, "trDate")),
            nameservers=nameservers,
            registrant=text(data, DOMAIN, "registrant"),
            admin_contact=contacts.get("admin"),
            tech_contact=contacts.get("tech"),
            billing_contact=contacts.get("billing"),
            statuses=statuses,
        )
        return info, text(data, DOMAIN, "clID") or "", text(auth, DOMAIN, "pw")

    @staticmethod
    def _redemption_end(response: Response) -> datetime | None:
        """The end of redemption, when the registry states it in the rgpStatus text."""
        rgp = response.find(RGP, "infData")
        if rgp is None:
            return None
        for status in rgp.findall(q(RGP, "rgpStatus")):
            if status.get("s") == "redemptionPeriod" and status.text:
                try:
                    return frames.parse_timestamp(status.text)
                except frames.ProtocolError:
                    return None
        return None

    def _object(
        self, registrar: str, namespace: str, key: str, frame: bytes, what: str
    ) -> tuple[ObjectInfo, str, Any]:
        """A contact's or host's info, its sponsor and its infData element."""
        response = self._ok(registrar, frame, what)
        data = response.find(namespace, "infData")
        created = frames.parse_timestamp(text(data, namespace, "crDate"))
        roid = text(data, namespace, "roid")
        if data is None or created is None or not roid:
            raise frames.ProtocolError(f"epp: {what}: no infData with roid and crDate")
        value = text(data, namespace, key)
        info = (
            ObjectInfo(roid=roid, created_date=created, handle=value)
            if namespace == CONTACT
            else ObjectInfo(roid=roid, created_date=created, name=value)
        )
        return info, text(data, namespace, "clID") or "", data

    def _contact(self, registrar: str, handle: str, cltrid: str) -> tuple[ObjectInfo, str, Any]:
        frame = frames.contact_by_id("info", handle, f"{cltrid}-info")
        return self._object(registrar, CONTACT, "id", frame, f"info contact {handle}")

    def _host(self, registrar: str, name: str, cltrid: str) -> tuple[ObjectInfo, str, list[str]]:
        frame = frames.host_by_name("info", name, f"{cltrid}-info")
        info, sponsor, data = self._object(registrar, HOST, "name", frame, f"info host {name}")
        addresses = [(a.text or "").strip() for a in data.findall(q(HOST, "addr"))]
        return info, sponsor, addresses

    # --- the Backend interface --------------------------------------------------

    def check_availability(self, names: Sequence[str]) -> dict[str, bool]:
        registrar = next(iter(self.servers))
        free: dict[str, bool] = {}
        unique = list(dict.fromkeys(n.strip().lower().removesuffix(".") for n in names))
        for start in range(0, len(unique), CHECK_BATCH):
            batch = unique[start : start + CHECK_BATCH]
            response = self._ok(
                registrar, frames.domain_check(batch, f"check-{start}-{len(batch)}"), "check"
            )
            data = response.find(DOMAIN, "chkData")
            for cd in [] if data is None else data.findall(q(DOMAIN, "cd")):
                element = cd.find(q(DOMAIN, "name"))
                if element is not None and element.text:
                    free[element.text.strip().lower()] = element.get("avail") in ("1", "true")
        return {n: free.get(n.strip().lower().removesuffix("."), False) for n in names}

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
        roles = {role: _handle(h, f"{role} contact") for role, h in contacts.items() if h}
        frame = frames.domain_create(
            name,
            client_ref,
            period=period,
            auth_info=auth_info,
            registrant=roles.get("registrant"),
            contacts=roles,
            nameservers=list(nameservers),
        )
        response = self._send(registrar, frame, f"create domain {name}")
        if response.code == 2302 and (
            found := self._look(self._domain, registrar, name, client_ref)
        ):
            info, sponsor, auth = found
            if (
                sponsor == self._client_id(registrar)
                and auth is not None
                and hmac.compare_digest(auth.encode(), auth_info.encode())
            ):
                log.info("epp: create %s: already created by this request", name)
                return info
        frames.check(response, f"create domain {name}")
        return self._domain(registrar, name, client_ref)[0]

    def renew_domain(
        self,
        *,
        registrar: str,
        client_ref: str,
        name: str,
        period: int,
        current_expiry_date: date | None,
    ) -> DomainInfo:
        current = current_expiry_date
        if current is None:  # without it a retried renew cannot be told from a new one
            current = self._domain(registrar, name, client_ref)[0].expiry_date.date()
        frame = frames.domain_renew(name, client_ref, current_expiry=current, period=period)
        response = self._send(registrar, frame, f"renew domain {name}")
        if (
            response.code in (2304, 2306)
            and current_expiry_date is not None
            and (found := self._look(self._domain, registrar, name, client_ref))
        ):
            info, sponsor, _ = found
            renewed = add_years(current_expiry_date, period)
            if sponsor == self._client_id(registrar) and info.expiry_date.date() == renewed:
                return info
        frames.check(response, f"renew domain {name}")
        return self._domain(registrar, name, client_ref)[0]

    def transfer_domain(
        self, *, registrar: str, client_ref: str, name: str, auth_info: str, period: int
    ) -> DomainInfo:
        frame = frames.domain_transfer(name, client_ref, auth_info=auth_info, period=period)
        response = self._send(registrar, frame, f"transfer domain {name}")
        if response.code == 1001:
            info, _, _ = self._domain(registrar, name, client_ref, auth_info=auth_info)
            return _with(info, pending=True)
        if response.code in ALREADY_TRANSFERRED and (
            found := self._look(self._domain, registrar, name, client_ref)
        ):
            info, sponsor, auth = found
            if sponsor == self._client_id(registrar):
                return _with(info, auth_info=auth)
        frames.check(response, f"transfer domain {name}")
        info, _, auth = self._domain(registrar, name, client_ref)
        return _with(info, auth_info=auth)

    def restore_domain(
        self, *, registrar: str, client_ref: str, name: str, report: Mapping[str, Any] | None
    ) -> DomainInfo:
        # The report (RFC 3915 op="report") is not sent: the sandbox restores on request.
        response = self._send(
            registrar,
            frames.domain_update(name, client_ref, restore=True),
            f"restore domain {name}",
        )
        if response.code == 2304 and (
            found := self._look(self._domain, registrar, name, client_ref)
        ):
            info, sponsor, _ = found
            if sponsor == self._client_id(registrar) and "pendingDelete" not in info.statuses:
                return info
        frames.check(response, f"restore domain {name}")
        return self._domain(registrar, name, client_ref)[0]

    def delete_domain(self, *, registrar: str, client_ref: str, name: str) -> DeleteInfo:
        response = self._send(registrar, frames.domain_delete(name, client_ref), f"delete {name}")
        if not response.ok and response.code != 2304:
            frames.check(response, f"delete domain {name}")
        try:
            info_response = self._info_response(registrar, name, client_ref)
        except ObjectNotFound:
            if response.ok:
                return DeleteInfo(name=name, purged=True)
            raise frames.error_for(response, f"delete domain {name}") from None
        info, sponsor, _ = self._parse_domain(info_response, name)
        if sponsor != self._client_id(registrar) or "pendingDelete" not in info.statuses:
            frames.check(response, f"delete domain {name}")
            raise BackendError(f"epp: delete domain {name}: accepted, but not pending delete")
        return DeleteInfo(
            name=name, purged=False, redemption_end_date=self._redemption_end(info_response)
        )

    def update_domain(
        self, *, registrar: str, client_ref: str, name: str, changes: Mapping[str, Any]
    ) -> DomainInfo:
        current, _, _ = self._domain(registrar, name, client_ref)
        epp_changes = frames.DomainChanges(
            add_statuses=list(changes.get("add_locks") or []),
            rem_statuses=list(changes.get("remove_locks") or []),
            auth_info=changes.get("auth_info"),
        )
        if changes.get("nameservers") is not None:
            wanted = [n.strip().lower().removesuffix(".") for n in changes["nameservers"]]
            have = [n.lower() for n in current.nameservers]
            epp_changes.add_ns = [n for n in wanted if n not in have]
            epp_changes.rem_ns = [n for n in have if n not in wanted]
        now = {
            "registrant": current.registrant,
            "admin": current.admin_contact,
            "tech": current.tech_contact,
            "billing": current.billing_contact,
        }
        for role, handle in (changes.get("contacts") or {}).items():
            if role not in CONTACT_ROLES:
                raise PolicyError(f"epp: contact role {role!r} is not one of {CONTACT_ROLES}")
            if role == "registrant":
                epp_changes.registrant = _handle(handle, "registrant") if handle else ""
                continue
            if now[role] and now[role] != handle:
                epp_changes.rem_contacts.append((role, str(now[role])))
            if handle and now[role] != handle:
                epp_changes.add_contacts.append((role, _handle(handle, f"{role} contact")))
        frame = frames.domain_update(name, client_ref, changes=epp_changes)
        self._ok(registrar, frame, f"update domain {name}")
        return self._domain(registrar, name, client_ref)[0]

    def create_contact(
        self, *, registrar: str, client_ref: str, contact: Mapping[str, Any]
    ) -> ObjectInfo:
        handle = _handle(contact.get("handle"), "contact handle")
        frame = frames.contact_create(
            handle,
            client_ref,
            postal=self._postal(contact),
            email=self._email(contact),
            auth_info=contact.get("auth_info") or self._derived_auth(registrar, client_ref),
            voice=_phone(contact.get("phone"), "phone"),
            fax=_phone(contact.get("fax"), "fax"),
        )
        response = self._send(registrar, frame, f"create contact {handle}")
        if response.code == 2302 and (
            found := self._look(self._contact, registrar, handle, client_ref)
        ):
            info, sponsor, _ = found
            if sponsor == self._client_id(registrar):
                return info
        frames.check(response, f"create contact {handle}")
        return self._contact(registrar, handle, client_ref)[0]

    def create_host(
        self, *, registrar: str, client_ref: str, name: str, addresses: Sequence[str]
    ) -> ObjectInfo:
        ips = self._addresses(name, addresses)
        frame = frames.host_create(name, client_ref, addresses=ips)
        response = self._send(registrar, frame, f"create host {name}")
        if response.code == 2302 and (found := self._look(self._host, registrar, name, client_ref)):
            info, sponsor, have = found
            if sponsor == self._client_id(registrar) and sorted(have) == sorted(ips):
                return info
        frames.check(response, f"create host {name}")
        return self._host(registrar, name, client_ref)[0]

    def update_host(
        self, *, registrar: str, client_ref: str, name: str, addresses: Sequence[str]
    ) -> ObjectInfo:
        """host:update: the host's addresses become ``addresses``."""
        ips = self._addresses(name, addresses)
        _, _, have = self._host(registrar, name, client_ref)
        frame = frames.host_update(
            name,
            client_ref,
            add=[a for a in ips if a not in have],
            remove=[a for a in have if a not in ips],
        )
        self._ok(registrar, frame, f"update host {name}")
        return self._host(registrar, name, client_ref)[0]

    def delete_host(self, *, registrar: str, client_ref: str, name: str) -> ObjectInfo:
        info, _, _ = self._host(registrar, name, client_ref)
        self._ok(registrar, frames.host_by_name("delete", name, client_ref), f"delete host {name}")
        return info

    def update_contact(
        self, *, registrar: str, client_ref: str, handle: str, contact: Mapping[str, Any]
    ) -> ObjectInfo:
        """contact:update: the given fields of ``contact`` change (postal info as a whole)."""
        handle = _handle(handle, "contact handle")
        postal = self._postal(contact) if contact.get("name") or contact.get("address") else None
        frame = frames.contact_update(
            handle,
            client_ref,
            postal=postal,
            email=contact.get("email"),
            voice=_phone(contact.get("phone"), "phone"),
            fax=_phone(contact.get("fax"), "fax"),
            auth_info=contact.get("auth_info"),
        )
        self._ok(registrar, frame, f"update contact {handle}")
        return self._contact(registrar, handle, client_ref)[0]

    def delete_contact(self, *, registrar: str, client_ref: str, handle: str) -> ObjectInfo:
        handle = _handle(handle, "contact handle")
        info, _, _ = self._contact(registrar, handle, client_ref)
        frame = frames.contact_by_id("delete", handle, client_ref)
        self._ok(registrar, frame, f"delete contact {handle}")
        return info

    # --- transfers decided, the poll queue -------------------------------------------

    def transfer_domain_action(
        self, *, registrar: str, client_ref: str, name: str, op: str
    ) -> TransferInfo:
        """``<domain:transfer op="cancel|reject|approve">``: the transfer as it then is.

        2301 (no transfer pending) → StatusProhibits, unless ``<transfer op="query">``
        shows the last transfer of ``name`` ended as ``op`` decides, between the same
        parties (this command's earlier run at a registry that does not deduplicate
        clTRIDs): then that transfer is the answer. 2201 → NotAuthorized.
        """
        if op not in DECIDED:
            raise PolicyError(f"epp: transfer op {op!r} is not one of {sorted(DECIDED)}")
        what = f"transfer {op} domain {name}"
        response = self._send(registrar, frames.domain_transfer_op(name, client_ref, op), what)
        if response.code == 2301:
            try:
                last = self._transfer_query(registrar, name, f"{client_ref}-query")
            except BackendError:
                last = None
            if last is not None and last.status == DECIDED[op]:
                party = last.gaining if op == "cancel" else last.losing
                if party != self._client_id(registrar):
                    last = None
            if last is not None and last.status == DECIDED[op]:
                log.info("epp: %s: already decided by this request", what)
                return self._transfer_info(registrar, last)
        frames.check(response, what)
        return self._transfer_info(registrar, frames.transfer_data(response, what))

    def _transfer_query(self, registrar: str, name: str, cltrid: str) -> frames.TransferData:
        what = f"transfer query domain {name}"
        response = self._ok(registrar, frames.domain_transfer_op(name, cltrid, "query"), what)
        return frames.transfer_data(response, what)

    def _party(self, registrar: str, client_id: str) -> str:
        """Our own client id read back as the accreditation's name; others' as they are."""
        return registrar if client_id == self._client_id(registrar) else client_id

    def _transfer_info(self, registrar: str, data: frames.TransferData) -> TransferInfo:
        return TransferInfo(
            name=data.name,
            status=data.status,
            gaining_registrar=self._party(registrar, data.gaining),
            losing_registrar=self._party(registrar, data.losing),
            requested_date=data.requested,
            action_date=data.action,
        )

    def poll_transfers(self, *, registrar: str) -> list[TransferMessage]:
        """``<poll op="req">``: the head of ``registrar``'s queue, as a list of at most one.

        1300: no message → ``[]``. 1301: a message; with a ``<domain:trnData>`` it is a
        :class:`TransferMessage` (``id`` = msgQ id, ``message`` = its msg text); for an
        approved transfer to ``registrar``, ``domain`` is a ``domain:info`` of the name
        made now, the new auth code included (None if the name is no longer ours).

        A message that is not about a transfer (other resData, or none), or whose
        trnData cannot be read, does not fit a TransferMessage: it is acknowledged and
        skipped here (logged: id and text, never its data), and the next one is read,
        at most MAX_SKIPPED of them per call. Nothing in this system acts on other
        messages, and leaving one unacknowledged would hide every message behind it.
        """
        for _ in range(MAX_SKIPPED + 1):
            response = self._ok(registrar, frames.poll("req", f"poll-{uuid.uuid4().hex}"), "poll")
            if response.code == 1300:
                return []
            queue = response.queue
            if response.code != 1301 or queue is None or not queue.id:
                raise frames.ProtocolError(
                    f"epp: poll of {registrar}: answer {response.code} without a message id"
                )
            try:
                data = frames.transfer_data(response, f"poll message {queue.id}")
            except frames.ProtocolError as exc:
                kind = (
                    "an unreadable transfer"
                    if response.find(DOMAIN, "trnData") is not None
                    else "not a transfer"
                )
                log.warning(
                    "epp: poll of %s: message %s is %s (%s): acknowledged and skipped: %s",
                    registrar, queue.id, kind, exc, queue.message[:200],
                )  # fmt: skip
                self.ack_transfer_message(registrar=registrar, message_id=queue.id)
                continue
            return [self._transfer_message(registrar, queue, data)]
        log.warning("epp: poll of %s: %d messages skipped, the rest next time", registrar,
                    MAX_SKIPPED + 1)  # fmt: skip
        return []

    def _transfer_message(
        self, registrar: str, queue: frames.MessageQueue, data: frames.TransferData
    ) -> TransferMessage:
        info = self._transfer_info(registrar, data)
        domain: DomainInfo | None = None
        if info.status in TRANSFER_APPROVED and info.gaining_registrar == registrar:
            found = self._look(self._domain, registrar, data.name, f"poll-{queue.id}")
            if found is not None and found[1] == self._client_id(registrar):
                domain = _with(found[0], auth_info=found[2])
        return TransferMessage(
            id=queue.id,
            name=info.name,
            status=info.status,
            gaining_registrar=info.gaining_registrar,
            losing_registrar=info.losing_registrar,
            requested_date=info.requested_date,
            action_date=info.action_date,
            message=queue.message,
            domain=domain,
        )

    def ack_transfer_message(self, *, registrar: str, message_id: str) -> None:
        """``<poll op="ack" msgID="…">``; idempotent: 2303 (no such message, e.g. acked
        before) is success."""
        frame = frames.poll("ack", f"ack-{uuid.uuid4().hex}", message_id=message_id)
        response = self._send(registrar, frame, f"ack message {message_id}")
        if response.code != 2303:
            frames.check(response, f"ack message {message_id}")

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
        if self.ca is None:
            raise BackendError("epp: no certificate authority configured beside the registry")
        return self.ca.issue_certificate(
            registrar=registrar,
            client_ref=client_ref,
            common_name=common_name,
            sans=sans,
            csr_pem=csr_pem,
            key_type=key_type,
            validity_days=validity_days,
        )

    # --- helpers ------------------------------------------------------------------

    def _derived_auth(self, registrar: str, client_ref: str) -> str:
        """A contact's auth code when the request has none: the same for every retry of
        ``client_ref``, unguessable without the registrar's EPP password."""
        key = self.server(registrar).password.get_secret_value().encode()
        return hmac.new(key, client_ref.encode(), hashlib.sha256).hexdigest()[:16]

    @staticmethod
    def _postal(contact: Mapping[str, Any]) -> frames.PostalInfo:
        address = contact.get("address") or {}
        name = str(contact.get("name") or "").strip()
        city = str(address.get("city") or contact.get("city") or "").strip()
        country = str(address.get("country_code") or contact.get("country_code") or "").strip()
        if not name or not city or len(country) != 2:
            raise PolicyError("epp: a contact needs a name, a city and a two-letter country code")
        street = address.get("street") or []
        return frames.PostalInfo(
            name=name,
            city=city,
            country_code=country.upper(),
            organization=contact.get("organization") or None,
            street=tuple(str(s) for s in ([street] if isinstance(street, str) else street)),
            state_province=address.get("state_province") or None,
            postal_code=address.get("postal_code") or None,
        )

    @staticmethod
    def _email(contact: Mapping[str, Any]) -> str:
        email = str(contact.get("email") or "").strip()
        if not email:
            raise PolicyError("epp: a contact needs an email address")
        return email

    @staticmethod
    def _addresses(name: str, addresses: Sequence[str]) -> list[str]:
        try:
            return [str(ipaddress.ip_interface(a.strip()).ip) for a in addresses]
        except ValueError as exc:
            raise PolicyError(f"epp: host {name}: {exc}") from None


def _with(info: DomainInfo, **changes: Any) -> DomainInfo:
    from dataclasses import replace  # noqa: PLC0415 - one use

    return replace(info, **changes)


__all__ = ["EppBackend", "add_years"]
