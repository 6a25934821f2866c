"""The ACME backend (RFC 8555): certificates from a real ACME CA, with certbot's ``acme``.

It serves ``issue_certificate`` only (the routing backend, ``routing.py``, sends
the registry half of a job elsewhere). Per accreditation (``registrar``) it keeps
one account, configured in ``PROVISIONING_ACME_ACCOUNTS``: its key comes from
``account_key_file`` or is generated once and kept in schema ``acme``; the
account is registered once with newAccount (external account binding when
``eab_kid``/``eab_hmac_key`` are set) and its URL kept.

One certificate: newOrder for the common name + sans → for each pending
authorization a DNS-01 (wildcards, or when preferred) or HTTP-01 challenge,
published through the account's challenge hook (``acme_hooks.py``), answered
and polled → finalize with the CSR (the request's, or one made from a key of
``key_type`` generated here and kept with the order) → poll → download the
chain. ``CertificateInfo`` comes from the leaf.

Idempotency by ``client_ref``: the first call records the CSR (and key) and,
as soon as newOrder answers, the order's URL in ``acme.certificate_order``; a
retried call (a lost lease, a crash, a transient failure) holds the same
advisory lock, finds the URL and resumes that order wherever it stands; a
finished one returns the recorded result. The one window left: a crash between
the CA creating the order and the URL being stored (one statement) leaves an
orphan order at the CA, which expires unused.

Problems become backend errors: ``badNonce`` (after the library's own retry),
``rateLimited``, ``serverInternal``, HTTP 5xx, timeouts and connection errors
are transient (a ``Retry-After`` up to ``PROVISIONING_ACME_MAX_RETRY_AFTER_SECONDS``
is waited out here, a longer one is left to the worker's backoff);
``rejectedIdentifier``, ``badCSR`` and the like are :class:`PolicyError`;
``unauthorized``, ``caa``, ``incorrectResponse``, a failed challenge and any
other problem are a final :class:`BackendError`. The message carries the
problem's type and detail.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import psycopg
import requests
from acme import challenges, errors, messages
from acme.client import ClientNetwork, ClientV2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from josepy.jwa import ES256, ES384, RS256, JWASignature
from josepy.jwk import JWK, JWKEC, JWKRSA
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

from executors.backends.acme_hooks import ChallengeHook, hook_for
from executors.backends.base import (
    BackendError,
    CertificateInfo,
    PolicyError,
    TransientBackendError,
)
from executors.backends.ca import (
    certificate_pem,
    generate_key,
    key_type_of,
    load_csr,
    normalize_key_type,
    private_key_pem,
)
from provisioning.settings import AcmeAccount, Settings
from provisioning.sqlfiles import db_dir, query

log = logging.getLogger(__name__)

MAX_VALIDITY_DAYS = 398
USER_AGENT = "provisioning-acme"

# orderNotReady: a finalize that raced the last authorization; the retry resumes the order.
TRANSIENT_PROBLEMS = frozenset({"badNonce", "rateLimited", "serverInternal", "orderNotReady"})
POLICY_PROBLEMS = frozenset(
    {
        "rejectedIdentifier",
        "badCSR",
        "unsupportedIdentifier",
        "invalidContact",
        "unsupportedContact",
        "badSignatureAlgorithm",
        "malformed",
    }
)

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOST_NAME = re.compile(rf"^{_LABEL}(\.{_LABEL})+$")
_PEM_CERTIFICATE = re.compile(
    r"-----BEGIN CERTIFICATE-----\s.+?-----END CERTIFICATE-----", re.DOTALL
)


def _q(name: str) -> str:
    return query("acme", name)


class AcmeTransientError(TransientBackendError):
    """A transient ACME failure; ``retry_after``: seconds the server asked to wait, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AccountGone(BackendError):
    """The CA does not know the account any more (``accountDoesNotExist``: deactivated, or a
    test CA restarted): the backend registers it again, once per call."""


def _retry_after(response: requests.Response | None) -> float | None:
    value = None if response is None else response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    with suppress(TypeError, ValueError):
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    return None


def describe_problem(problem: messages.Error) -> str:
    """``<type>: <detail>``, with the identifier and the subproblems, for a message."""
    text = f"{problem.typ}: {problem.detail or problem.title or problem.description or ''}"
    if problem.identifier is not None:
        text = f"{text} ({problem.identifier.value})"
    for sub in problem.subproblems or ():
        text += f"; {describe_problem(sub)}"
    return text


def problem_error(
    problem: messages.Error, response: requests.Response | None = None, *, what: str = ""
) -> BackendError:
    """The backend error of an ACME problem document (``response``: the HTTP answer, if any)."""
    prefix = f"acme: {what}: " if what else "acme: "
    text = prefix + describe_problem(problem)
    code = problem.code or str(problem.typ).rsplit(":", 1)[-1]
    status = None if response is None else response.status_code
    if code == "accountDoesNotExist":
        return AccountGone(text)
    if code in TRANSIENT_PROBLEMS or (status is not None and status >= 500):
        return AcmeTransientError(text, retry_after=_retry_after(response))
    if code in POLICY_PROBLEMS:
        return PolicyError(text)
    return BackendError(text)


class _Network(ClientNetwork):
    """ClientNetwork that remembers each thread's last HTTP response (status, Retry-After)."""

    _local = threading.local()

    @property
    def last_response(self) -> requests.Response | None:
        response: requests.Response | None = getattr(self._local, "response", None)
        return response

    def _send_request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        self._local.response = None
        response = super()._send_request(method, url, *args, **kwargs)
        self._local.response = response
        return response


@dataclass
class _Account:
    """One accreditation's client: its account key, registered account and hook."""

    config: AcmeAccount
    client: ClientV2
    net: _Network
    key: JWK
    hook: ChallengeHook
    lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, url: str, obj: Any = None) -> requests.Response:
        """A signed POST (``obj`` None: POST-as-GET)."""
        return self.net.post(url, obj, new_nonce_url=self.client.directory["newNonce"])


def _jwk_and_alg(key: Any) -> tuple[JWK, JWASignature]:
    if isinstance(key, rsa.RSAPrivateKey):
        return JWKRSA(key=key), RS256
    if isinstance(key, ec.EllipticCurvePrivateKey):
        algs = {"secp256r1": ES256, "secp384r1": ES384}
        if key.curve.name in algs:
            return JWKEC(key=key), algs[key.curve.name]
    raise BackendError("acme: an account key must be RSA or EC P-256/P-384")


def _names(common_name: str, sans: Sequence[str]) -> list[str]:
    """Common name first, then the other sans, lower-cased, no trailing dot, no repeats."""
    out: list[str] = []
    for raw in [common_name, *sans]:
        name = raw.strip().lower().removesuffix(".")
        if not name.isascii():
            raise PolicyError(f"acme: {raw!r}: give internationalized names as A-labels")
        if len(name) > 253 or not _HOST_NAME.match(name.removeprefix("*.")):
            raise PolicyError(f"acme: {raw!r} is not a host name")
        if name not in out:
            out.append(name)
    return out


def _csr_names(csr_pem: str) -> set[str]:
    """The DNS names of a (valid) PEM CSR: its SANs and its CN, lower-cased."""
    csr = x509.load_pem_x509_csr(csr_pem.strip().encode())
    names = {str(a.value).lower() for a in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)}
    with suppress(x509.ExtensionNotFound):
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        names |= {n.lower() for n in san.value.get_values_for_type(x509.DNSName)}
    return names


def make_csr(key: Any, names: Sequence[str]) -> str:
    """A PEM CSR for ``names`` (CN = the first, when it fits) signed by ``key``."""
    subject = [x509.NameAttribute(NameOID.COMMON_NAME, names[0])] if len(names[0]) <= 64 else []
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name(subject))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def split_chain(fullchain_pem: str) -> tuple[x509.Certificate, str, str]:
    """(leaf, leaf PEM, the rest of the chain as PEM) of a downloaded chain."""
    blocks = _PEM_CERTIFICATE.findall(fullchain_pem)
    if not blocks:
        raise BackendError("acme: the downloaded certificate holds no PEM certificate")
    leaf = x509.load_pem_x509_certificate(blocks[0].encode())
    return leaf, certificate_pem(leaf), "".join(b.strip() + "\n" for b in blocks[1:])


def certificate_info(fullchain_pem: str) -> CertificateInfo:
    leaf, leaf_pem, chain = split_chain(fullchain_pem)
    public_key = leaf.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        raise BackendError(f"acme: the leaf holds a {type(public_key).__name__}")
    return CertificateInfo(
        serial=format(leaf.serial_number, "x"),
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        certificate_pem=leaf_pem,
        chain_pem=chain,
        key_type=key_type_of(public_key),
    )


class AcmeBackend:
    """Certificates from ACME CAs, one account per accreditation; state in schema ``acme``.

    Thread-safe: calls for different ``client_ref`` run at once (one pool connection
    each, holding that client_ref's advisory lock for the call).
    """

    name = "acme"

    def __init__(
        self,
        database_url: str,
        accounts: Mapping[str, AcmeAccount],
        *,
        timeout_seconds: float = 30.0,
        order_timeout_seconds: float = 90.0,
        poll_seconds: float = 1.0,
        max_retry_after_seconds: float = 30.0,
        max_connections: int = 8,
    ) -> None:
        self.configs = dict(accounts)
        self.timeout_seconds = timeout_seconds
        self.order_timeout_seconds = order_timeout_seconds
        self.poll_seconds = poll_seconds
        self.max_retry_after_seconds = max_retry_after_seconds
        self._accounts: dict[str, _Account] = {}
        self._accounts_lock = threading.Lock()
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            database_url,
            min_size=1,
            max_size=max(1, max_connections) + 1,  # + 1: registering an account
            kwargs={"autocommit": True, "row_factory": dict_row},
            name="acme",
            open=True,
        )
        try:
            self.install()
        except BaseException:
            self._pool.close()
            raise

    @classmethod
    def from_settings(cls, settings: Settings) -> AcmeBackend:
        """The backend ``PROVISIONING_ACME_*`` describe; its state in ACME_DATABASE_URL or
        the provisioning database as its owner (it creates schema ``acme``)."""
        url = settings.acme_database_url
        return cls(
            url.get_secret_value() if url is not None else settings.admin_url(),
            settings.acme_accounts,
            timeout_seconds=settings.acme_timeout_seconds,
            order_timeout_seconds=settings.acme_order_timeout_seconds,
            poll_seconds=settings.acme_poll_seconds,
            max_retry_after_seconds=settings.acme_max_retry_after_seconds,
            max_connections=settings.executor_concurrency,
        )

    def close(self) -> None:
        self._pool.close()

    def __enter__(self) -> AcmeBackend:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- state ------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[DictRow]]:
        try:
            with self._pool.connection() as conn:
                yield conn
        except PoolTimeout as exc:
            raise TransientBackendError(f"acme: no database connection: {exc}") from exc
        except psycopg.OperationalError as exc:
            raise TransientBackendError(f"acme: database unavailable: {exc}") from exc
        except psycopg.Error as exc:
            raise BackendError(f"acme: database error: {exc}") from exc

    def install(self) -> None:
        """Apply ``db/acme/schema.sql`` (idempotent; a role without DDL rights uses what its
        owner installed)."""
        schema = (db_dir() / "acme" / "schema.sql").read_text()
        with self._connection() as conn, conn.transaction():
            conn.execute(_q("install_lock"))
            try:
                with conn.transaction():
                    conn.execute(schema)
            except psycopg.errors.InsufficientPrivilege:
                row = conn.execute(_q("installed")).fetchone()
                if row is None or not row["installed"]:
                    raise
                log.warning("acme: may not apply schema.sql; using the installed schema")

    def order_url(self, client_ref: str) -> str | None:
        """The ACME order placed for ``client_ref``, if any."""
        with self._connection() as conn:
            row = conn.execute(_q("get_order"), {"client_ref": client_ref}).fetchone()
        return None if row is None else row["order_url"]

    def order_document(self, registrar: str, client_ref: str) -> dict[str, Any] | None:
        """The CA's current view of ``client_ref``'s order (its JSON), fetched with the
        accreditation's account; None when no order was placed."""
        url = self.order_url(client_ref)
        if url is None:
            return None
        account = self._account(registrar)
        with self._protocol("order", account):
            document: dict[str, Any] = account.post(url).json()
        return document

    def download(self, registrar: str, url: str) -> str:
        """A certificate chain (PEM) the CA serves at ``url``."""
        account = self._account(registrar)
        with self._protocol("certificate", account):
            return account.post(url).text

    # --- accounts -----------------------------------------------------------------

    def _account(self, registrar: str) -> _Account:
        with self._accounts_lock:
            account = self._accounts.get(registrar)
            if account is None:
                config = self.configs.get(registrar)
                if config is None:
                    raise BackendError(
                        f"acme: no ACME account is configured for accreditation {registrar!r}"
                        " (PROVISIONING_ACME_ACCOUNTS)"
                    )
                account = self._open_account(registrar, config)
                self._accounts[registrar] = account
            return account

    def _register_again(self, registrar: str) -> _Account:
        config = self.configs[registrar]
        with self._accounts_lock:
            self._accounts.pop(registrar, None)
        with self._connection() as conn:
            conn.execute(
                _q("forget_account_url"),
                {"registrar": registrar, "directory_url": config.directory_url},
            )
        return self._account(registrar)

    def _account_key(self, registrar: str, config: AcmeAccount) -> tuple[Any, str | None]:
        """(private key, stored account URL); a generated key is stored once."""
        if config.account_key_file:
            try:
                pem = Path(config.account_key_file).read_bytes()
                return serialization.load_pem_private_key(pem, password=None), None
            except (OSError, ValueError, TypeError) as exc:
                # the path is configuration, the key's content never reaches a message
                raise BackendError(
                    f"acme: account_key_file of {registrar!r} is unreadable or not a PEM "
                    f"private key ({type(exc).__name__})"
                ) from None
        params = {"registrar": registrar, "directory_url": config.directory_url}
        with self._connection() as conn:
            row = conn.execute(_q("get_account"), params).fetchone()
            if row is None:
                fresh = private_key_pem(ec.generate_private_key(ec.SECP256R1()))
                conn.execute(_q("insert_account"), {**params, "key_pem": fresh})
                row = conn.execute(_q("get_account"), params).fetchone()
        if row is None or row["key_pem"] is None:
            raise BackendError(f"acme: the account key of {registrar!r} was not stored")
        key = serialization.load_pem_private_key(row["key_pem"].encode(), password=None)
        return key, row["account_url"]

    def _open_account(self, registrar: str, config: AcmeAccount) -> _Account:
        key, account_url = self._account_key(registrar, config)
        jwk, alg = _jwk_and_alg(key)
        net = _Network(jwk, alg=alg, user_agent=USER_AGENT, timeout=int(self.timeout_seconds))
        if config.ca_bundle:
            net.verify_ssl = config.ca_bundle  # type: ignore[assignment]  # requests' verify=
        with self._protocol("directory"):
            directory = ClientV2.get_directory(config.directory_url, net)
        client = ClientV2(directory, net)
        if account_url is None:
            eab = None
            if config.eab_kid and config.eab_hmac_key:
                eab = messages.ExternalAccountBinding.from_data(
                    account_public_key=jwk.public_key(),
                    kid=config.eab_kid,
                    hmac_key=config.eab_hmac_key.get_secret_value(),
                    directory=directory,
                )
            registration = messages.NewRegistration.from_data(
                email=config.email,
                terms_of_service_agreed=True,
                external_account_binding=eab,
            )
            try:
                with self._protocol("newAccount"):
                    account_url = client.new_account(registration).uri
            except errors.ConflictError as exists:  # this key's account exists already
                account_url = exists.location
            if not config.account_key_file:
                with self._connection() as conn:
                    conn.execute(
                        _q("set_account_url"),
                        {
                            "registrar": registrar,
                            "directory_url": config.directory_url,
                            "account_url": account_url,
                        },
                    )
            log.info("acme: account of %s: %s", registrar, account_url)
        net.account = messages.RegistrationResource(body=messages.Registration(), uri=account_url)
        return _Account(config, client, net, jwk, hook_for(config))

    # --- errors ---------------------------------------------------------------------

    @contextmanager
    def _protocol(self, what: str, account: _Account | None = None) -> Iterator[None]:
        """Library and network failures of one exchange → backend errors."""
        net = account.net if account is not None else None
        try:
            yield
        except BackendError:
            raise
        except messages.Error as problem:
            raise problem_error(
                problem, net.last_response if net is not None else None, what=what
            ) from None
        except errors.ConflictError:
            raise
        except errors.ClientError as exc:
            response = exc.args[0] if exc.args else None
            if isinstance(response, tuple):
                response = response[0]
            status = getattr(response, "status_code", None)
            text = f"acme: {what}: HTTP {status}" if status else f"acme: {what}: {exc}"
            if status is None or status >= 500:
                retry = _retry_after(response if isinstance(response, requests.Response) else None)
                raise AcmeTransientError(text, retry_after=retry) from None
            raise BackendError(text) from None
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise AcmeTransientError(f"acme: {what}: {type(exc).__name__}: {exc}") from None
        except requests.RequestException as exc:
            raise AcmeTransientError(f"acme: {what}: {exc}") from None
        except errors.Error as exc:
            raise AcmeTransientError(f"acme: {what}: {type(exc).__name__}: {exc}") from None

    # --- certificates -----------------------------------------------------------------

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
        names = _names(common_name, sans)
        if not 1 <= validity_days <= MAX_VALIDITY_DAYS:
            raise PolicyError(f"acme: validity_days {validity_days} is outside 1..398")
        account = self._account(registrar)  # before the order's lock: it may need a connection
        config = account.config
        request = {
            "names": names,
            "csr_pem": csr_pem or None,
            "key_type": key_type,
            "validity_days": validity_days,
        }
        with self._order_lock(client_ref) as conn:
            row = conn.execute(_q("get_order"), {"client_ref": client_ref}).fetchone()
            if row is not None and (row["request"], row["registrar"]) != (request, registrar):
                raise PolicyError(
                    f"acme: client_ref {client_ref} was already used for another request"
                )
            if row is not None and row["result"] is not None:
                return _info_from_result(row["result"])
            if row is None:
                row = self._new_order_row(conn, registrar, client_ref, config, request)
            deadline = time.monotonic() + self.order_timeout_seconds
            registered_again = False
            for attempt in range(4):
                try:
                    fullchain = self._advance(account, conn, row, deadline)
                    break
                except AccountGone:
                    if registered_again:
                        raise
                    registered_again = True
                    # the CA forgot the account, and with it the order: a new account,
                    # a new order for this client_ref
                    log.warning("acme: the account of %s is gone; registering again", registrar)
                    account = self._register_again(registrar)
                    conn.execute(_q("forget_order_url"), {"client_ref": client_ref})
                    row = conn.execute(_q("get_order"), {"client_ref": client_ref}).fetchone()
                    assert row is not None
                except AcmeTransientError as exc:
                    wait = exc.retry_after
                    if (
                        attempt == 3
                        or wait is None
                        or wait > self.max_retry_after_seconds
                        or time.monotonic() + wait > deadline
                    ):
                        raise
                    log.info("acme: %s; retrying after %.1f s", exc, wait)
                    time.sleep(wait)
                    row = conn.execute(_q("get_order"), {"client_ref": client_ref}).fetchone()
                    assert row is not None
            info = certificate_info(fullchain)
            conn.execute(
                _q("set_result"), {"client_ref": client_ref, "result": Jsonb(info.to_result())}
            )
            return info

    @contextmanager
    def _order_lock(self, client_ref: str) -> Iterator[psycopg.Connection[DictRow]]:
        with self._connection() as conn:
            conn.execute(_q("order_lock"), {"client_ref": client_ref})
            try:
                yield conn
            finally:
                with suppress(psycopg.Error):
                    conn.execute(_q("order_unlock"), {"client_ref": client_ref})

    def _new_order_row(
        self,
        conn: psycopg.Connection[DictRow],
        registrar: str,
        client_ref: str,
        config: AcmeAccount,
        request: Mapping[str, Any],
    ) -> DictRow:
        """Record the request and its CSR (made from a generated key if none was given)."""
        names: list[str] = request["names"]
        key_pem = None
        csr_pem: str | None = request["csr_pem"]
        if csr_pem and csr_pem.strip():
            load_csr(csr_pem)  # PolicyError for a bad one, before any order exists
            named = _csr_names(csr_pem)
            if named != set(names):
                raise PolicyError(
                    f"acme: the CSR names {', '.join(sorted(named)) or 'nothing'}, the request "
                    f"{', '.join(names)}: a CA issues only what both name"
                )
        else:
            key = generate_key(normalize_key_type(request["key_type"]))
            key_pem = private_key_pem(key)
            csr_pem = make_csr(key, names)
        conn.execute(
            _q("insert_order"),
            {
                "client_ref": client_ref,
                "registrar": registrar,
                "directory_url": config.directory_url,
                "request": Jsonb(dict(request)),
                "csr_pem": csr_pem,
                "key_pem": key_pem,
            },
        )
        row = conn.execute(_q("get_order"), {"client_ref": client_ref}).fetchone()
        if row is None:
            raise BackendError(f"acme: the order of {client_ref} was not stored")
        return row

    def _advance(
        self,
        account: _Account,
        conn: psycopg.Connection[DictRow],
        row: DictRow,
        deadline: float,
    ) -> str:
        """Take the row's order (placing it first if there is none) to a downloaded chain."""
        order_url: str | None = row["order_url"]
        names: list[str] = row["request"]["names"]
        if order_url is None:
            identifiers = [
                messages.Identifier(typ=messages.IDENTIFIER_FQDN, value=n) for n in names
            ]
            new_order = messages.NewOrder(
                identifiers=identifiers, profile=account.config.profile or ""
            )
            with self._protocol("newOrder", account):
                response = account.post(account.client.directory["newOrder"], new_order)
            order_url = response.headers.get("Location")
            if not order_url:
                raise BackendError("acme: newOrder answered without the order's Location")
            conn.execute(
                _q("set_order_url"), {"client_ref": row["client_ref"], "order_url": order_url}
            )
            log.info("acme: order %s for %s", order_url, ", ".join(names))
            body = messages.Order.from_json(response.json())
        else:
            body = self._get_order(account, order_url)
        answered = False
        while True:
            if body.status == messages.STATUS_VALID and body.certificate:
                with self._protocol("certificate", account):
                    return account.post(body.certificate).text
            if body.status == messages.STATUS_INVALID:
                raise self._order_failure(account, body)
            if body.status == messages.STATUS_PENDING:
                if answered:  # every authorization was valid, the order not yet ready
                    self._sleep(deadline, order_url)
                self._authorize(account, list(body.authorizations), deadline)
                answered = True
            elif body.status == messages.STATUS_READY:
                csr = x509.load_pem_x509_csr(row["csr_pem"].encode())
                with self._protocol("finalize", account):
                    response = account.post(body.finalize, messages.CertificateRequest(csr=csr))
                body = messages.Order.from_json(response.json())
                continue
            else:  # processing, or valid without the certificate's URL yet
                self._sleep(deadline, order_url)
            body = self._get_order(account, order_url)

    def _get_order(self, account: _Account, url: str) -> messages.Order:
        with self._protocol("order", account):
            order: messages.Order = messages.Order.from_json(account.post(url).json())
        return order

    def _get_authorization(self, account: _Account, url: str) -> messages.Authorization:
        with self._protocol("authorization", account):
            authz: messages.Authorization = messages.Authorization.from_json(
                account.post(url).json()
            )
        return authz

    def _sleep(self, deadline: float, what: str) -> None:
        if time.monotonic() + self.poll_seconds > deadline:
            raise AcmeTransientError(
                f"acme: {what} not done within {self.order_timeout_seconds:.0f} s "
                "(a retry resumes it)"
            )
        time.sleep(self.poll_seconds)

    def _pick(self, account: _Account, authz: messages.Authorization) -> messages.ChallengeBody:
        offered = {c.chall.typ: c for c in authz.challenges}
        if authz.wildcard:
            wanted = ["dns-01"]
        elif account.config.prefer == "dns-01":
            wanted = ["dns-01", "http-01"]
        else:
            wanted = ["http-01", "dns-01"]
        for typ in wanted:
            if typ in offered and typ in account.hook.kinds:
                return offered[typ]
        raise PolicyError(
            f"acme: no challenge for {authz.identifier.value} the {account.config.challenge_hook}"
            f" hook can answer (offered: {', '.join(sorted(offered))})"
        )

    def _authorize(self, account: _Account, urls: list[str], deadline: float) -> None:
        """Publish and answer a challenge of each pending authorization; poll them all;
        withdraw what was published."""
        published: list[tuple[str, str]] = []  # (challenge type, name or token)
        try:
            waiting = [url for url in urls if self._answer(account, url, published)]
            for url in waiting:
                while True:
                    authz = self._get_authorization(account, url)
                    if authz.status == messages.STATUS_VALID:
                        break
                    if authz.status not in (messages.STATUS_PENDING, messages.STATUS_PROCESSING):
                        raise self._authorization_failure(authz)
                    self._sleep(deadline, f"authorization {url}")
        finally:
            self._withdraw(account, published)

    def _answer(self, account: _Account, url: str, published: list[tuple[str, str]]) -> bool:
        """Answer the authorization at ``url`` unless it is valid (False) or answered."""
        authz = self._get_authorization(account, url)
        if authz.status == messages.STATUS_VALID:
            return False
        if authz.status != messages.STATUS_PENDING:
            raise self._authorization_failure(authz)
        challb = self._pick(account, authz)
        if challb.status != messages.STATUS_PENDING:  # answered by an earlier attempt
            return True
        response, validation = challb.response_and_validation(account.key)
        if isinstance(challb.chall, challenges.DNS01):
            name = str(authz.identifier.value)
            account.hook.publish_dns01(name, validation)
            published.append(("dns-01", name))
        else:
            token = challb.chall.encode("token")
            account.hook.publish_http01(token, validation)
            published.append(("http-01", token))
        with self._protocol("challenge", account):
            account.post(challb.uri, response)
        return True

    @staticmethod
    def _withdraw(account: _Account, published: list[tuple[str, str]]) -> None:
        for kind, key in published:
            try:
                if kind == "dns-01":
                    account.hook.withdraw_dns01(key)
                else:
                    account.hook.withdraw_http01(key)
            except BackendError as exc:
                log.warning("acme: could not withdraw a %s challenge: %s", kind, exc)

    @staticmethod
    def _authorization_failure(authz: messages.Authorization) -> BackendError:
        name = authz.identifier.value
        for challb in authz.challenges:
            if challb.error is not None:
                return problem_error(challb.error, what=f"{challb.chall.typ} challenge for {name}")
        return BackendError(f"acme: the authorization for {name} is {authz.status}")

    def _order_failure(self, account: _Account, body: messages.Order) -> BackendError:
        for url in body.authorizations:
            authz = self._get_authorization(account, url)
            if authz.status != messages.STATUS_VALID:
                return self._authorization_failure(authz)
        if body.error is not None:
            return problem_error(body.error, what="order")
        return BackendError("acme: the order is invalid (the CA gave no reason)")


def _info_from_result(result: Mapping[str, Any]) -> CertificateInfo:
    return CertificateInfo(
        serial=result["serial"],
        not_before=datetime.fromisoformat(result["not_before"]),
        not_after=datetime.fromisoformat(result["not_after"]),
        certificate_pem=result["certificate_pem"],
        chain_pem=result["chain_pem"],
        key_type=result["key_type"],
    )


__all__ = [
    "AccountGone",
    "AcmeBackend",
    "AcmeTransientError",
    "certificate_info",
    "describe_problem",
    "make_csr",
    "problem_error",
    "split_chain",
]
