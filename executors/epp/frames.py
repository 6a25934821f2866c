"""EPP frames as XML: the commands a client sends, the responses a server answers.

Builders return the serialized frame (UTF-8 bytes, no length header: that is
the transport's, ``session.py``). Parsers take bytes from the other side and
never let an lxml or decoding exception through: a frame that is not a
well-formed EPP message is a :class:`ProtocolError` (retryable: the command
may or may not have been executed; the backend's reconciliation sorts it out).

Namespaces and element names follow RFC 5730 (base), 5731 (domain), 5732
(host), 5733 (contact) and RFC 3915 (the RGP extension); the schemas are in
``executors/epp/xsd`` and :mod:`executors.epp.schema` validates against them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast

from lxml import etree

from executors.backends.base import (
    TRANSFER_STATUSES,
    BackendError,
    NotAuthorized,
    ObjectExists,
    ObjectNotFound,
    PolicyError,
    StatusProhibits,
    TransientBackendError,
)

EPP = "urn:ietf:params:xml:ns:epp-1.0"
DOMAIN = "urn:ietf:params:xml:ns:domain-1.0"
CONTACT = "urn:ietf:params:xml:ns:contact-1.0"
HOST = "urn:ietf:params:xml:ns:host-1.0"
RGP = "urn:ietf:params:xml:ns:rgp-1.0"
OBJECT_URIS = (DOMAIN, CONTACT, HOST)
EXTENSION_URIS = (RGP,)
PREFIXES = {"domain": DOMAIN, "contact": CONTACT, "host": HOST, "rgp": RGP}

Element = etree._Element


class ProtocolError(TransientBackendError):
    """A frame that is not a well-formed EPP message, or not the one expected."""


def _parser() -> etree.XMLParser:
    # No entities, no DTD, no network: a frame is data from another system.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, remove_blank_text=True
    )


def q(namespace: str, tag: str) -> str:
    """The Clark name ``{namespace}tag``."""
    return f"{{{namespace}}}{tag}"


def sub(
    parent: Element, namespace: str, tag: str, text: str | None = None, **attrs: str
) -> Element:
    element = etree.SubElement(parent, q(namespace, tag), attrs)
    if text is not None:
        element.text = text
    return element


def epp_root() -> Element:
    """An empty ``<epp>`` with EPP as the default namespace."""
    return _epp()


def timestamp(value: datetime) -> str:
    """An xs:dateTime in UTC."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_timestamp(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ProtocolError(f"epp: {text!r} is not a date and time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def serialize(root: Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=False))


def parse_xml(data: bytes) -> Element:
    """The root ``<epp>`` element of ``data``; ProtocolError for anything else."""
    try:
        root = etree.fromstring(data, _parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise ProtocolError(f"epp: the frame is not well-formed XML: {exc}") from None
    if root is None or root.tag != q(EPP, "epp"):
        raise ProtocolError("epp: the frame's root is not <epp>")
    return root


def _epp(*, extra_ns: Iterable[str] = ()) -> Element:
    nsmap: dict[str | None, str] = {None: EPP}
    for prefix in extra_ns:
        nsmap[prefix] = PREFIXES[prefix]
    return etree.Element(q(EPP, "epp"), nsmap=cast(Any, nsmap))  # the stubs want no None key


# --------------------------------------------------------------------- commands


@dataclass
class Command:
    """A command under construction: ``<epp><command><verb>object…</verb>…``."""

    root: Element
    command: Element
    verb: Element

    @classmethod
    def new(cls, verb: str, prefix: str | None = None, **attrs: str) -> Command:
        root = _epp(extra_ns=[prefix] if prefix else [])
        command = sub(root, EPP, "command")
        return cls(root, command, sub(command, EPP, verb, **attrs))

    def object(self, prefix: str, tag: str) -> Element:
        """The object element under the verb, e.g. ``<domain:create>``."""
        return sub(self.verb, PREFIXES[prefix], tag)

    def extension(self) -> Element:
        found = self.command.find(q(EPP, "extension"))
        return found if found is not None else sub(self.command, EPP, "extension")

    def finish(self, cltrid: str | None) -> bytes:
        if cltrid is not None:
            sub(self.command, EPP, "clTRID", cltrid)
        return serialize(self.root)


def hello() -> bytes:
    root = _epp()
    sub(root, EPP, "hello")
    return serialize(root)


def login(
    client_id: str,
    password: str,
    cltrid: str,
    *,
    objects: Sequence[str] = OBJECT_URIS,
    extensions: Sequence[str] = EXTENSION_URIS,
) -> bytes:
    cmd = Command.new("login")
    sub(cmd.verb, EPP, "clID", client_id)
    sub(cmd.verb, EPP, "pw", password)
    options = sub(cmd.verb, EPP, "options")
    sub(options, EPP, "version", "1.0")
    sub(options, EPP, "lang", "en")
    svcs = sub(cmd.verb, EPP, "svcs")
    for uri in objects:
        sub(svcs, EPP, "objURI", uri)
    if extensions:
        ext = sub(svcs, EPP, "svcExtension")
        for uri in extensions:
            sub(ext, EPP, "extURI", uri)
    return cmd.finish(cltrid)


def logout(cltrid: str) -> bytes:
    return Command.new("logout").finish(cltrid)


def _period(parent: Element, period: int) -> None:
    sub(parent, DOMAIN, "period", str(period), unit="y")


def _auth(parent: Element, namespace: str, value: str) -> None:
    sub(sub(parent, namespace, "authInfo"), namespace, "pw", value)


def domain_check(names: Sequence[str], cltrid: str) -> bytes:
    cmd = Command.new("check", "domain")
    check = cmd.object("domain", "check")
    for name in names:
        sub(check, DOMAIN, "name", name)
    return cmd.finish(cltrid)


def domain_info(name: str, cltrid: str, *, auth_info: str | None = None) -> bytes:
    cmd = Command.new("info", "domain")
    info = cmd.object("domain", "info")
    sub(info, DOMAIN, "name", name, hosts="all")
    if auth_info:
        _auth(info, DOMAIN, auth_info)
    return cmd.finish(cltrid)


def _ns(parent: Element, nameservers: Sequence[str]) -> None:
    if nameservers:
        ns = sub(parent, DOMAIN, "ns")
        for host in nameservers:
            sub(ns, DOMAIN, "hostObj", host)


def domain_create(
    name: str,
    cltrid: str,
    *,
    period: int,
    auth_info: str,
    registrant: str | None,
    contacts: Mapping[str, str],
    nameservers: Sequence[str],
) -> bytes:
    cmd = Command.new("create", "domain")
    create = cmd.object("domain", "create")
    sub(create, DOMAIN, "name", name)
    _period(create, period)
    _ns(create, nameservers)
    if registrant:
        sub(create, DOMAIN, "registrant", registrant)
    for role in ("admin", "billing", "tech"):
        if contacts.get(role):
            sub(create, DOMAIN, "contact", contacts[role], type=role)
    _auth(create, DOMAIN, auth_info)
    return cmd.finish(cltrid)


def domain_renew(name: str, cltrid: str, *, current_expiry: date, period: int) -> bytes:
    cmd = Command.new("renew", "domain")
    renew = cmd.object("domain", "renew")
    sub(renew, DOMAIN, "name", name)
    sub(renew, DOMAIN, "curExpDate", current_expiry.isoformat())
    _period(renew, period)
    return cmd.finish(cltrid)


def domain_transfer(name: str, cltrid: str, *, auth_info: str, period: int) -> bytes:
    cmd = Command.new("transfer", "domain", op="request")
    transfer = cmd.object("domain", "transfer")
    sub(transfer, DOMAIN, "name", name)
    if period > 0:
        _period(transfer, period)
    _auth(transfer, DOMAIN, auth_info)
    return cmd.finish(cltrid)


def domain_transfer_op(name: str, cltrid: str, op: str) -> bytes:
    """``<transfer op="query|cancel|reject|approve">`` of ``name`` (no auth code: the
    parties of the transfer ask)."""
    cmd = Command.new("transfer", "domain", op=op)
    sub(cmd.object("domain", "transfer"), DOMAIN, "name", name)
    return cmd.finish(cltrid)


def poll(op: str, cltrid: str, *, message_id: str | None = None) -> bytes:
    """``<poll op="req">``, or ``<poll op="ack" msgID="…">`` (RFC 5730 2.9.2.3)."""
    attrs = {"op": op} if message_id is None else {"op": op, "msgID": message_id}
    return Command.new("poll", **attrs).finish(cltrid)


def domain_delete(name: str, cltrid: str) -> bytes:
    cmd = Command.new("delete", "domain")
    sub(cmd.object("domain", "delete"), DOMAIN, "name", name)
    return cmd.finish(cltrid)


@dataclass
class DomainChanges:
    """What a ``<domain:update>`` adds, removes and changes."""

    add_ns: list[str] = field(default_factory=list)
    rem_ns: list[str] = field(default_factory=list)
    add_contacts: list[tuple[str, str]] = field(default_factory=list)  # (type, handle)
    rem_contacts: list[tuple[str, str]] = field(default_factory=list)
    add_statuses: list[str] = field(default_factory=list)
    rem_statuses: list[str] = field(default_factory=list)
    registrant: str | None = None  # "" removes the registrant
    auth_info: str | None = None


def _add_rem(parent: Element, tag: str, ns: list[str], contacts: list[tuple[str, str]],
             statuses: list[str]) -> None:  # fmt: skip
    if not (ns or contacts or statuses):
        return
    element = sub(parent, DOMAIN, tag)
    _ns(element, ns)
    for role, handle in contacts:
        sub(element, DOMAIN, "contact", handle, type=role)
    for status in statuses:
        sub(element, DOMAIN, "status", s=status)


def domain_update(
    name: str, cltrid: str, *, changes: DomainChanges | None = None, restore: bool = False
) -> bytes:
    cmd = Command.new("update", "domain")
    update = cmd.object("domain", "update")
    sub(update, DOMAIN, "name", name)
    changes = changes or DomainChanges()
    _add_rem(update, "add", changes.add_ns, changes.add_contacts, changes.add_statuses)
    _add_rem(update, "rem", changes.rem_ns, changes.rem_contacts, changes.rem_statuses)
    if changes.registrant is not None or changes.auth_info is not None or restore:
        chg = sub(update, DOMAIN, "chg")  # RFC 3915: a restore carries an empty <chg/>
        if changes.registrant is not None:
            sub(chg, DOMAIN, "registrant", changes.registrant)
        if changes.auth_info is not None:
            _auth(chg, DOMAIN, changes.auth_info)
    if restore:
        rgp_update = etree.SubElement(cmd.extension(), q(RGP, "update"), nsmap={"rgp": RGP})
        sub(rgp_update, RGP, "restore", op="request")
    return cmd.finish(cltrid)


@dataclass(frozen=True)
class PostalInfo:
    name: str
    city: str
    country_code: str
    organization: str | None = None
    street: tuple[str, ...] = ()
    state_province: str | None = None
    postal_code: str | None = None


def _postal(parent: Element, postal: PostalInfo) -> None:
    info = sub(parent, CONTACT, "postalInfo", type="int")
    sub(info, CONTACT, "name", postal.name)
    if postal.organization:
        sub(info, CONTACT, "org", postal.organization)
    addr = sub(info, CONTACT, "addr")
    for line in postal.street[:3]:
        sub(addr, CONTACT, "street", line)
    sub(addr, CONTACT, "city", postal.city)
    if postal.state_province:
        sub(addr, CONTACT, "sp", postal.state_province)
    if postal.postal_code:
        sub(addr, CONTACT, "pc", postal.postal_code)
    sub(addr, CONTACT, "cc", postal.country_code)


def contact_create(
    handle: str,
    cltrid: str,
    *,
    postal: PostalInfo,
    email: str,
    auth_info: str,
    voice: str | None = None,
    fax: str | None = None,
) -> bytes:
    cmd = Command.new("create", "contact")
    create = cmd.object("contact", "create")
    sub(create, CONTACT, "id", handle)
    _postal(create, postal)
    if voice:
        sub(create, CONTACT, "voice", voice)
    if fax:
        sub(create, CONTACT, "fax", fax)
    sub(create, CONTACT, "email", email)
    _auth(create, CONTACT, auth_info)
    return cmd.finish(cltrid)


def contact_update(
    handle: str,
    cltrid: str,
    *,
    postal: PostalInfo | None = None,
    email: str | None = None,
    voice: str | None = None,
    fax: str | None = None,
    auth_info: str | None = None,
) -> bytes:
    cmd = Command.new("update", "contact")
    update = cmd.object("contact", "update")
    sub(update, CONTACT, "id", handle)
    chg = sub(update, CONTACT, "chg")
    if postal is not None:
        _postal(chg, postal)
    if voice is not None:
        sub(chg, CONTACT, "voice", voice)
    if fax is not None:
        sub(chg, CONTACT, "fax", fax)
    if email is not None:
        sub(chg, CONTACT, "email", email)
    if auth_info is not None:
        _auth(chg, CONTACT, auth_info)
    return cmd.finish(cltrid)


def contact_by_id(verb: str, handle: str, cltrid: str) -> bytes:
    """``<contact:info>`` or ``<contact:delete>`` of ``handle``."""
    cmd = Command.new(verb, "contact")
    sub(cmd.object("contact", verb), CONTACT, "id", handle)
    return cmd.finish(cltrid)


def _addr(parent: Element, address: str) -> None:
    sub(parent, HOST, "addr", address, ip="v6" if ":" in address else "v4")


def host_create(name: str, cltrid: str, *, addresses: Sequence[str]) -> bytes:
    cmd = Command.new("create", "host")
    create = cmd.object("host", "create")
    sub(create, HOST, "name", name)
    for address in addresses:
        _addr(create, address)
    return cmd.finish(cltrid)


def host_update(name: str, cltrid: str, *, add: Sequence[str], remove: Sequence[str]) -> bytes:
    cmd = Command.new("update", "host")
    update = cmd.object("host", "update")
    sub(update, HOST, "name", name)
    for tag, addresses in (("add", add), ("rem", remove)):
        if addresses:
            element = sub(update, HOST, tag)
            for address in addresses:
                _addr(element, address)
    return cmd.finish(cltrid)


def host_by_name(verb: str, name: str, cltrid: str) -> bytes:
    """``<host:info>`` or ``<host:delete>`` of ``name``."""
    cmd = Command.new(verb, "host")
    sub(cmd.object("host", verb), HOST, "name", name)
    return cmd.finish(cltrid)


# -------------------------------------------------------------------- responses


@dataclass(frozen=True)
class Greeting:
    server_id: str
    objects: tuple[str, ...]
    extensions: tuple[str, ...]


@dataclass(frozen=True)
class MessageQueue:
    """A response's ``<msgQ>``: how many messages wait, the id of the one shown (or, in
    an ack's answer, of the one acknowledged), when it was queued and its text."""

    count: int
    id: str
    queued: datetime | None = None
    message: str = ""


@dataclass(frozen=True)
class TransferData:
    """A ``<domain:trnData>`` (RFC 5731 3.2.4 / 3.1.3)."""

    name: str
    status: str  # one of TRANSFER_STATUSES
    gaining: str  # reID
    requested: datetime  # reDate
    losing: str  # acID
    action: datetime  # acDate
    expiry: datetime | None = None  # exDate


@dataclass(frozen=True)
class Response:
    code: int
    message: str
    cltrid: str | None
    svtrid: str | None
    data: Element | None = None  # <resData>
    extension: Element | None = None
    queue: MessageQueue | None = None  # <msgQ>, in answers to <poll>

    @property
    def ok(self) -> bool:
        return 1000 <= self.code < 2000

    def find(self, namespace: str, path: str) -> Element | None:
        """The first element at ``path`` (tags of one namespace, '/'-separated) under
        resData or extension."""
        xpath = "/".join(q(namespace, part) for part in path.split("/"))
        for parent in (self.data, self.extension):
            if parent is not None:
                found = parent.find(xpath)
                if found is not None:
                    return found
        return None


def text(element: Element | None, namespace: str, tag: str) -> str | None:
    if element is None:
        return None
    found = element.find(q(namespace, tag))
    return None if found is None or found.text is None else found.text.strip()


def parse_greeting(data: bytes) -> Greeting:
    greeting = parse_xml(data).find(q(EPP, "greeting"))
    if greeting is None:
        raise ProtocolError("epp: expected a <greeting>")
    menu = greeting.find(q(EPP, "svcMenu"))
    if menu is None:
        raise ProtocolError("epp: the greeting has no <svcMenu>")
    return Greeting(
        server_id=text(greeting, EPP, "svID") or "",
        objects=tuple((e.text or "").strip() for e in menu.iter(q(EPP, "objURI"))),
        extensions=tuple((e.text or "").strip() for e in menu.iter(q(EPP, "extURI"))),
    )


def parse_response(data: bytes) -> Response:
    response = parse_xml(data).find(q(EPP, "response"))
    if response is None:
        raise ProtocolError("epp: expected a <response>")
    result = response.find(q(EPP, "result"))
    if result is None:
        raise ProtocolError("epp: the response has no <result>")
    try:
        code = int(result.get("code") or "")
    except ValueError:
        raise ProtocolError(f"epp: result code {result.get('code')!r} is not a number") from None
    if not 1000 <= code <= 2599:
        raise ProtocolError(f"epp: result code {code} is outside 1000..2599")
    trid = response.find(q(EPP, "trID"))
    msgq = response.find(q(EPP, "msgQ"))
    return Response(
        code=code,
        message=text(result, EPP, "msg") or "",
        cltrid=text(trid, EPP, "clTRID"),
        svtrid=text(trid, EPP, "svTRID"),
        data=response.find(q(EPP, "resData")),
        extension=response.find(q(EPP, "extension")),
        queue=None if msgq is None else _message_queue(msgq),
    )


def _message_queue(msgq: Element) -> MessageQueue:
    try:
        count = int(msgq.get("count") or "")
    except ValueError:
        raise ProtocolError(f"epp: msgQ count {msgq.get('count')!r} is not a number") from None
    msg = msgq.find(q(EPP, "msg"))
    return MessageQueue(
        count=count,
        id=(msgq.get("id") or "").strip(),
        queued=parse_timestamp(text(msgq, EPP, "qDate")),
        message="" if msg is None else "".join(str(t) for t in msg.itertext()).strip(),
    )


def transfer_data(response: Response, what: str) -> TransferData:
    """The response's ``<domain:trnData>``; ProtocolError when it has none or it lacks
    what RFC 5731 requires."""
    data = response.find(DOMAIN, "trnData")
    if data is None:
        raise ProtocolError(f"epp: {what}: no <domain:trnData>")
    values = {tag: text(data, DOMAIN, tag) for tag in ("name", "trStatus", "reID", "acID")}
    requested = parse_timestamp(text(data, DOMAIN, "reDate"))
    action = parse_timestamp(text(data, DOMAIN, "acDate"))
    missing = sorted(tag for tag, value in values.items() if not value)
    if missing or requested is None or action is None:
        raise ProtocolError(f"epp: {what}: trnData lacks {missing or ['reDate/acDate']}")
    if values["trStatus"] not in TRANSFER_STATUSES:
        raise ProtocolError(f"epp: {what}: trStatus {values['trStatus']!r} is not RFC 5731's")
    return TransferData(
        name=str(values["name"]).lower(),
        status=str(values["trStatus"]),
        gaining=str(values["reID"]),
        requested=requested,
        losing=str(values["acID"]),
        action=action,
        expiry=parse_timestamp(text(data, DOMAIN, "exDate")),
    )


def error_for(response: Response, what: str) -> BackendError:
    """The backend error a failed response stands for (docs/backends.md, "EPP")."""
    code = response.code
    message = f"epp: {what}: {code} {response.message}".strip()
    kinds: dict[int, type[BackendError]] = {
        2201: NotAuthorized,
        2202: NotAuthorized,
        2300: StatusProhibits,  # object pending transfer
        2301: StatusProhibits,  # object not pending transfer
        2302: ObjectExists,
        2303: ObjectNotFound,
        2304: StatusProhibits,
        2305: StatusProhibits,
        2004: PolicyError,
        2005: PolicyError,
        2306: PolicyError,
        2400: TransientBackendError,
        2500: TransientBackendError,
        2501: TransientBackendError,
        2502: TransientBackendError,
    }
    kind = kinds.get(code)
    if kind is None:
        return BackendError(message, code=code)
    return kind(message, code=code)


def check(response: Response, what: str) -> Response:
    """``response`` when it reports success; else its error raised."""
    if not response.ok:
        raise error_for(response, what)
    return response


def statuses(parent: Element | None, namespace: str) -> list[str]:
    if parent is None:
        return []
    return [s.get("s") or "" for s in parent.findall(q(namespace, "status"))]


def as_text(value: Any) -> str:
    return "" if value is None else str(value)


__all__ = [
    "CONTACT",
    "DOMAIN",
    "EPP",
    "EXTENSION_URIS",
    "HOST",
    "OBJECT_URIS",
    "RGP",
    "Command",
    "DomainChanges",
    "Greeting",
    "MessageQueue",
    "PostalInfo",
    "ProtocolError",
    "Response",
    "TransferData",
    "check",
    "error_for",
    "parse_greeting",
    "parse_response",
    "parse_timestamp",
    "parse_xml",
    "poll",
    "serialize",
    "timestamp",
    "transfer_data",
]
