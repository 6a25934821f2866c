"""An EPP server over TLS in front of the sandbox registry, with the faults of a real one.

    provisioning epp-front --port 7000 --users-file users.json --write-ca ca.pem
    python -m executors.epp.server …   (the same)

It serves the registry state the sandbox keeps (schema ``sandbox``): every
change goes through :class:`~executors.backends.sandbox.SandboxBackend` with
``client_ref`` = the command's ``clTRID``, so a repeated clTRID is answered
from the sandbox's transaction log (``replay_by_trid``; turn it off to act like
a registry that does not deduplicate). Reads (``<info>``) use
``db/queries/epp_front.sql``. A login is checked against the configured
``{client_id: password}``; the client id is the sandbox registrar.

Transfers: a request the sandbox keeps pending (``transfer_pending_seconds`` > 0,
``PROVISIONING_SANDBOX_TRANSFER_PENDING_SECONDS``) is answered 1001 with a pending
``trnData``; ``<transfer op="cancel|reject|approve">`` goes to
:meth:`SandboxBackend.transfer_domain_action`, ``op="query"`` reads the last
transfer of the name (``sandbox.transfer``). ``<poll op="req">`` shows the head
of the logged-in registrar's queue in the sandbox (``sandbox.message``, after the
transfers whose auto-approval time has come are approved): 1300 when it is empty,
else 1301 with ``msgQ`` (count, id, qDate, msg) and the transfer's ``trnData``;
``<poll op="ack" msgID="…">`` removes it (2303 for an id not in the queue).

Faults (:class:`Faults`), set at start (``--faults-file``, re-read whenever it
changes) or at run time (:meth:`EppFront.set_faults`): drop a session after N
commands, answer the next N commands 2400 without acting, delay answers (after
acting, as a registry whose answer is slow), answer transfer requests 1001
(pending) without keeping any transfer (nothing ever decides it: see above for
real pending transfers).

With ``validate=True`` every frame received and sent is checked against the
RFC schemas; an invalid one is recorded in :attr:`EppFront.invalid_frames`
(and an invalid command is answered 2001).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hmac
import ipaddress
import json
import logging
import os
import signal
import socket
import ssl
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lxml import etree
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool

from executors.backends.base import (
    BackendError,
    DomainInfo,
    TransientBackendError,
)
from executors.backends.sandbox import SandboxBackend
from executors.epp import frames, schema
from executors.epp.frames import CONTACT, DOMAIN, EPP, HOST, RGP, Element, q, sub, text
from executors.epp.session import SessionDropped, read_frame, write_frame
from provisioning.sqlfiles import query

log = logging.getLogger(__name__)

SERVER_ID = "provisioning-sandbox-epp"
CLIENT_LOCKS = (
    "clientDeleteProhibited",
    "clientHold",
    "clientRenewProhibited",
    "clientTransferProhibited",
    "clientUpdateProhibited",
)


@dataclass(frozen=True)
class Faults:
    """What the front does wrong, on purpose."""

    drop_after: int | None = None  # close a session once it answered this many commands
    fail_next: int = 0  # answer the next N object commands 2400, without acting
    delay_seconds: float = 0.0  # wait this long before answering (after acting)
    delay_commands: tuple[str, ...] = ()  # e.g. ("create:domain",); empty: every command
    transfer_pending: bool = False  # answer transfer requests 1001, keep no transfer
    replay_by_trid: bool = True  # a repeated clTRID is answered from the transaction log

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Faults:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown faults {unknown}; known: {sorted(known)}")
        data = dict(values)
        if "delay_commands" in data:
            data["delay_commands"] = tuple(data["delay_commands"])
        return cls(**data)


class EppError(Exception):
    """An EPP result of failure, answered as is."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def self_signed(hosts: tuple[str, ...] = ("localhost", "127.0.0.1")) -> tuple[str, str]:
    """A self-signed certificate for ``hosts`` and its key, PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "EPP front of the sandbox")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def _response(code: int, message: str, cltrid: str | None, svtrid: str) -> tuple[Element, Element]:
    root = frames.epp_root()
    response = sub(root, EPP, "response")
    result = sub(response, EPP, "result", code=str(code))
    sub(result, EPP, "msg", message[:500] or "Command completed")
    return root, response


def _finish(response: Element, cltrid: str | None, svtrid: str) -> None:
    trid = sub(response, EPP, "trID")
    if cltrid:
        sub(trid, EPP, "clTRID", cltrid)
    sub(trid, EPP, "svTRID", svtrid)


def _res_data(response: Element, namespace: str, prefix: str, tag: str) -> Element:
    res_data = sub(response, EPP, "resData")
    return etree.SubElement(res_data, q(namespace, tag), nsmap={prefix: namespace})


def _ts(value: datetime | None) -> str:
    return frames.timestamp(value or datetime.now(UTC))


@dataclass
class _Connection:
    registrar: str | None = None
    commands: int = 0


@dataclass
class _Reply:
    code: int = 1000
    message: str = "Command completed successfully"
    build: Callable[[Element], None] | None = None  # adds resData/extension to <response>
    close: bool = False


class EppFront:
    """The EPP server. ``start()`` binds and serves in threads; ``stop()`` ends it."""

    def __init__(
        self,
        sandbox: SandboxBackend,
        database_url: str,
        users: Mapping[str, str],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        cert_file: str | None = None,
        key_file: str | None = None,
        faults: Faults | None = None,
        validate: bool = False,
        idle_timeout: float = 600.0,
    ) -> None:
        self.sandbox = sandbox
        self.users = dict(users)
        self.host = host
        self.port = port
        self.validate = validate
        self.idle_timeout = idle_timeout
        self._faults = faults or Faults()
        self._lock = threading.Lock()
        self._tmp = tempfile.TemporaryDirectory(prefix="epp-front-")
        if cert_file is None:
            cert_pem, key_pem = self_signed()
            cert_file = str(Path(self._tmp.name) / "cert.pem")
            key_file = str(Path(self._tmp.name) / "key.pem")
            Path(cert_file).write_text(cert_pem)
            Path(key_file).write_text(key_pem)
            os.chmod(key_file, 0o600)
        self.cert_file = cert_file
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self.context.load_cert_chain(cert_file, key_file)
        self._db: ConnectionPool[psycopg.Connection[DictRow]] = ConnectionPool(
            database_url,
            min_size=1,
            max_size=4,
            kwargs={"autocommit": True, "row_factory": dict_row},
            configure=_utc_session,
            name="epp-front",
            open=True,
        )
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._svtrid = 0
        self.invalid_frames: list[str] = []
        self.started: Counter[str] = Counter()  # commands received, by "verb:object"
        self.answered: Counter[str] = Counter()  # result codes answered, by "verb:object code"
        self.logins: Counter[str] = Counter()
        self.faults_file: Path | None = None
        self._faults_mtime = 0.0

    # --- lifecycle ------------------------------------------------------------

    @property
    def certificate_pem(self) -> str:
        return Path(self.cert_file).read_text()

    @property
    def faults(self) -> Faults:
        self._reload_faults()
        with self._lock:
            return self._faults

    def set_faults(self, **changes: Any) -> Faults:
        with self._lock:
            self._faults = dataclasses.replace(self._faults, **changes)
            return self._faults

    def reset_faults(self) -> None:
        with self._lock:
            self._faults = Faults()

    def _reload_faults(self) -> None:
        path = self.faults_file
        if path is None:
            return
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return
        if mtime == self._faults_mtime:
            return
        faults = Faults.from_mapping(json.loads(path.read_text() or "{}"))
        with self._lock:
            self._faults, self._faults_mtime = faults, mtime
        log.info("epp front: faults now %s", faults)

    def start(self) -> EppFront:
        listener = socket.create_server((self.host, self.port))
        listener.settimeout(0.2)
        self._listener = listener
        self.port = listener.getsockname()[1]
        thread = threading.Thread(target=self._accept_loop, name="epp-front", daemon=True)
        thread.start()
        self._threads.append(thread)
        log.info("epp front listening on %s:%d", self.host, self.port)
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.close()
        for thread in self._threads:
            thread.join(5)
        self._db.close()
        self._tmp.cleanup()

    def __enter__(self) -> EppFront:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(
                target=self._serve, args=(conn,), name="epp-front-session", daemon=True
            )
            thread.start()
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]

    # --- one connection ---------------------------------------------------------

    def _serve(self, raw: socket.socket) -> None:
        raw.settimeout(self.idle_timeout)
        try:
            conn = self.context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError) as exc:
            log.info("epp front: TLS handshake failed: %s", exc)
            raw.close()
            return
        with self._lock:
            self._connections.add(conn)
        state = _Connection()
        try:
            self._send(conn, self._greeting())
            while not self._stopping.is_set():
                try:
                    frame = read_frame(conn)
                except (SessionDropped, TimeoutError, OSError, frames.ProtocolError):
                    return
                reply_frame, close = self._handle(frame, state)
                if reply_frame is not None:
                    self._send(conn, reply_frame)
                faults = self.faults
                if close or (faults.drop_after is not None and state.commands >= faults.drop_after):
                    return
        except (OSError, ssl.SSLError) as exc:
            log.info("epp front: session ended: %s", exc)
        finally:
            with self._lock:
                self._connections.discard(conn)
            with contextlib.suppress(OSError):
                conn.close()

    def _send(self, conn: ssl.SSLSocket, data: bytes) -> None:
        self._check(data, "sent")
        write_frame(conn, data)

    def _check(self, data: bytes, direction: str) -> bool:
        if not self.validate:
            return True
        found = schema.problems(data)
        if found:
            with self._lock:
                self.invalid_frames.append(f"{direction}: {'; '.join(found)}: {data[:2000]!r}")
            return False
        return True

    def _greeting(self) -> bytes:
        root = frames.epp_root()
        greeting = sub(root, EPP, "greeting")
        sub(greeting, EPP, "svID", SERVER_ID)
        sub(greeting, EPP, "svDate", _ts(None))
        menu = sub(greeting, EPP, "svcMenu")
        sub(menu, EPP, "version", "1.0")
        sub(menu, EPP, "lang", "en")
        for uri in frames.OBJECT_URIS:
            sub(menu, EPP, "objURI", uri)
        sub(sub(menu, EPP, "svcExtension"), EPP, "extURI", RGP)
        dcp = sub(greeting, EPP, "dcp")
        sub(sub(dcp, EPP, "access"), EPP, "all")
        statement = sub(dcp, EPP, "statement")
        purpose = sub(statement, EPP, "purpose")
        sub(purpose, EPP, "admin")
        sub(purpose, EPP, "prov")
        sub(sub(statement, EPP, "recipient"), EPP, "ours")
        sub(sub(statement, EPP, "retention"), EPP, "stated")
        return frames.serialize(root)

    def _next_svtrid(self) -> str:
        with self._lock:
            self._svtrid += 1
            return f"SV-{os.getpid()}-{self._svtrid}"

    def _handle(  # noqa: PLR0911, PLR0912 - one branch per kind of frame
        self, data: bytes, state: _Connection
    ) -> tuple[bytes | None, bool]:
        """The answer to one frame and whether to close the session after it."""
        svtrid = self._next_svtrid()
        valid = self._check(data, "received")
        try:
            root = frames.parse_xml(data)
        except frames.ProtocolError as exc:
            return self._answer(EppError(2001, str(exc)), None, svtrid, "?"), False
        if root.find(q(EPP, "hello")) is not None:
            with self._lock:
                self.started["hello"] += 1
            return self._greeting(), False
        command = root.find(q(EPP, "command"))
        if command is None or len(command) == 0:
            return self._answer(EppError(2001, "expected a command"), None, svtrid, "?"), False
        verb = command[0]
        cltrid = text(command, EPP, "clTRID")
        name = etree.QName(verb).localname
        key = name
        if len(verb) and name not in ("login",):
            key = f"{name}:{etree.QName(verb[0]).namespace.rsplit(':', 1)[-1].split('-')[0]}"
        with self._lock:
            self.started[key] += 1
        if not valid:
            return self._answer(EppError(2001, "the command fails schema validation"), cltrid,
                                svtrid, key), False  # fmt: skip
        if name == "login":
            return self._login(verb, state, cltrid, svtrid), False
        if name == "logout":
            return self._answer(_Reply(1500, "Command completed successfully; ending session"),
                                cltrid, svtrid, key), True  # fmt: skip
        if state.registrar is None:
            return self._answer(EppError(2002, "log in first"), cltrid, svtrid, key), False
        state.commands += 1
        faults = self.faults
        if faults.fail_next > 0 and name != "poll":
            with self._lock:
                self._faults = dataclasses.replace(
                    self._faults, fail_next=self._faults.fail_next - 1
                )
            return self._answer(EppError(2400, "Command failed"), cltrid, svtrid, key), False
        try:
            reply: _Reply | EppError = self._dispatch(
                key, command, registrar=state.registrar, cltrid=cltrid, svtrid=svtrid
            )
        except EppError as exc:
            reply = exc
        except BackendError as exc:
            reply = EppError(exc.code, str(exc).removeprefix("sandbox: "))
        except Exception as exc:
            log.exception("epp front: %s failed", key)
            reply = EppError(2400, f"Command failed: {type(exc).__name__}")
        if faults.delay_seconds and (not faults.delay_commands or key in faults.delay_commands):
            self._stopping.wait(faults.delay_seconds)
        return self._answer(reply, cltrid, svtrid, key), False

    def _answer(self, reply: _Reply | EppError, cltrid: str | None, svtrid: str, key: str) -> bytes:
        if isinstance(reply, EppError):
            reply = _Reply(reply.code, reply.message)
        root, response = _response(reply.code, reply.message, cltrid, svtrid)
        if reply.build is not None:
            reply.build(response)
        _finish(response, cltrid, svtrid)
        with self._lock:
            self.answered[f"{key} {reply.code}"] += 1
        return frames.serialize(root)

    def _login(self, verb: Element, state: _Connection, cltrid: str | None, svtrid: str) -> bytes:
        client_id = text(verb, EPP, "clID") or ""
        password = text(verb, EPP, "pw") or ""
        expected = self.users.get(client_id)
        if state.registrar is not None:
            return self._answer(EppError(2002, "already logged in"), cltrid, svtrid, "login")
        if expected is None or not hmac.compare_digest(expected.encode(), password.encode()):
            return self._answer(EppError(2200, "Authentication error"), cltrid, svtrid, "login")
        state.registrar = client_id
        with self._lock:
            self.logins[client_id] += 1
        return self._answer(_Reply(), cltrid, svtrid, "login")

    # --- commands -----------------------------------------------------------------

    def _ref(self, cltrid: str | None, svtrid: str) -> str:
        if cltrid and self.faults.replay_by_trid:
            return cltrid
        return f"{cltrid or 'none'}/{svtrid}"

    def _recorded(
        self, cltrid: str | None, registrar: str, operation: str
    ) -> dict[str, Any] | None:
        """The sandbox's recorded result of ``cltrid``, when replaying is on."""
        if not cltrid or not self.faults.replay_by_trid:
            return None
        row = self._one("transaction", client_ref=cltrid)
        if row is None or row["registrar"] != registrar or row["operation"] != operation:
            return None
        result: dict[str, Any] = row["result"]
        return result

    def _one(self, name: str, /, **params: Any) -> DictRow | None:
        with self._db.connection() as conn:
            return conn.execute(query("epp_front", name), params).fetchone()

    def _dispatch(
        self,
        key: str,
        command: Element,
        *,
        registrar: str,
        cltrid: str | None,
        svtrid: str,
    ) -> _Reply:
        verb = command[0]
        if key == "poll":
            return self._poll(verb, registrar)
        if not len(verb):
            raise EppError(2001, f"{key}: no object")
        obj = verb[0]
        ref = self._ref(cltrid, svtrid)
        extension = command.find(q(EPP, "extension"))
        handlers: dict[str, Callable[[], _Reply]] = {
            "check:domain": lambda: self._domain_check(obj),
            "info:domain": lambda: self._domain_info(obj, registrar),
            "create:domain": lambda: self._domain_create(obj, registrar, ref, cltrid),
            "renew:domain": lambda: self._domain_renew(obj, registrar, ref, cltrid),
            "transfer:domain": lambda: self._domain_transfer(verb, obj, registrar, ref, cltrid),
            "delete:domain": lambda: self._domain_delete(obj, registrar, ref, cltrid),
            "update:domain": lambda: self._domain_update(obj, extension, registrar, ref, cltrid),
            "create:contact": lambda: self._contact_create(obj, registrar, ref, cltrid),
            "info:contact": lambda: self._contact_info(obj, registrar),
            "create:host": lambda: self._host_create(obj, registrar, ref, cltrid),
            "info:host": lambda: self._host_info(obj),
            "update:host": lambda: self._optional("update_host", obj, registrar, ref),
            "delete:host": lambda: self._optional("delete_host", obj, registrar, ref),
            "update:contact": lambda: self._optional("update_contact", obj, registrar, ref),
            "delete:contact": lambda: self._optional("delete_contact", obj, registrar, ref),
        }
        handler = handlers.get(key)
        if handler is None:
            raise EppError(2101, f"{key} is not implemented")
        return handler()

    # domains

    def _domain_check(self, obj: Element) -> _Reply:
        names = [(n.text or "").strip().lower() for n in obj.findall(q(DOMAIN, "name"))]
        free = self.sandbox.check_availability(names)

        def build(response: Element) -> None:
            data = _res_data(response, DOMAIN, "domain", "chkData")
            for name in names:
                cd = sub(data, DOMAIN, "cd")
                sub(cd, DOMAIN, "name", name, avail="1" if free.get(name) else "0")
                if not free.get(name):
                    sub(cd, DOMAIN, "reason", "In use or not offered")

        return _Reply(build=build)

    def _domain_row(self, name: str) -> DictRow:
        row = self._one("domain", name=name.strip().lower())
        if row is None:
            raise EppError(2303, f"domain {name} does not exist")
        return row

    def _domain_info(self, obj: Element, registrar: str) -> _Reply:
        name = text(obj, DOMAIN, "name") or ""
        row = self._domain_row(name)
        auth = text(obj.find(q(DOMAIN, "authInfo")), DOMAIN, "pw")
        sponsor = row["registrar"] == registrar
        if not sponsor and not (
            auth and hmac.compare_digest(auth.encode(), str(row["auth_info"]).encode())
        ):
            raise EppError(2201, f"domain {name} is sponsored by another registrar")

        def build(response: Element) -> None:
            data = _res_data(response, DOMAIN, "domain", "infData")
            sub(data, DOMAIN, "name", row["name"])
            sub(data, DOMAIN, "roid", row["roid"])
            statuses = list(row["locks"])
            if row["status"] == "redemption":
                statuses.insert(0, "pendingDelete")
            for status in statuses or ["ok"]:
                sub(data, DOMAIN, "status", s=status)
            contacts: dict[str, str] = row["contacts"]
            if contacts.get("registrant"):
                sub(data, DOMAIN, "registrant", contacts["registrant"])
            for role in ("admin", "billing", "tech"):
                if contacts.get(role):
                    sub(data, DOMAIN, "contact", contacts[role], type=role)
            if row["nameservers"]:
                ns = sub(data, DOMAIN, "ns")
                for host in row["nameservers"]:
                    sub(ns, DOMAIN, "hostObj", host)
            sub(data, DOMAIN, "clID", row["registrar"])
            sub(data, DOMAIN, "crID", row["registrar"])
            sub(data, DOMAIN, "crDate", _ts(row["created_date"]))
            if row["updated_date"]:
                sub(data, DOMAIN, "upID", row["registrar"])
                sub(data, DOMAIN, "upDate", _ts(row["updated_date"]))
            sub(data, DOMAIN, "exDate", _ts(row["expiry_date"]))
            if row["transfer_date"]:
                sub(data, DOMAIN, "trDate", _ts(row["transfer_date"]))
            if sponsor:
                sub(sub(data, DOMAIN, "authInfo"), DOMAIN, "pw", row["auth_info"])
            if row["status"] == "redemption":
                ext = sub(response, EPP, "extension")
                rgp = etree.SubElement(ext, q(RGP, "infData"), nsmap={"rgp": RGP})
                sub(rgp, RGP, "rgpStatus", _ts(row["redemption_end"]), s="redemptionPeriod")

        return _Reply(build=build)

    def _domain_create(self, obj: Element, registrar: str, ref: str, cltrid: str | None) -> _Reply:
        name = text(obj, DOMAIN, "name") or ""
        recorded = self._recorded(cltrid, registrar, "create_domain")
        if recorded is not None:
            info = _domain_from(recorded)
        else:
            period = obj.find(q(DOMAIN, "period"))
            contacts: dict[str, str | None] = {
                (c.get("type") or ""): (c.text or "").strip()
                for c in obj.findall(q(DOMAIN, "contact"))
            }
            if text(obj, DOMAIN, "registrant"):
                contacts["registrant"] = text(obj, DOMAIN, "registrant")
            info = self.sandbox.create_domain(
                registrar=registrar,
                client_ref=ref,
                name=name,
                period=_years(period, 1),
                auth_info=text(obj.find(q(DOMAIN, "authInfo")), DOMAIN, "pw") or "",
                contacts=contacts,
                nameservers=_hosts(obj),
            )

        def build(response: Element) -> None:
            data = _res_data(response, DOMAIN, "domain", "creData")
            sub(data, DOMAIN, "name", info.name)
            sub(data, DOMAIN, "crDate", _ts(info.created_date))
            sub(data, DOMAIN, "exDate", _ts(info.expiry_date))

        return _Reply(build=build)

    def _domain_renew(self, obj: Element, registrar: str, ref: str, cltrid: str | None) -> _Reply:
        name = text(obj, DOMAIN, "name") or ""
        recorded = self._recorded(cltrid, registrar, "renew_domain")
        if recorded is not None:
            info = _domain_from(recorded)
        else:
            try:
                current = datetime.fromisoformat(text(obj, DOMAIN, "curExpDate") or "").date()
            except ValueError:
                raise EppError(2005, "curExpDate is not a date") from None
            info = self.sandbox.renew_domain(
                registrar=registrar,
                client_ref=ref,
                name=name,
                period=_years(obj.find(q(DOMAIN, "period")), 1),
                current_expiry_date=current,
            )

        def build(response: Element) -> None:
            data = _res_data(response, DOMAIN, "domain", "renData")
            sub(data, DOMAIN, "name", info.name)
            sub(data, DOMAIN, "exDate", _ts(info.expiry_date))

        return _Reply(build=build)

    def _domain_transfer(
        self, verb: Element, obj: Element, registrar: str, ref: str, cltrid: str | None
    ) -> _Reply:
        op = verb.get("op")
        name = (text(obj, DOMAIN, "name") or "").lower()
        if op == "query":
            return self._transfer_query(name, registrar)
        if op in ("cancel", "reject", "approve"):
            decided = self.sandbox.transfer_domain_action(
                registrar=registrar, client_ref=ref, name=name, op=op
            )
            return _Reply(
                build=_trn_data(
                    name,
                    decided.status,
                    decided.gaining_registrar,
                    decided.requested_date,
                    decided.losing_registrar,
                    decided.action_date,
                )
            )
        if op != "request":
            raise EppError(2101, f"transfer op={op} is not implemented")
        auth = text(obj.find(q(DOMAIN, "authInfo")), DOMAIN, "pw") or ""
        period = _years(obj.find(q(DOMAIN, "period")), 0)
        recorded = self._recorded(cltrid, registrar, "transfer_domain")
        now = datetime.now(UTC)
        if recorded is not None:
            info, losing = _domain_from(recorded), "unknown"
            code = 1001 if recorded.get("pending") else 1000
        else:
            row = self._domain_row(name)
            losing = str(row["registrar"])
            if losing == registrar:
                raise EppError(2106, f"domain {name} is already sponsored by you")
            if not hmac.compare_digest(auth.encode(), str(row["auth_info"]).encode()):
                raise EppError(2202, f"wrong auth code for domain {name}")
            if self.faults.transfer_pending:
                info = _domain_from_row(row)
                code = 1001
            else:
                info = self.sandbox.transfer_domain(
                    registrar=registrar, client_ref=ref, name=name, auth_info=auth, period=period
                )
                code = 1001 if info.pending else 1000
        status, requested, action = "serverApproved", now, now
        if code == 1001:
            status, action = "pending", now + timedelta(days=5)
        transfer = self._one("last_transfer", name=name) if code == 1001 else None
        if (
            transfer is not None
            and transfer["gaining_registrar"] == registrar
            and transfer["status"] == "pending"
        ):  # the transfer the sandbox keeps: its real dates and losing registrar
            losing, requested = transfer["losing_registrar"], transfer["requested_date"]
            status, action = transfer["status"], transfer["action_date"]
        message = "Command completed successfully; action pending" if code == 1001 else ""
        return _Reply(
            code,
            message or "Command completed successfully",
            build=_trn_data(name, status, registrar, requested, losing, action, info.expiry_date),
        )

    def _transfer_query(self, name: str, registrar: str) -> _Reply:
        transfer = self._one("last_transfer", name=name)
        if transfer is None:
            self._domain_row(name)  # 2303 when there is no such domain
            raise EppError(2301, f"domain {name} has no transfer to show")
        parties = (transfer["gaining_registrar"], transfer["losing_registrar"])
        if registrar not in parties and self._domain_row(name)["registrar"] != registrar:
            raise EppError(2201, f"the transfers of {name} are not yours to see")
        return _Reply(
            build=_trn_data(
                name,
                transfer["status"],
                transfer["gaining_registrar"],
                transfer["requested_date"],
                transfer["losing_registrar"],
                transfer["action_date"],
            )
        )

    # the poll queue

    def _poll(self, verb: Element, registrar: str) -> _Reply:
        if verb.get("op") == "ack":
            message_id = (verb.get("msgID") or "").strip()
            if not message_id:
                raise EppError(2003, "poll op=ack needs a msgID")
            queue = self._one("message_queue", registrar=registrar, id=_message_number(message_id))
            if queue is None or queue["queued"] is None:
                raise EppError(2303, f"message {message_id} is not in your queue")
            self.sandbox.ack_transfer_message(registrar=registrar, message_id=message_id)
            left = max(0, int(queue["count"]) - 1)

            def build_ack(response: Element) -> None:
                sub(response, EPP, "msgQ", count=str(left), id=message_id)

            return _Reply(build=build_ack)
        messages = self.sandbox.poll_transfers(registrar=registrar)
        if not messages:
            return _Reply(1300, "Command completed successfully; no messages")
        head = messages[0]
        queue = self._one("message_queue", registrar=registrar, id=_message_number(head.id))
        count = int(queue["count"]) if queue is not None else len(messages)
        queued = queue["queued"] if queue is not None and queue["queued"] else head.action_date
        expiry = head.domain.expiry_date if head.domain is not None else None
        trn_data = _trn_data(
            head.name,
            head.status,
            head.gaining_registrar,
            head.requested_date,
            head.losing_registrar,
            head.action_date,
            expiry,
        )

        def build(response: Element) -> None:
            msgq = sub(response, EPP, "msgQ", count=str(max(count, 1)), id=head.id)
            sub(msgq, EPP, "qDate", _ts(queued))
            sub(msgq, EPP, "msg", head.message or f"transfer of {head.name}: {head.status}")
            trn_data(response)

        return _Reply(1301, "Command completed successfully; ack to dequeue", build=build)

    def _domain_delete(self, obj: Element, registrar: str, ref: str, cltrid: str | None) -> _Reply:
        name = text(obj, DOMAIN, "name") or ""
        recorded = self._recorded(cltrid, registrar, "delete_domain")
        if recorded is not None:
            purged = bool(recorded.get("purged"))
        else:
            purged = self.sandbox.delete_domain(
                registrar=registrar, client_ref=ref, name=name
            ).purged
        if purged:
            return _Reply()
        return _Reply(1001, "Command completed successfully; action pending")

    def _domain_update(  # noqa: PLR0912 - add, rem and chg of RFC 5731
        self,
        obj: Element,
        extension: Element | None,
        registrar: str,
        ref: str,
        cltrid: str | None,
    ) -> _Reply:
        name = (text(obj, DOMAIN, "name") or "").lower()
        restore = (
            None if extension is None else extension.find(f"{q(RGP, 'update')}/{q(RGP, 'restore')}")
        )
        if restore is not None:
            if restore.get("op") != "request":
                raise EppError(
                    2101, "rgp:restore op=report is not implemented (restore is at once)"
                )
            if self._recorded(cltrid, registrar, "restore_domain") is None:
                self.sandbox.restore_domain(
                    registrar=registrar, client_ref=ref, name=name, report=None
                )
            return _Reply()
        if self._recorded(cltrid, registrar, "update_domain") is not None:
            return _Reply()
        row = self._domain_row(name)
        changes: dict[str, Any] = {}
        contacts: dict[str, str | None] = {}
        add, rem, chg = (obj.find(q(DOMAIN, tag)) for tag in ("add", "rem", "chg"))
        if (add is not None and add.find(q(DOMAIN, "ns")) is not None) or (
            rem is not None and rem.find(q(DOMAIN, "ns")) is not None
        ):
            removed = set(_hosts(rem))
            hosts = [h for h in row["nameservers"] if h not in removed]
            changes["nameservers"] = hosts + [h for h in _hosts(add) if h not in hosts]
        for element, adding in ((rem, False), (add, True)):
            if element is None:
                continue
            for contact in element.findall(q(DOMAIN, "contact")):
                role = contact.get("type") or "admin"
                contacts[role] = (contact.text or "").strip() if adding else None
            locks = [s.get("s") or "" for s in element.findall(q(DOMAIN, "status"))]
            bad = [lock for lock in locks if lock not in CLIENT_LOCKS]
            if bad:
                raise EppError(2306, f"statuses {bad} may not be set by a client")
            if locks:
                changes["add_locks" if adding else "remove_locks"] = locks
        if chg is not None:
            registrant = chg.find(q(DOMAIN, "registrant"))
            if registrant is not None:
                contacts["registrant"] = (registrant.text or "").strip() or None
            auth = text(chg.find(q(DOMAIN, "authInfo")), DOMAIN, "pw")
            if auth is not None:
                changes["auth_info"] = auth
        if contacts:
            changes["contacts"] = contacts
        self.sandbox.update_domain(registrar=registrar, client_ref=ref, name=name, changes=changes)
        return _Reply()

    # contacts and hosts

    def _contact_create(self, obj: Element, registrar: str, ref: str, cltrid: str | None) -> _Reply:
        handle = text(obj, CONTACT, "id") or ""
        recorded = self._recorded(cltrid, registrar, "create_contact")
        if recorded is not None:
            created = datetime.fromisoformat(recorded["created_date"])
        else:
            postal = obj.find(q(CONTACT, "postalInfo"))
            addr = None if postal is None else postal.find(q(CONTACT, "addr"))
            contact = {
                "handle": handle,
                "name": text(postal, CONTACT, "name"),
                "organization": text(postal, CONTACT, "org"),
                "email": text(obj, CONTACT, "email"),
                "phone": text(obj, CONTACT, "voice"),
                "fax": text(obj, CONTACT, "fax"),
                "address": {
                    "street": []
                    if addr is None
                    else [(s.text or "") for s in addr.findall(q(CONTACT, "street"))],
                    "city": text(addr, CONTACT, "city"),
                    "state_province": text(addr, CONTACT, "sp"),
                    "postal_code": text(addr, CONTACT, "pc"),
                    "country_code": text(addr, CONTACT, "cc"),
                },
                "auth_info": text(obj.find(q(CONTACT, "authInfo")), CONTACT, "pw"),
            }
            created = self.sandbox.create_contact(
                registrar=registrar, client_ref=ref, contact=contact
            ).created_date

        def build(response: Element) -> None:
            data = _res_data(response, CONTACT, "contact", "creData")
            sub(data, CONTACT, "id", handle)
            sub(data, CONTACT, "crDate", _ts(created))

        return _Reply(build=build)

    def _contact_info(self, obj: Element, registrar: str) -> _Reply:
        handle = text(obj, CONTACT, "id") or ""
        row = self._one("contact", registrar=registrar, handle=handle)
        if row is None:
            raise EppError(2303, f"contact {handle} does not exist")
        fields: dict[str, Any] = row["fields"] or {}
        address: dict[str, Any] = fields.get("address") or {}

        def build(response: Element) -> None:
            data = _res_data(response, CONTACT, "contact", "infData")
            sub(data, CONTACT, "id", row["handle"])
            sub(data, CONTACT, "roid", row["roid"])
            sub(data, CONTACT, "status", s="ok")
            postal = sub(data, CONTACT, "postalInfo", type="int")
            sub(postal, CONTACT, "name", str(fields.get("name") or row["handle"]))
            if fields.get("organization"):
                sub(postal, CONTACT, "org", str(fields["organization"]))
            addr = sub(postal, CONTACT, "addr")
            for line in (address.get("street") or [])[:3]:
                sub(addr, CONTACT, "street", str(line))
            sub(addr, CONTACT, "city", str(address.get("city") or fields.get("city") or "-"))
            cc = str(address.get("country_code") or fields.get("country_code") or "")
            sub(addr, CONTACT, "cc", cc if len(cc) == 2 else "XX")
            sub(data, CONTACT, "email", str(fields.get("email") or "-"))
            sub(data, CONTACT, "clID", row["registrar"])
            sub(data, CONTACT, "crID", row["registrar"])
            sub(data, CONTACT, "crDate", _ts(row["created_date"]))

        return _Reply(build=build)

    def _host_create(self, obj: Element, registrar: str, ref: str, cltrid: str | None) -> _Reply:
        name = (text(obj, HOST, "name") or "").lower()
        recorded = self._recorded(cltrid, registrar, "create_host")
        if recorded is not None:
            created = datetime.fromisoformat(recorded["created_date"])
        else:
            addresses = [(a.text or "").strip() for a in obj.findall(q(HOST, "addr"))]
            created = self.sandbox.create_host(
                registrar=registrar, client_ref=ref, name=name, addresses=addresses
            ).created_date

        def build(response: Element) -> None:
            data = _res_data(response, HOST, "host", "creData")
            sub(data, HOST, "name", name)
            sub(data, HOST, "crDate", _ts(created))

        return _Reply(build=build)

    def _host_info(self, obj: Element) -> _Reply:
        name = (text(obj, HOST, "name") or "").lower()
        row = self._one("host", name=name)
        if row is None:
            raise EppError(2303, f"host {name} does not exist")

        def build(response: Element) -> None:
            data = _res_data(response, HOST, "host", "infData")
            sub(data, HOST, "name", row["name"])
            sub(data, HOST, "roid", row["roid"])
            sub(data, HOST, "status", s="ok")
            for address in row["addresses"]:
                sub(data, HOST, "addr", address, ip="v6" if ":" in address else "v4")
            sub(data, HOST, "clID", row["registrar"])
            sub(data, HOST, "crID", row["registrar"])
            sub(data, HOST, "crDate", _ts(row["created_date"]))

        return _Reply(build=build)

    def _optional(self, method: str, obj: Element, registrar: str, ref: str) -> _Reply:
        """Host/contact update and delete: served when the sandbox has them."""
        act = getattr(self.sandbox, method, None)
        if act is None:
            raise EppError(2101, f"the sandbox has no {method}")
        namespace = HOST if method.endswith("host") else CONTACT
        if namespace == HOST:
            name = (text(obj, HOST, "name") or "").lower()
            if method == "delete_host":
                act(registrar=registrar, client_ref=ref, name=name)
            else:
                row = self._one("host", name=name)
                have = [] if row is None else list(row["addresses"])
                removed = {
                    (a.text or "").strip()
                    for a in obj.iterfind(f"{q(HOST, 'rem')}/{q(HOST, 'addr')}")
                }
                added = [
                    (a.text or "").strip()
                    for a in obj.iterfind(f"{q(HOST, 'add')}/{q(HOST, 'addr')}")
                ]
                addresses = [a for a in have if a not in removed] + added
                act(registrar=registrar, client_ref=ref, name=name, addresses=addresses)
        else:
            handle = text(obj, CONTACT, "id") or ""
            if method == "delete_contact":
                act(registrar=registrar, client_ref=ref, handle=handle)
            else:
                chg = obj.find(q(CONTACT, "chg"))
                postal = None if chg is None else chg.find(q(CONTACT, "postalInfo"))
                contact = {
                    key: value
                    for key, value in {
                        "name": text(postal, CONTACT, "name"),
                        "email": text(chg, CONTACT, "email"),
                        "phone": text(chg, CONTACT, "voice"),
                        "fax": text(chg, CONTACT, "fax"),
                    }.items()
                    if value is not None
                }
                act(registrar=registrar, client_ref=ref, handle=handle, contact=contact)
        return _Reply()


def _clid(value: str) -> str:
    """A registrar as an EPP client id (RFC 5730 clIDType, 3..16 characters)."""
    return value if 3 <= len(value) <= 16 else "unknown"


def _message_number(message_id: str) -> int:
    try:
        return int(message_id)
    except ValueError:
        raise EppError(2303, f"message {message_id[:40]} is not in your queue") from None


def _trn_data(  # noqa: PLR0917 - the fields of RFC 5731's trnData
    name: str,
    status: str,
    gaining: str,
    requested: datetime,
    losing: str,
    action: datetime,
    expiry: datetime | None = None,
) -> Callable[[Element], None]:
    """What builds a ``<resData><domain:trnData>`` into a response."""

    def build(response: Element) -> None:
        data = _res_data(response, DOMAIN, "domain", "trnData")
        sub(data, DOMAIN, "name", name)
        sub(data, DOMAIN, "trStatus", status)
        sub(data, DOMAIN, "reID", _clid(gaining))
        sub(data, DOMAIN, "reDate", _ts(requested))
        sub(data, DOMAIN, "acID", _clid(losing))
        sub(data, DOMAIN, "acDate", _ts(action))
        if expiry is not None:
            sub(data, DOMAIN, "exDate", _ts(expiry))

    return build


def _utc_session(conn: psycopg.Connection[DictRow]) -> None:
    conn.execute(query("sandbox", "session_setup"))


def _years(period: Element | None, default: int) -> int:
    if period is None or not (period.text or "").strip():
        return default
    value = int((period.text or "").strip())
    return value if period.get("unit", "y") == "y" else max(1, value // 12)


def _hosts(parent: Element | None) -> list[str]:
    if parent is None:
        return []
    return [(h.text or "").strip().lower() for h in parent.iter(q(DOMAIN, "hostObj"))]


def _parse_dt(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _domain_from(result: Mapping[str, Any]) -> DomainInfo:
    """The DomainInfo a recorded ``to_result()`` came from (the fields the answers use)."""
    created = _parse_dt(result.get("created_date"))
    expiry = _parse_dt(result.get("expiry_date"))
    if created is None or expiry is None:
        raise TransientBackendError("the recorded result has no dates")
    return DomainInfo(
        name=str(result.get("name")),
        roid=str(result.get("roid")),
        created_date=created,
        expiry_date=expiry,
    )


def _domain_from_row(row: Mapping[str, Any]) -> DomainInfo:
    return DomainInfo(
        name=row["name"],
        roid=row["roid"],
        created_date=row["created_date"],
        expiry_date=row["expiry_date"],
    )


# --- command line -------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=7000, help="TCP port (0: any free one)")
    parser.add_argument(
        "--users-file",
        type=Path,
        required=True,
        help='JSON {"<client_id>": "<password>"}: who may log in (the client id is the '
        "sandbox registrar)",
    )
    parser.add_argument("--cert-file", help="server certificate (PEM); default: self-signed")
    parser.add_argument("--key-file", help="its key (PEM)")
    parser.add_argument(
        "--write-ca", type=Path, help="write the (self-signed) certificate here, for clients"
    )
    parser.add_argument(
        "--faults-file",
        type=Path,
        help="JSON of faults (drop_after, fail_next, delay_seconds, delay_commands, "
        "transfer_pending, replay_by_trid); re-read whenever it changes",
    )
    parser.add_argument(
        "--validate", action="store_true", help="check every frame against the RFC schemas"
    )
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=600.0,
        help="close a session idle this long (clients keep theirs with <hello>)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from provisioning.settings import load_settings  # noqa: PLC0415

    settings = load_settings()
    sandbox = SandboxBackend.from_settings(settings)
    url = settings.sandbox_database_url
    database_url = url.get_secret_value() if url is not None else settings.admin_url()
    users = json.loads(args.users_file.read_text())
    front = EppFront(
        sandbox,
        database_url,
        users,
        host=args.host,
        port=args.port,
        cert_file=args.cert_file,
        key_file=args.key_file,
        validate=args.validate,
        idle_timeout=args.idle_seconds,
    )
    front.faults_file = args.faults_file
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    front.start()
    if args.write_ca is not None:
        args.write_ca.write_text(front.certificate_pem)
    print(f"epp front on {front.host}:{front.port}", flush=True)
    try:
        done.wait()
    finally:
        front.stop()
        sandbox.close()
    return 0


def main() -> int:
    logging.basicConfig(level=logging.INFO)
    parser = argparse.ArgumentParser(prog="python -m executors.epp.server", description=__doc__)
    add_arguments(parser)
    args = parser.parse_args()
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["EppFront", "Faults", "add_arguments", "run", "self_signed"]
