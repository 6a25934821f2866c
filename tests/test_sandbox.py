"""The sandbox backend against a real PostgreSQL: registry rules, idempotency, the CA."""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from executors.backends.base import (
    Backend,
    DomainInfo,
    NotAuthorized,
    ObjectExists,
    ObjectNotFound,
    PolicyError,
    StatusProhibits,
    TransientBackendError,
)
from executors.backends.ca import CA_COMMON_NAME
from executors.backends.sandbox import SandboxBackend
from provisioning.settings import Settings
from tests.conftest import DatabaseFactory

pytestmark = [pytest.mark.postgres]

US = "alpha-registry"
THEM = "beta-registry"
NOW = datetime.now(UTC)


def ref() -> str:
    return str(uuid.uuid4())


def scalar(url: str, sql: str, params: dict[str, Any] | None = None) -> Any:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(sql, params or {}).fetchone()
    assert row is not None
    return row[0]


def execute(url: str, sql: str, params: dict[str, Any] | None = None) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql, params or {})


def count(url: str, table: str) -> int:
    return int(scalar(url, f"SELECT count(*) FROM sandbox.{table}"))  # noqa: S608 - fixed names


@pytest.fixture
def url(make_database: DatabaseFactory) -> str:
    return make_database()


@pytest.fixture
def sandbox(url: str) -> Iterator[SandboxBackend]:
    with SandboxBackend(url) as backend:
        yield backend


def create(
    sandbox: SandboxBackend,
    name: str,
    *,
    registrar: str = US,
    client_ref: str | None = None,
    period: int = 1,
) -> DomainInfo:
    return sandbox.create_domain(
        registrar=registrar,
        client_ref=client_ref or ref(),
        name=name,
        period=period,
        auth_info="S3cret!pw",
        contacts={"registrant": "owner-1", "admin": None, "tech": "tech-1", "billing": None},
        nameservers=["NS1.example.net", "ns2.example.net."],
    )


def years_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / (365.25 * 86400)


# --- installation and the CA ------------------------------------------------


def test_a_sandbox_is_a_backend_and_installs_idempotently(url: str) -> None:
    with ThreadPoolExecutor(4) as pool:  # four backends start at once on an empty database
        backends = list(pool.map(lambda _: SandboxBackend(url), range(4)))
    try:
        uses: Backend = backends[0]
        assert uses.name == "sandbox"
        assert len({b.ca_certificate_pem for b in backends}) == 1
        assert count(url, "ca") == 1
        assert count(url, "tld") == 5
    finally:
        for backend in backends:
            backend.close()
    with SandboxBackend(url) as again:
        assert again.ca_certificate_pem == backends[0].ca_certificate_pem


def test_from_settings_reads_the_sandbox_settings(url: str, make_database: DatabaseFactory) -> None:
    settings = Settings(database_url=url, sandbox_latency_ms=5, sandbox_failure_rate=0.25)
    with SandboxBackend.from_settings(settings) as backend:
        assert (backend.latency_ms, backend.failure_rate) == (5, 0.25)
        assert count(url, "ca") == 1
    other = make_database()
    with SandboxBackend.from_settings(Settings(database_url=url, sandbox_database_url=other)):
        assert count(other, "ca") == 1


# --- availability and create --------------------------------------------------


def test_create_registers_a_free_name(sandbox: SandboxBackend, url: str) -> None:
    assert sandbox.check_availability(["new.com", "NEW.org", "x.unknown"]) == {
        "new.com": True,
        "NEW.org": True,
        "x.unknown": False,
    }
    info = create(sandbox, "New.com", period=2)
    assert info.name == "new.com"
    assert info.roid.startswith("D")
    assert info.roid.endswith("-SANDBOX")
    assert abs((info.created_date - datetime.now(UTC)).total_seconds()) < 60
    assert 1.99 < years_between(info.created_date, info.expiry_date) < 2.01
    assert info.nameservers == ["ns1.example.net", "ns2.example.net"]
    assert (info.registrant, info.admin_contact, info.tech_contact) == ("owner-1", None, "tech-1")
    assert info.statuses == ["ok"]
    assert sandbox.check_availability(["new.com"]) == {"new.com": False}
    assert scalar(url, "SELECT registrar FROM sandbox.domain WHERE name = 'new.com'") == US


def test_create_refuses_a_taken_name_a_bad_period_and_an_unknown_tld(
    sandbox: SandboxBackend,
) -> None:
    create(sandbox, "taken.com", registrar=THEM)
    for registrar in (US, THEM):
        with pytest.raises(ObjectExists) as exists:
            create(sandbox, "taken.com", registrar=registrar)
        assert (exists.value.code, exists.value.retryable) == (2302, False)
    for period in (0, 11):
        with pytest.raises(PolicyError, match=r"outside 1\.\.10"):
            create(sandbox, f"p{period}.com", period=period)
    with pytest.raises(PolicyError, match=r"\.xyz"):
        create(sandbox, "nowhere.xyz")
    with pytest.raises(PolicyError, match="not a host name"):
        create(sandbox, "-bad-.com")


# --- idempotency ----------------------------------------------------------------


def test_the_same_client_ref_returns_the_first_result_and_acts_once(
    sandbox: SandboxBackend, url: str
) -> None:
    key = ref()
    first = create(sandbox, "once.com", client_ref=key)
    assert create(sandbox, "once.com", client_ref=key) == first
    assert count(url, "domain") == 1

    renew = ref()
    renewed = sandbox.renew_domain(
        registrar=US, client_ref=renew, name="once.com", period=2, current_expiry_date=None
    )
    again = sandbox.renew_domain(
        registrar=US, client_ref=renew, name="once.com", period=2, current_expiry_date=None
    )
    assert again == renewed
    assert 2.99 < years_between(first.created_date, renewed.expiry_date) < 3.01
    expiry = scalar(url, "SELECT expiry_date FROM sandbox.domain WHERE name = 'once.com'")
    assert expiry == renewed.expiry_date  # moved once
    assert count(url, "transaction") == 2

    with pytest.raises(PolicyError, match="already used"):  # one key, another request
        create(sandbox, "other.com", client_ref=key)


def test_concurrent_duplicates_act_once(url: str) -> None:
    key = ref()
    barrier = threading.Barrier(8)
    with SandboxBackend(url, max_connections=8) as sandbox:

        def attempt(_: int) -> DomainInfo:
            barrier.wait()
            return create(sandbox, "race.com", client_ref=key)

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(attempt, range(8)))
    assert all(result == results[0] for result in results)
    assert count(url, "domain") == 1
    assert count(url, "transaction") == 1


# --- renew ------------------------------------------------------------------------


def test_renew_checks_sponsor_expiry_date_status_and_the_ten_year_limit(
    sandbox: SandboxBackend,
) -> None:
    info = create(sandbox, "renew.com")
    create(sandbox, "theirs.com", registrar=THEM)

    def renew(name: str, period: int = 1, current: Any = None) -> DomainInfo:
        return sandbox.renew_domain(
            registrar=US, client_ref=ref(), name=name, period=period, current_expiry_date=current
        )

    with pytest.raises(PolicyError, match="expires on"):
        renew("renew.com", current=info.expiry_date.date() - timedelta(days=1))
    renewed = renew("renew.com", 3, current=info.expiry_date.date())
    assert 3.99 < years_between(info.created_date, renewed.expiry_date) < 4.01
    assert renewed.updated_date is not None
    with pytest.raises(PolicyError, match="beyond 10 years"):
        renew("renew.com", 7)
    with pytest.raises(PolicyError, match=r"outside 1\.\.10"):
        renew("renew.com", 0)
    with pytest.raises(NotAuthorized) as foreign:
        renew("theirs.com")
    assert foreign.value.code == 2201
    with pytest.raises(ObjectNotFound) as absent:
        renew("absent.com")
    assert absent.value.code == 2303

    sandbox.update_domain(
        registrar=US,
        client_ref=ref(),
        name="renew.com",
        changes={"add_locks": ["clientRenewProhibited"]},
    )
    with pytest.raises(StatusProhibits, match="clientRenewProhibited"):
        renew("renew.com")
    sandbox.delete_domain(registrar=US, client_ref=ref(), name="renew.com")
    with pytest.raises(StatusProhibits, match="redemption") as status:
        renew("renew.com")
    assert status.value.code == 2304


# --- transfer ---------------------------------------------------------------------


def test_transfer_in_needs_the_right_auth_code(sandbox: SandboxBackend, url: str) -> None:
    expiry = NOW + timedelta(days=200)
    seeded = sandbox.seed_foreign_domain("incoming.com", THEM, "Tr4nsfer!Code", expiry)
    assert seeded.roid.endswith("-SANDBOX")

    with pytest.raises(NotAuthorized, match="wrong auth code"):
        sandbox.transfer_domain(
            registrar=US, client_ref=ref(), name="incoming.com", auth_info="guess", period=1
        )
    assert scalar(url, "SELECT registrar FROM sandbox.domain WHERE name = 'incoming.com'") == THEM

    moved = sandbox.transfer_domain(
        registrar=US, client_ref=ref(), name="incoming.com", auth_info="Tr4nsfer!Code", period=1
    )
    assert moved.roid == seeded.roid
    assert moved.transfer_date is not None
    assert abs((moved.expiry_date - (expiry + timedelta(days=365))).total_seconds()) < 2 * 86400
    assert scalar(url, "SELECT registrar FROM sandbox.domain WHERE name = 'incoming.com'") == US
    assert scalar(url, "SELECT auth_info FROM sandbox.domain WHERE name = 'incoming.com'") != (
        "Tr4nsfer!Code"
    )

    with pytest.raises(StatusProhibits, match="already sponsored by you"):
        sandbox.transfer_domain(
            registrar=US, client_ref=ref(), name="incoming.com", auth_info="x", period=1
        )
    with pytest.raises(NotAuthorized):  # the old code went with the transfer
        sandbox.transfer_domain(
            registrar=THEM,
            client_ref=ref(),
            name="incoming.com",
            auth_info="Tr4nsfer!Code",
            period=1,
        )
    with pytest.raises(ObjectNotFound):
        sandbox.transfer_domain(
            registrar=US, client_ref=ref(), name="absent.com", auth_info="x", period=1
        )
    with pytest.raises(ObjectExists):
        sandbox.seed_foreign_domain("incoming.com", THEM, "x", expiry)


def test_transfer_periods_follow_the_tld(sandbox: SandboxBackend) -> None:
    expiry = NOW + timedelta(days=100)
    sandbox.seed_foreign_domain("zero.dev", THEM, "code", expiry)
    sandbox.seed_foreign_domain("zero.com", THEM, "code", expiry)
    sandbox.seed_foreign_domain("locked.com", THEM, "code", expiry)
    with pytest.raises(PolicyError, match=r"outside 0\.\.0"):
        sandbox.transfer_domain(
            registrar=US, client_ref=ref(), name="zero.dev", auth_info="code", period=1
        )
    moved = sandbox.transfer_domain(
        registrar=US, client_ref=ref(), name="zero.dev", auth_info="code", period=0
    )
    assert abs((moved.expiry_date - expiry).total_seconds()) < 1
    with pytest.raises(PolicyError, match=r"outside 1\.\.10"):
        sandbox.transfer_domain(
            registrar=US, client_ref=ref(), name="zero.com", auth_info="code", period=0
        )
    sandbox.update_domain(
        registrar=THEM,
        client_ref=ref(),
        name="locked.com",
        changes={"add_locks": ["clientTransferProhibited"]},
    )
    with pytest.raises(StatusProhibits, match="clientTransferProhibited"):
        sandbox.transfer_domain(
            registrar=US, client_ref=ref(), name="locked.com", auth_info="code", period=1
        )


# --- delete and restore -----------------------------------------------------------


def test_delete_puts_a_domain_in_redemption_and_restore_brings_it_back(
    sandbox: SandboxBackend,
) -> None:
    info = create(sandbox, "gone.com")
    with pytest.raises(NotAuthorized):
        sandbox.delete_domain(registrar=THEM, client_ref=ref(), name="gone.com")
    deleted = sandbox.delete_domain(registrar=US, client_ref=ref(), name="gone.com")
    assert not deleted.purged
    assert deleted.redemption_end_date is not None
    days = (deleted.redemption_end_date - datetime.now(UTC)).total_seconds() / 86400
    assert 29.9 < days <= 30
    assert deleted.to_result()["purged"] is False
    assert sandbox.check_availability(["gone.com"]) == {"gone.com": False}
    with pytest.raises(StatusProhibits):
        sandbox.delete_domain(registrar=US, client_ref=ref(), name="gone.com")

    restored = sandbox.restore_domain(
        registrar=US, client_ref=ref(), name="gone.com", report={"reason": "mistake"}
    )
    assert restored.statuses == ["ok"]
    assert restored.expiry_date == info.expiry_date
    with pytest.raises(StatusProhibits, match="status ok"):
        sandbox.restore_domain(registrar=US, client_ref=ref(), name="gone.com", report=None)


def test_after_redemption_a_domain_is_purged(sandbox: SandboxBackend, url: str) -> None:
    create(sandbox, "late.com")
    sandbox.delete_domain(registrar=US, client_ref=ref(), name="late.com")
    execute(url, "UPDATE sandbox.domain SET redemption_end = now() - interval '1 second'")
    with pytest.raises(StatusProhibits, match="redemption period"):
        sandbox.restore_domain(registrar=US, client_ref=ref(), name="late.com", report=None)
    assert sandbox.check_availability(["late.com"]) == {"late.com": True}
    again = create(sandbox, "late.com", registrar=THEM)
    assert scalar(url, "SELECT count(*) FROM sandbox.domain WHERE status = 'deleted'") == 1
    assert again.roid != ""


def test_a_net_delete_is_final(sandbox: SandboxBackend) -> None:
    create(sandbox, "final.net")
    deleted = sandbox.delete_domain(registrar=US, client_ref=ref(), name="final.net")
    assert (deleted.purged, deleted.redemption_end_date) == (True, None)
    assert sandbox.check_availability(["final.net"]) == {"final.net": True}
    with pytest.raises(ObjectNotFound):
        sandbox.restore_domain(registrar=US, client_ref=ref(), name="final.net", report=None)
    create(sandbox, "final.net", registrar=THEM)


# --- update -----------------------------------------------------------------------


def test_update_changes_nameservers_contacts_auth_and_locks(sandbox: SandboxBackend) -> None:
    create(sandbox, "upd.com")

    def update(**changes: Any) -> DomainInfo:
        return sandbox.update_domain(
            registrar=US, client_ref=ref(), name="upd.com", changes=changes
        )

    info = update(
        nameservers=["ns9.example.org"],
        contacts={"admin": "admin-2", "tech": None},
        auth_info="N3w!code",
        add_locks=["clientUpdateProhibited", "clientDeleteProhibited"],
    )
    assert info.nameservers == ["ns9.example.org"]
    assert (info.registrant, info.admin_contact, info.tech_contact) == ("owner-1", "admin-2", None)
    assert info.statuses == ["clientDeleteProhibited", "clientUpdateProhibited"]

    with pytest.raises(StatusProhibits, match="clientUpdateProhibited"):
        update(nameservers=[])
    with pytest.raises(StatusProhibits, match="clientDeleteProhibited"):
        sandbox.delete_domain(registrar=US, client_ref=ref(), name="upd.com")
    unlocked = update(remove_locks=["clientUpdateProhibited"])
    assert unlocked.statuses == ["clientDeleteProhibited"]
    assert update(nameservers=[]).nameservers == []

    with pytest.raises(PolicyError, match="add_locks"):
        update(add_locks=["serverHold"])
    with pytest.raises(PolicyError, match="unknown changes"):
        update(owner="someone")
    with pytest.raises(NotAuthorized):
        sandbox.update_domain(registrar=THEM, client_ref=ref(), name="upd.com", changes={})

    update(remove_locks=["clientDeleteProhibited"])
    sandbox.delete_domain(registrar=US, client_ref=ref(), name="upd.com")
    create(sandbox, "auth.com")
    sandbox.update_domain(
        registrar=US, client_ref=ref(), name="auth.com", changes={"auth_info": "Give!me"}
    )
    moved = sandbox.transfer_domain(
        registrar=THEM, client_ref=ref(), name="auth.com", auth_info="Give!me", period=1
    )
    assert moved.name == "auth.com"


# --- contacts and hosts -----------------------------------------------------------


def test_create_contact_keeps_handles_unique_per_registrar(
    sandbox: SandboxBackend, url: str
) -> None:
    contact = {
        "handle": "owner-1",
        "name": "Owner One",
        "organization": None,
        "email": "owner@example.net",
        "phone": "+1.5555550100",
        "fax": None,
        "address": {
            "street": ["1 Main St"],
            "city": "Springfield",
            "state_province": None,
            "postal_code": "12345",
            "country_code": "US",
        },
        "auth_info": "C0ntact!pw",
    }
    info = sandbox.create_contact(registrar=US, client_ref=ref(), contact=contact)
    assert info.handle == "owner-1"
    assert info.roid.startswith("C")
    assert info.roid.endswith("-SANDBOX")
    assert info.to_result()["handle"] == "owner-1"
    city = "SELECT fields #>> '{address,city}' FROM sandbox.contact WHERE registrar = %(r)s"
    assert scalar(url, city, {"r": US}) == "Springfield"
    with pytest.raises(ObjectExists):
        sandbox.create_contact(registrar=US, client_ref=ref(), contact=contact)
    sandbox.create_contact(registrar=THEM, client_ref=ref(), contact=contact)
    with pytest.raises(PolicyError, match="handle"):
        sandbox.create_contact(registrar=US, client_ref=ref(), contact={"name": "No Handle"})


def test_create_host_keeps_names_unique(sandbox: SandboxBackend) -> None:
    info = sandbox.create_host(
        registrar=US,
        client_ref=ref(),
        name="ns1.example.com",
        addresses=["192.0.2.1/32", "2001:db8::1"],
    )
    assert (info.name, info.roid[0], info.roid[-8:]) == ("ns1.example.com", "H", "-SANDBOX")
    with pytest.raises(ObjectExists):
        sandbox.create_host(registrar=THEM, client_ref=ref(), name="NS1.example.com", addresses=[])
    with pytest.raises(PolicyError):
        sandbox.create_host(registrar=US, client_ref=ref(), name="ns2.example.com", addresses=["x"])


def test_update_and_delete_a_host_refused_while_a_domain_names_it(
    sandbox: SandboxBackend, url: str
) -> None:
    sandbox.create_host(
        registrar=US, client_ref=ref(), name="ns1.used.com", addresses=["192.0.2.1"]
    )
    updated = sandbox.update_host(
        registrar=US, client_ref=ref(), name="NS1.used.com", addresses=["192.0.2.9", "2001:db8::9"]
    )
    assert updated.name == "ns1.used.com"
    texts = "SELECT ARRAY(SELECT host(a) FROM unnest(addresses) a) FROM sandbox.host"
    assert scalar(url, texts) == ["192.0.2.9", "2001:db8::9"]
    with pytest.raises(NotAuthorized):
        sandbox.update_host(registrar=THEM, client_ref=ref(), name="ns1.used.com", addresses=[])
    with pytest.raises(ObjectNotFound):
        sandbox.delete_host(registrar=US, client_ref=ref(), name="ns9.used.com")

    # a domain of another registrar names it: the registry refuses (2305)
    sandbox.create_domain(
        registrar=THEM,
        client_ref=ref(),
        name="user.net",
        period=1,
        auth_info="S3cret!pw",
        contacts={},
        nameservers=["ns1.used.com"],
    )
    with pytest.raises(StatusProhibits, match=r"domain user\.net names it") as refused:
        sandbox.delete_host(registrar=US, client_ref=ref(), name="ns1.used.com")
    assert refused.value.code == 2305
    execute(url, "UPDATE sandbox.domain SET nameservers = '{}' WHERE name = 'user.net'")
    once = ref()
    deleted = sandbox.delete_host(registrar=US, client_ref=once, name="ns1.used.com")
    assert deleted.name == "ns1.used.com"
    assert count(url, "host") == 0
    # a retry with the same client_ref answers as the first call did
    assert sandbox.delete_host(registrar=US, client_ref=once, name="ns1.used.com") == deleted


def test_a_domain_with_hosts_under_it_cannot_be_deleted(sandbox: SandboxBackend) -> None:
    create(sandbox, "parent.com")
    sandbox.create_host(
        registrar=US, client_ref=ref(), name="ns1.parent.com", addresses=["192.0.2.1"]
    )
    with pytest.raises(StatusProhibits, match=r"ns1\.parent\.com") as refused:
        sandbox.delete_domain(registrar=US, client_ref=ref(), name="parent.com")
    assert refused.value.code == 2305
    sandbox.delete_host(registrar=US, client_ref=ref(), name="ns1.parent.com")
    assert (
        sandbox.delete_domain(registrar=US, client_ref=ref(), name="parent.com").name
        == "parent.com"
    )


def test_update_and_delete_a_contact_refused_while_a_domain_names_it(
    sandbox: SandboxBackend, url: str
) -> None:
    contact = {
        "handle": "tech-1",
        "name": "Tech",
        "email": "t@example.net",
        "phone": "+1.5550100",
        "address": {"city": "Springfield", "country_code": "US"},
    }
    sandbox.create_contact(registrar=US, client_ref=ref(), contact=contact)
    info = sandbox.update_contact(
        registrar=US,
        client_ref=ref(),
        handle="tech-1",
        contact={"email": "new@example.net", "phone": "", "auth_info": "N3w!secret"},
    )
    assert info.handle == "tech-1"
    fields = scalar(url, "SELECT fields FROM sandbox.contact WHERE handle = 'tech-1'")
    assert (fields["email"], fields["auth_info"], "phone" in fields) == (
        "new@example.net",
        "N3w!secret",
        False,
    )
    with pytest.raises(ObjectNotFound):  # contacts are per registrar
        sandbox.update_contact(
            registrar=THEM, client_ref=ref(), handle="tech-1", contact={"name": "X"}
        )

    create(sandbox, "contacts.com")  # names tech-1 as its tech contact
    with pytest.raises(StatusProhibits, match=r"domain contacts\.com names it") as refused:
        sandbox.delete_contact(registrar=US, client_ref=ref(), handle="tech-1")
    assert refused.value.code == 2305
    execute(url, "UPDATE sandbox.domain SET contacts = '{}' WHERE name = 'contacts.com'")
    assert (
        sandbox.delete_contact(registrar=US, client_ref=ref(), handle="tech-1").handle == "tech-1"
    )
    assert count(url, "contact") == 0


# --- certificates -------------------------------------------------------------------


def _ca(sandbox: SandboxBackend) -> x509.Certificate:
    return x509.load_pem_x509_certificate(sandbox.ca_certificate_pem.encode())


def _verify(certificate: x509.Certificate, ca: x509.Certificate) -> None:
    ca_key = ca.public_key()
    assert isinstance(ca_key, ec.EllipticCurvePublicKey)
    assert certificate.signature_hash_algorithm is not None
    ca_key.verify(
        certificate.signature,
        certificate.tbs_certificate_bytes,
        ec.ECDSA(certificate.signature_hash_algorithm),
    )
    certificate.verify_directly_issued_by(ca)


def _sans(certificate: x509.Certificate) -> list[str]:
    extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    return extension.value.get_values_for_type(x509.DNSName)


def test_issue_certificate_signs_a_generated_key_with_the_sandbox_ca(
    sandbox: SandboxBackend, url: str
) -> None:
    info = sandbox.issue_certificate(
        registrar="alpha-ssl",
        client_ref=ref(),
        common_name="www.example.com",
        sans=["example.com", "*.example.com", "www.example.com"],
        csr_pem=None,
        key_type=None,
        validity_days=90,
    )
    ca = _ca(sandbox)
    assert ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == CA_COMMON_NAME
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert info.chain_pem == sandbox.ca_certificate_pem

    certificate = x509.load_pem_x509_certificate(info.certificate_pem.encode())
    assert certificate.issuer == ca.subject
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "www.example.com"
    )
    assert _sans(certificate) == ["www.example.com", "example.com", "*.example.com"]
    assert certificate.not_valid_after_utc - certificate.not_valid_before_utc == timedelta(days=90)
    assert abs((certificate.not_valid_before_utc - datetime.now(UTC)).total_seconds()) < 60
    assert (info.not_before, info.not_after) == (
        certificate.not_valid_before_utc,
        certificate.not_valid_after_utc,
    )
    assert info.serial == format(certificate.serial_number, "x")
    assert info.key_type == "ecdsa-p256"
    _verify(certificate, ca)

    assert "PRIVATE KEY" not in str(info.to_result())
    key_pem = scalar(url, "SELECT private_key_pem FROM sandbox.certificate")
    key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    assert key.public_key() == certificate.public_key()

    rsa_info = sandbox.issue_certificate(
        registrar="alpha-ssl",
        client_ref=ref(),
        common_name="rsa.example.com",
        sans=[],
        csr_pem=None,
        key_type="rsa-2048",
        validity_days=30,
    )
    rsa_key = x509.load_pem_x509_certificate(rsa_info.certificate_pem.encode()).public_key()
    assert isinstance(rsa_key, rsa.RSAPublicKey)
    assert (rsa_key.key_size, rsa_info.key_type) == (2048, "rsa2048")


def _csr(key: ec.EllipticCurvePrivateKey) -> x509.CertificateSigningRequest:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shop.example.org")])
    return x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())


def test_issue_certificate_uses_a_csrs_key_and_refuses_a_bad_signature(
    sandbox: SandboxBackend, url: str
) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    csr = _csr(key)

    def issue(csr_pem: str, validity_days: int = 365) -> x509.Certificate:
        info = sandbox.issue_certificate(
            registrar="alpha-ssl",
            client_ref=ref(),
            common_name="shop.example.org",
            sans=[],
            csr_pem=csr_pem,
            key_type=None,
            validity_days=validity_days,
        )
        assert info.key_type == "ecdsa-p384"
        return x509.load_pem_x509_certificate(info.certificate_pem.encode())

    certificate = issue(csr.public_bytes(serialization.Encoding.PEM).decode())
    assert certificate.public_key() == key.public_key()
    _verify(certificate, _ca(sandbox))
    assert scalar(url, "SELECT private_key_pem IS NULL FROM sandbox.certificate")

    der = bytearray(csr.public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0x01  # the signature's last byte
    tampered = base64.encodebytes(bytes(der)).decode()
    with pytest.raises(PolicyError, match="signature"):
        issue(f"-----BEGIN CERTIFICATE REQUEST-----\n{tampered}-----END CERTIFICATE REQUEST-----")
    with pytest.raises(PolicyError, match="not a PEM certificate request"):
        issue("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----")
    with pytest.raises(PolicyError, match="validity_days"):
        issue(csr.public_bytes(serialization.Encoding.PEM).decode(), validity_days=399)
    assert count(url, "certificate") == 1


# --- simulated latency and failures -----------------------------------------------


def test_failure_rate_one_always_fails_transiently_and_changes_nothing(url: str) -> None:
    calls: list[Callable[[SandboxBackend], object]] = [
        lambda s: s.check_availability(["a.com"]),
        lambda s: create(s, "a.com"),
        lambda s: s.renew_domain(
            registrar=US, client_ref=ref(), name="a.com", period=1, current_expiry_date=None
        ),
        lambda s: s.delete_domain(registrar=US, client_ref=ref(), name="a.com"),
        lambda s: s.create_host(registrar=US, client_ref=ref(), name="ns.a.com", addresses=[]),
        lambda s: s.create_contact(registrar=US, client_ref=ref(), contact={"handle": "h"}),
    ]
    with SandboxBackend(url, failure_rate=1.0, seed=1) as sandbox:
        for call in calls:
            with pytest.raises(TransientBackendError, match="simulated failure") as failure:
                call(sandbox)
            assert failure.value.retryable
    for table in ("domain", "host", "contact", "transaction"):
        assert count(url, table) == 0


def test_failures_follow_the_seed(url: str) -> None:
    def pattern() -> list[bool]:
        outcomes = []
        with SandboxBackend(url, failure_rate=0.5, seed=42) as sandbox:
            for _ in range(20):
                try:
                    sandbox.check_availability(["a.com"])
                    outcomes.append(True)
                except TransientBackendError:
                    outcomes.append(False)
        return outcomes

    first = pattern()
    assert first == pattern()
    assert True in first
    assert False in first


def test_latency_is_added_to_every_operation(url: str) -> None:
    with SandboxBackend(url, latency_ms=150) as sandbox:
        started = time.monotonic()
        sandbox.check_availability(["slow.com"])
        assert time.monotonic() - started >= 0.15
        started = time.monotonic()
        create(sandbox, "slow.com")
        assert time.monotonic() - started >= 0.15
