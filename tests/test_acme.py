"""The ACME backend against Pebble (Let's Encrypt's test CA) and pebble-challtestsrv,
and the per-accreditation routing (PROVISIONING_BACKENDS) with real backends.

Pebble runs for the session (tests/conftest.py, the ``acme`` marker); it validates
the challenges the backend publishes through challtestsrv's management API, over
real DNS and HTTP on loopback.
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import signal
import socket
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from acme import messages
from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store
from hypothesis import given
from hypothesis import strategies as st

from executors.backends import backend_from_settings
from executors.backends.acme import (
    POLICY_PROBLEMS,
    TRANSIENT_PROBLEMS,
    AcmeBackend,
    AcmeTransientError,
    problem_error,
    split_chain,
)
from executors.backends.base import BackendError, PolicyError, TransientBackendError
from executors.backends.ca import CertificateAuthority
from executors.backends.routing import RoutingBackend
from executors.backends.sandbox import SandboxBackend
from producers.orders import Item, Plan, domain_item, order_status, place_order
from provisioning.errors import ConfigError
from provisioning.localstack import LocalStack, free_port
from provisioning.pebble import Pebble, running_pebble
from provisioning.settings import AcmeAccount, Settings, load_settings
from tests.conftest import TopicFactory, unique_name
from tests.db.helpers import ALICE, Conn, fetch_one, insert_provision, scalar
from tests.services import Services
from tests.test_executor import _executor, run_until_idle, status_of, wait_for
from tests.test_pipeline import Components, start_pipeline, wait_final

pytestmark = [pytest.mark.acme, pytest.mark.postgres]


def _account(pebble: Pebble, **changes: object) -> dict[str, object]:
    account: dict[str, object] = {
        "directory_url": pebble.directory_url,
        "ca_bundle": pebble.ca_bundle,
        "challenge_url": pebble.challtestsrv_url,
        "prefer": "http-01",
    }
    account.update(changes)
    return account


def _verify(pebble: Pebble, leaf_pem: str, chain_pem: str, name: str) -> None:
    """Raise unless ``leaf_pem`` + ``chain_pem`` verify for ``name`` up to Pebble's root."""
    root = x509.load_pem_x509_certificate(pebble.root_pem().encode())
    leaf = x509.load_pem_x509_certificate(leaf_pem.encode())
    intermediates = x509.load_pem_x509_certificates(chain_pem.encode())
    verifier = PolicyBuilder().store(Store([root])).build_server_verifier(x509.DNSName(name))
    path = verifier.verify(leaf, intermediates)
    assert path[-1] == root


def _domain() -> str:
    return f"acme-{uuid.uuid4().hex[:10]}.com"


# --- the backend alone -----------------------------------------------------------------


@pytest.fixture
def acme_backend(provisioning_db: str, pebble: Pebble) -> Iterator[AcmeBackend]:
    accounts = {"alpha-ssl": AcmeAccount.model_validate(_account(pebble))}
    with AcmeBackend(provisioning_db, accounts, poll_seconds=0.05) as backend:
        yield backend


def test_a_retried_job_resumes_its_acme_order_and_never_places_a_second(
    provisioning_db: str, pebble: Pebble, db: Conn
) -> None:
    name = _domain()
    request: dict[str, Any] = {
        "registrar": "alpha-ssl",
        "client_ref": str(uuid.uuid4()),
        "common_name": name,
        "sans": [f"*.{name}"],
        "csr_pem": None,
        "key_type": "rsa2048",
        "validity_days": 90,
    }
    # First attempt: newOrder is answered, then the challenge hook is down.
    down = _account(pebble, challenge_url=f"http://127.0.0.1:{free_port()}")
    with AcmeBackend(provisioning_db, {"alpha-ssl": AcmeAccount.model_validate(down)}) as first:
        with pytest.raises(TransientBackendError, match="challenge hook"):
            first.issue_certificate(**request)
        order_url = first.order_url(str(request["client_ref"]))
        assert order_url is not None
        before = first.order_document("alpha-ssl", str(request["client_ref"]))
        assert before is not None
        assert before["status"] == "pending"

    # The retry (another process, the hook back) resumes that order.
    up = AcmeAccount.model_validate(_account(pebble))
    with AcmeBackend(provisioning_db, {"alpha-ssl": up}, poll_seconds=0.05) as second:
        info = second.issue_certificate(**request)
        assert second.order_url(str(request["client_ref"])) == order_url
        after = second.order_document("alpha-ssl", str(request["client_ref"]))
        assert after is not None
        assert after["status"] == "valid"
        # Pebble issued this order's certificate: the one the job returned.
        served = second.download("alpha-ssl", after["certificate"])
        assert served.startswith(info.certificate_pem.strip())
        # A third call with the same client_ref returns the recorded certificate.
        assert second.issue_certificate(**request) == info
        with pytest.raises(PolicyError, match="already used for another request"):
            second.issue_certificate(**{**request, "sans": []})
    assert info.key_type == "rsa2048"
    assert info.serial == info.serial.lower()
    _verify(pebble, info.certificate_pem, info.chain_pem, f"www.{name}")
    rows = db.execute(
        "SELECT count(*), count(DISTINCT order_url) FROM acme.certificate_order"
        " WHERE client_ref = %s",
        (request["client_ref"],),
    ).fetchone()
    assert rows == (1, 1)
    # The account was registered once, its URL kept.
    account = fetch_one(db, "SELECT * FROM acme.account WHERE registrar = 'alpha-ssl'")
    assert account["account_url"].startswith("https://127.0.0.1:")


def test_a_certificate_from_the_requests_csr_keeps_its_key(acme_backend: AcmeBackend) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415

    from executors.backends.acme import make_csr  # noqa: PLC0415

    name = _domain()
    key = ec.generate_private_key(ec.SECP384R1())
    info = acme_backend.issue_certificate(
        registrar="alpha-ssl",
        client_ref=str(uuid.uuid4()),
        common_name=name,
        sans=[],
        csr_pem=make_csr(key, [name]),
        key_type=None,
        validity_days=30,
    )
    leaf = x509.load_pem_x509_certificate(info.certificate_pem.encode())
    assert leaf.public_key() == key.public_key()
    assert info.key_type == "ecdsa-p384"
    with pytest.raises(PolicyError, match="a CA issues only what both name"):
        acme_backend.issue_certificate(
            registrar="alpha-ssl",
            client_ref=str(uuid.uuid4()),
            common_name=name,
            sans=[f"www.{name}"],
            csr_pem=make_csr(key, [name]),
            key_type=None,
            validity_days=30,
        )
    with pytest.raises(BackendError, match="no ACME account is configured for accreditation"):
        acme_backend.issue_certificate(
            registrar="beta-ssl",
            client_ref=str(uuid.uuid4()),
            common_name=name,
            sans=[],
            csr_pem=None,
            key_type=None,
            validity_days=30,
        )


def test_an_account_needing_external_binding_registers_with_its_key_id_and_mac(
    provisioning_db: str,
) -> None:
    mac = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    with running_pebble(eab_keys={"kid-1": mac}) as strict:
        name = _domain()
        call: dict[str, Any] = {
            "common_name": name,
            "sans": [],
            "csr_pem": None,
            "key_type": None,
            "validity_days": 30,
        }
        bound = _account(strict, eab_kid="kid-1", eab_hmac_key=mac)
        unbound = _account(strict)
        accounts = {
            "bound-ssl": AcmeAccount.model_validate(bound),
            "unbound-ssl": AcmeAccount.model_validate(unbound),
        }
        with AcmeBackend(provisioning_db, accounts, poll_seconds=0.05) as backend:
            info = backend.issue_certificate(
                registrar="bound-ssl", client_ref=str(uuid.uuid4()), **call
            )
            _verify(strict, info.certificate_pem, info.chain_pem, name)
            with pytest.raises(BackendError, match="externalAccountRequired"):
                backend.issue_certificate(
                    registrar="unbound-ssl", client_ref=str(uuid.uuid4()), **call
                )


@given(
    code=st.sampled_from(
        sorted(TRANSIENT_PROBLEMS | POLICY_PROBLEMS | {"unauthorized", "caa", "incorrectResponse"})
    ),
    detail=st.text(max_size=200),
)
def test_an_acme_problem_becomes_the_error_its_type_says_with_type_and_detail(
    code: str, detail: str
) -> None:
    problem = messages.Error.from_json(
        {"type": f"urn:ietf:params:acme:error:{code}", "detail": detail}
    )
    error = problem_error(problem)
    assert f"urn:ietf:params:acme:error:{code}" in str(error)
    assert detail in str(error)
    if code in TRANSIENT_PROBLEMS:
        assert isinstance(error, AcmeTransientError)
        assert error.retryable
    elif code in POLICY_PROBLEMS:
        assert isinstance(error, PolicyError)
        assert not error.retryable
    else:
        assert type(error) is BackendError
        assert not error.retryable


_CAS = [CertificateAuthority.create() for _ in range(3)]


@given(
    count=st.integers(min_value=1, max_value=3),
    separator=st.sampled_from(["", "\n", "\r\n", "\n\n", "  \n"]),
)
def test_a_downloaded_chain_splits_into_its_leaf_and_the_rest_in_order(
    count: int, separator: str
) -> None:
    pems = [ca.certificate_pem for ca in _CAS[:count]]
    if "\r\n" in separator:  # a chain served with CRLF line ends
        pems = [pem.replace("\n", "\r\n") for pem in pems]
    leaf, leaf_pem, rest = split_chain(separator.join(pems) + separator)
    assert leaf == _CAS[0].certificate
    assert leaf_pem == _CAS[0].certificate_pem
    chained = x509.load_pem_x509_certificates(rest.encode()) if rest else []
    assert chained == [ca.certificate for ca in _CAS[1:count]]
    with pytest.raises(BackendError, match="holds no PEM certificate"):
        split_chain(separator + "<html>not a certificate</html>")


@given(seconds=st.integers(min_value=0, max_value=10**6))
def test_a_retry_after_in_seconds_or_as_a_date_is_read_as_seconds_to_wait(seconds: int) -> None:
    response = requests.Response()
    response.status_code = 503
    response.headers["Retry-After"] = str(seconds)
    problem = messages.Error.from_json({"type": "urn:ietf:params:acme:error:serverInternal"})
    error = problem_error(problem, response)
    assert isinstance(error, AcmeTransientError)
    assert error.retry_after == seconds
    when = datetime.now(UTC) + timedelta(seconds=seconds)
    response.headers["Retry-After"] = format_datetime(when, usegmt=True)
    dated = problem_error(problem, response)
    assert isinstance(dated, AcmeTransientError)
    assert dated.retry_after is not None
    assert seconds - 2 <= dated.retry_after <= seconds + 1
    # a 5xx with any problem type is transient
    other = messages.Error.from_json({"type": "urn:ietf:params:acme:error:unauthorized"})
    assert isinstance(problem_error(other, response), AcmeTransientError)


def test_backends_and_acme_accounts_are_read_from_the_environment_as_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PROVISIONING_BACKENDS", '{"alpha-ssl": {"ca": "acme"}}')
    monkeypatch.setenv(
        "PROVISIONING_ACME_ACCOUNTS",
        '{"alpha-ssl": {"directory_url": "https://ca.example/dir", "webroot": "/srv/www",'
        ' "challenge_hook": "webroot", "eab_kid": "k", "eab_hmac_key": "c2VjcmV0"}}',
    )
    settings = load_settings()
    assert settings.backends["alpha-ssl"].ca == "acme"
    assert settings.backends["alpha-ssl"].registry == "sandbox"
    account = settings.acme_accounts["alpha-ssl"]
    assert account.eab_hmac_key is not None
    assert account.eab_hmac_key.get_secret_value() == "c2VjcmV0"
    shown = {name: value for name, value, _ in settings.describe()}
    assert "c2VjcmV0" not in shown["PROVISIONING_ACME_ACCOUNTS"]
    monkeypatch.setenv("PROVISIONING_ACME_ACCOUNTS", '{"x": {"directory_url": "https://a/d"}}')
    with pytest.raises(ConfigError, match="PROVISIONING_ACME_ACCOUNTS"):
        load_settings()


# --- routing per accreditation ------------------------------------------------------------


def test_each_accreditation_gets_its_own_ca_and_registry_calls_go_to_the_sandbox(
    provisioning_db: str, pebble: Pebble
) -> None:
    settings = Settings(
        database_url=provisioning_db,
        backends={"acme-ssl": {"ca": "acme"}},
        # DNS-01 for the name and its wildcard: two TXT values at one record name
        acme_accounts={"acme-ssl": _account(pebble, prefer="dns-01")},
        acme_poll_seconds=0.05,
    )
    backend = backend_from_settings(settings)
    assert isinstance(backend, RoutingBackend)
    try:
        name = _domain()
        both: dict[str, Any] = {
            "common_name": name,
            "sans": [f"*.{name}"],
            "csr_pem": None,
            "key_type": None,
        }
        on_sandbox = backend.issue_certificate(
            registrar="alpha-ssl", client_ref=str(uuid.uuid4()), validity_days=30, **both
        )
        on_acme = backend.issue_certificate(
            registrar="acme-ssl", client_ref=str(uuid.uuid4()), validity_days=30, **both
        )
        sandbox = backend.registry_for("acme-ssl")
        assert isinstance(sandbox, SandboxBackend)
        assert backend.ca_for("alpha-ssl") is sandbox  # one sandbox serves both halves
        assert on_sandbox.chain_pem == sandbox.ca_certificate_pem
        _verify(pebble, on_acme.certificate_pem, on_acme.chain_pem, name)
        _verify(pebble, on_acme.certificate_pem, on_acme.chain_pem, f"www.{name}")
        # The registry half of every accreditation is the sandbox; availability is "*"'s.
        backend.create_domain(
            registrar="acme-ssl",
            client_ref=str(uuid.uuid4()),
            name=name,
            period=1,
            auth_info="Auth-1234!",
            contacts={},
            nameservers=[],
        )
        assert backend.check_availability([name]) == {name: False}
    finally:
        backend.close()

    # Unset: everything on the sandbox, as before PROVISIONING_BACKENDS existed.
    plain = backend_from_settings(Settings(database_url=provisioning_db))
    try:
        assert isinstance(plain, SandboxBackend)
    finally:
        plain.close()
    with pytest.raises(ConfigError, match="PROVISIONING_BACKENDS: 'x': ca 'letsencrypt'"):
        backend_from_settings(
            Settings(
                database_url=provisioning_db,
                backends={"x": {"ca": "letsencrypt"}},
            )
        )


# --- the whole pipeline --------------------------------------------------------------------


@pytest.fixture
def acme_pipeline(
    services: Services, provisioning_db: str, make_topic: TopicFactory, pebble: Pebble
) -> Iterator[Components]:
    """Every component running; alpha-registry on the sandbox, alpha-ssl on Pebble."""
    settings = Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,  # pydantic coerces to SecretStr
        topic_orders=make_topic(partitions=2, prefix="orders"),
        topic_actions=make_topic(partitions=2, prefix="actions"),
        topic_outcomes=make_topic(partitions=2, prefix="outcomes"),
        group_ingest=unique_name("ingest"),
        group_order_service=unique_name("orders"),
        executor_poll_seconds=0.2,
        executor_backoff_seconds=0.1,
        kafka_session_timeout_ms=6000,
        backends={"alpha-ssl": {"ca": "acme"}},
        acme_accounts={"alpha-ssl": _account(pebble)},
        acme_poll_seconds=0.05,
    )
    backend = backend_from_settings(settings)
    components = start_pipeline(settings, backend)
    yield components
    components.stop_all()
    backend.close()


def _register(db: Conn, name: str) -> None:
    order = place_order(
        db, tenant_customer_id=ALICE, accreditation="alpha-registry", items=[domain_item(name)]
    )
    assert wait_final(db, [order.order_id]) == {str(order.order_id): "successful"}


def _order_certificate(db: Conn, common_name: str, sans: list[str]) -> uuid.UUID:
    item = Item(
        "ssl",
        "create",
        common_name,
        [Plan("provision_ssl", {"common_name": common_name, "sans": sans})],
    )
    order = place_order(db, tenant_customer_id=ALICE, accreditation="alpha-ssl", items=[item])
    return order.order_id


@pytest.mark.kafka
@pytest.mark.slow
def test_an_ssl_order_through_the_pipeline_ends_with_a_chain_pebbles_root_verifies(
    db: Conn, acme_pipeline: Components, pebble: Pebble
) -> None:
    name = _domain()
    _register(db, name)
    order_id = _order_certificate(db, f"www.{name}", [name, f"*.{name}"])
    assert wait_final(db, [order_id]) == {str(order_id): "successful"}
    certificate = fetch_one(
        db,
        "SELECT c.* FROM certificate c JOIN provision_ssl p ON p.certificate_id = c.id"
        " WHERE p.common_name = %(cn)s",
        {"cn": f"www.{name}"},
    )
    for host in (f"www.{name}", name, f"api.{name}"):  # the wildcard covers api.
        _verify(pebble, certificate["pem"], certificate["chain_pem"], host)
    leaf = x509.load_pem_x509_certificate(certificate["pem"].encode())
    assert certificate["serial"] == format(leaf.serial_number, "x")
    assert certificate["not_after"] == leaf.not_valid_after_utc
    # one ACME order for the job, in the backend's state
    orders = db.execute(
        "SELECT count(*) FROM acme.certificate_order WHERE request->'names' ? %s",
        (f"www.{name}",),
    ).fetchone()
    assert orders == (1,)


@pytest.mark.kafka
@pytest.mark.slow
def test_a_failed_challenge_ends_as_a_failed_order_with_the_acme_problem(
    db: Conn, acme_pipeline: Components, pebble: Pebble
) -> None:
    name = _domain()
    _register(db, name)
    # The name points where no HTTP-01 server listens: Pebble cannot fetch the response.
    pebble.challtestsrv("/add-a", {"host": f"{name}.", "addresses": ["127.0.0.2"]})
    order_id = _order_certificate(db, name, [])
    assert wait_final(db, [order_id]) == {str(order_id): "failed"}
    (plan,) = order_status(db, order_id)["plans"]
    assert plan["status"] == "failed"
    assert "urn:ietf:params:acme:error:" in plan["result_message"]
    assert f"http-01 challenge for {name}" in plan["result_message"]
    job = fetch_one(
        db,
        "SELECT j.attempts FROM job j JOIN provision_ssl p ON p.job_id = j.id"
        " WHERE p.common_name = %(cn)s",
        {"cn": name},
    )
    assert job["attempts"] == 1  # final at once: a failed challenge is not retried


# --- an executor killed mid-order ---------------------------------------------------------


@pytest.mark.slow
def test_an_executor_killed_after_new_order_leaves_one_order_that_the_next_executor_finishes(
    db: Conn,
    provisioning_db: str,
    pebble: Pebble,
    processes: list[subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    """The first executor places the order, then hangs on a challenge hook that never
    answers and is killed -9; the job's lease runs out and a second executor (its hook
    working) resumes the same ACME order to a certificate."""
    name = _domain()
    domain = insert_provision(db, "provision_domain", name=name)
    with SandboxBackend(provisioning_db) as sandbox:
        run_until_idle(provisioning_db, sandbox)
    assert status_of(db, "provision_domain", domain["id"])[0] == "completed"
    ssl = insert_provision(db, "provision_ssl", common_name=name, sans=[f"www.{name}"])
    client_ref = str(ssl["id"])
    AcmeBackend(provisioning_db, {}).close()  # schema acme installed, to be watched

    silent = socket.create_server(("127.0.0.1", 0))  # accepts connections, never answers
    try:
        hanging = _account(pebble, challenge_url=f"http://127.0.0.1:{silent.getsockname()[1]}")
        env = {
            "PROVISIONING_EXECUTOR_LEASE_SECONDS": "2",
            "PROVISIONING_BACKENDS": json.dumps({"alpha-ssl": {"ca": "acme"}}),
            "PROVISIONING_ACME_POLL_SECONDS": "0.05",
        }
        first = _executor(
            provisioning_db,
            tmp_path / "first.log",
            PROVISIONING_ACME_ACCOUNTS=json.dumps({"alpha-ssl": hanging}),
            **env,
        )
        processes.append(first)
        wait_for(
            db,
            "SELECT count(*) FROM acme.certificate_order"
            " WHERE client_ref = %(ref)s AND order_url IS NOT NULL",
            1,
            timeout=30,
            ref=client_ref,
        )
        order_url = scalar(
            db,
            "SELECT order_url FROM acme.certificate_order WHERE client_ref = %(r)s",
            {"r": client_ref},
        )
        first.send_signal(signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
    finally:
        silent.close()

    second = _executor(
        provisioning_db,
        tmp_path / "second.log",
        PROVISIONING_ACME_ACCOUNTS=json.dumps({"alpha-ssl": _account(pebble)}),
        **env,
    )
    processes.append(second)
    wait_for(
        db,
        "SELECT s.is_final FROM provision_ssl p JOIN provision_status s ON s.id = p.status_id"
        " WHERE p.id = %(id)s",
        True,
        timeout=30,
        id=ssl["id"],
    )
    assert status_of(db, "provision_ssl", ssl["id"]) == ("completed", None)
    job = fetch_one(db, "SELECT attempts FROM job WHERE id = %(id)s", {"id": ssl["job_id"]})
    assert job["attempts"] == 2
    row = fetch_one(
        db, "SELECT * FROM acme.certificate_order WHERE client_ref = %(r)s", {"r": client_ref}
    )
    assert row["order_url"] == order_url  # the same order, resumed
    certificate = fetch_one(
        db,
        "SELECT c.* FROM certificate c JOIN provision_ssl p ON p.certificate_id = c.id"
        " WHERE p.id = %(id)s",
        {"id": ssl["id"]},
    )
    assert certificate["serial"] == row["result"]["serial"]
    _verify(pebble, certificate["pem"], certificate["chain_pem"], f"www.{name}")


# --- the local stack's Pebble ------------------------------------------------------------


def test_the_stacks_pebble_runs_in_the_background_and_points_alpha_ssl_at_itself(
    tmp_path: Path,
) -> None:
    """``stack up --with-acme``'s part: Pebble left running with pid files, idempotent, its
    settings in ``stack env`` (shell-quoted JSON), stopped by ``down``."""
    stack = LocalStack(tmp_path / "stack", with_acme=True, acme_port=free_port(6))
    daemon = stack.acme
    try:
        daemon.start()
        pid = daemon.pid()
        assert pid is not None
        daemon.start()  # idempotent
        assert daemon.pid() == pid
        pebble = daemon.pebble()
        assert pebble.root_pem().startswith("-----BEGIN CERTIFICATE-----")
        assert stack.status()["pebble"] == f"running: {pebble.directory_url}"
        env = stack.env()
        line = f"export PROVISIONING_ACME_ACCOUNTS={shlex.quote(env['PROVISIONING_ACME_ACCOUNTS'])}"
        assert (
            shlex.split(line)[1]
            == f"PROVISIONING_ACME_ACCOUNTS={env['PROVISIONING_ACME_ACCOUNTS']}"
        )
        settings = Settings(
            backends=json.loads(env["PROVISIONING_BACKENDS"]),
            acme_accounts=json.loads(env["PROVISIONING_ACME_ACCOUNTS"]),
        )
        assert settings.backends["alpha-ssl"].ca == "acme"
        assert settings.acme_accounts["alpha-ssl"].directory_url == pebble.directory_url
        assert stack.down() == ["pebble"]
        assert daemon.pid() is None
        assert daemon.pid("pebble-challtestsrv") is None
    finally:
        daemon.stop()


def test_an_account_the_ca_forgot_is_registered_again(
    provisioning_db: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A restarted test CA (the local stack's Pebble after `stack down`/`up`) knows no
    account: the backend registers its key again instead of failing every job."""
    daemon = LocalStack(tmp_path / "stack", acme_port=free_port(6)).acme
    try:
        daemon.start()
        account = AcmeAccount.model_validate(_account(daemon.pebble()))
        call: dict[str, Any] = {"sans": [], "csr_pem": None, "key_type": None, "validity_days": 9}
        with AcmeBackend(provisioning_db, {"alpha-ssl": account}, poll_seconds=0.05) as backend:
            backend.issue_certificate(
                registrar="alpha-ssl", client_ref="first", common_name=_domain(), **call
            )
            daemon.stop()
            daemon.start()  # same ports, no state
            name = _domain()
            info = backend.issue_certificate(
                registrar="alpha-ssl", client_ref="second", common_name=name, **call
            )
            _verify(daemon.pebble(), info.certificate_pem, info.chain_pem, name)
        assert "the account of alpha-ssl is gone; registering again" in caplog.text
    finally:
        daemon.stop()
