"""Validation: every rule rejects its request with its SQLSTATE and a message naming
the problem, and writes nothing at all (no provision, job, outbox or audit row)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.db.helpers import (
    ALICE,
    ALPHA_REGISTRY_ID,
    ALPHA_SSL,
    BETA_REGISTRY,
    BOB,
    CAROL,
    Conn,
    counts,
    create_contact,
    delete_domain,
    fetch_one,
    insert_provision,
    provision,
    provision_and_complete,
    register_domain,
    scalar,
    set_domain,
)

pytestmark = [pytest.mark.postgres]

Setup = Callable[[Conn], None]


def nothing(conn: Conn) -> None:
    """No set-up."""


def registered(name: str, tenant_customer_id: uuid.UUID = ALICE, **params: Any) -> Setup:
    def setup(conn: Conn) -> None:
        register_domain(conn, name, tenant_customer_id=tenant_customer_id, **params)

    return setup


def in_redemption(name: str) -> Setup:
    def setup(conn: Conn) -> None:
        register_domain(conn, name)
        delete_domain(conn, name)

    return setup


def locked(name: str, *locks: str, tenant_customer_id: uuid.UUID = ALICE) -> Setup:
    def setup(conn: Conn) -> None:
        register_domain(conn, name, tenant_customer_id=tenant_customer_id)
        set_domain(conn, name, locks=list(locks))

    return setup


def pending(table: str, **params: Any) -> Setup:
    def setup(conn: Conn) -> None:
        assert insert_provision(conn, table, **params)["status"] == "pending"

    return setup


def completed(table: str, **params: Any) -> Setup:
    def setup(conn: Conn) -> None:
        provision_and_complete(conn, table, **params)

    return setup


def contact(handle: str, tenant_customer_id: uuid.UUID = ALICE) -> Setup:
    def setup(conn: Conn) -> None:
        create_contact(conn, handle, tenant_customer_id)

    return setup


def chain(*setups: Setup) -> Setup:
    def setup(conn: Conn) -> None:
        for step in setups:
            step(conn)

    return setup


@dataclass(frozen=True)
class Rule:
    table: str
    params: dict[str, Any]
    sqlstate: str
    message: str  # must be part of the primary message
    setup: Setup = nothing
    column: str | None = None  # the diagnostic COLUMN field, when it names one


def rule(  # noqa: PLR0917 - a table of cases reads best positionally
    id: str,
    table: str,
    params: dict[str, Any],
    sqlstate: str,
    message: str,
    setup: Setup = nothing,
    column: str | None = None,
) -> Any:
    return pytest.param(Rule(table, params, sqlstate, message, setup, column), id=id)


D = "provision_domain"
RENEW = "provision_domain_renew"
TRANSFER = "provision_domain_transfer"
RESTORE = "provision_domain_restore"
DELETE = "provision_domain_delete"
UPDATE = "provision_domain_update"
CONTACT = "provision_contact"
HOST = "provision_host"
SSL = "provision_ssl"
HOST_UPDATE = "provision_host_update"
HOST_DELETE = "provision_host_delete"
CONTACT_UPDATE = "provision_contact_update"
CONTACT_DELETE = "provision_contact_delete"


def glue_host(name: str = "ns1.glue.com", domain: str = "glue.com") -> Setup:
    """``domain`` registered with the in-zone host ``name`` under it."""

    def setup(conn: Conn) -> None:
        register_domain(conn, domain)
        provision_and_complete(conn, HOST, name=name, addresses=["192.0.2.53"])

    return setup


def out_of_zone_host(name: str = "ns1.elsewhere.example") -> Setup:
    return completed(HOST, name=name)


A_CONTACT = {
    "handle": "alice-c9",
    "name": "Alice",
    "email": "alice@example.net",
    "city": "Springfield",
    "country_code": "US",
}
REPORT = {
    "pre_data": "before",
    "post_data": "after",
    "delete_time": "2025-01-01T00:00:00Z",
    "restore_time": "2025-01-02T00:00:00Z",
    "reason": "mistake",
}
IO_NS = ["ns1.example.net", "ns2.example.net"]
CSR = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----"

RULES = [
    # PV001 invalid names
    rule("fqdn-missing", D, {"name": None}, "PV001", "name is required", column="name"),
    rule("fqdn-empty", D, {"name": "  "}, "PV001", "name is required"),
    rule("fqdn-one-label", D, {"name": "singlelabel"}, "PV001", "needs at least two labels"),
    rule("fqdn-underscore", D, {"name": "bad_name.com"}, "PV001", "may only contain letters"),
    rule("fqdn-space", D, {"name": "bad name.com"}, "PV001", "may only contain letters"),
    rule("fqdn-unicode", D, {"name": "bücher.com"}, "PV001", "may only contain letters"),
    rule("fqdn-leading-hyphen", D, {"name": "-bad.com"}, "PV001", "starts or ends with a hyphen"),
    rule("fqdn-trailing-hyphen", D, {"name": "bad-.com"}, "PV001", "starts or ends with a hyphen"),
    rule("fqdn-empty-label", D, {"name": "bad..com"}, "PV001", "has an empty label"),
    rule("fqdn-label-64", D, {"name": "a" * 64 + ".com"}, "PV001", "the limit is 63"),
    rule(
        "fqdn-254-chars",
        D,
        {"name": ".".join(["a" * 62] * 4) + ".com"},
        "PV001",
        "is 255 characters long; the limit is 253",
    ),
    rule("fqdn-root", D, {"name": "."}, "PV001", "name '.' needs at least two labels"),
    rule("host-root", HOST, {"name": " . "}, "PV001", "name '.' needs at least two labels"),
    rule("ssl-root", SSL, {"common_name": "."}, "PV001", "common_name '.' needs at least two"),
    rule(
        "nameserver-root",
        D,
        {"name": "new.com", "nameservers": ["."]},
        "PV001",
        "nameservers[1] '.' needs at least two labels",
    ),
    rule("fqdn-numeric-tld", D, {"name": "example.123"}, "PV001", "top-level label"),
    rule("fqdn-not-registrable", D, {"name": "www.sub.com"}, "PV001", "not a registrable name"),
    rule("renew-bad-name", RENEW, {"name": "x..com"}, "PV001", "has an empty label"),
    rule("ssl-bad-common-name", SSL, {"common_name": "bad_cn.com"}, "PV001", "common_name"),
    rule("ssl-double-wildcard", SSL, {"common_name": "*.*.example.com"}, "PV001", "common_name"),
    rule(
        "ssl-bad-san",
        SSL,
        {"common_name": "example.com", "sans": ["ok.example.com", "no way.example.com"]},
        "PV001",
        "sans[2]",
    ),
    rule(
        "nameserver-bad",
        D,
        {"name": "new.com", "nameservers": ["ns1.example.net", "ns2..example.net"]},
        "PV001",
        "nameservers[2]",
    ),
    # PV002 who asks, through what
    rule(
        "unknown-tenant-customer",
        D,
        {"name": "new.com", "tenant_customer_id": uuid.UUID(int=7)},
        "PV002",
        "tenant_customer_id 00000000-0000-0000-0000-000000000007 does not exist",
        column="tenant_customer_id",
    ),
    rule(
        "unknown-accreditation",
        D,
        {"name": "new.com", "accreditation": "nope-registry"},
        "PV002",
        "accreditation 'nope-registry' does not exist",
        column="accreditation_id",
    ),
    rule(
        "accreditation-of-another-tenant",
        D,
        {"name": "new.com", "tenant_customer_id": CAROL},
        "PV002",
        "does not belong to the tenant",
    ),
    rule(
        "domain-through-a-certificate-authority",
        D,
        {"name": "new.com", "accreditation": ALPHA_SSL},
        "PV002",
        "needs a registry accreditation",
    ),
    rule(
        "ssl-through-a-registry",
        SSL,
        {"common_name": "example.com", "accreditation": "alpha-registry"},
        "PV002",
        "needs a certificate_authority accreditation",
    ),
    # PV003 TLD not served
    rule(
        "tld-not-served",
        D,
        {"name": "example.xyz"},
        "PV003",
        "TLD .xyz of name 'example.xyz' is not served by accreditation 'alpha-registry'",
        column="name",
    ),
    rule(
        "tld-not-served-by-beta",
        D,
        {"name": "example.net", "tenant_customer_id": CAROL, "accreditation": BETA_REGISTRY},
        "PV003",
        "is not served by accreditation 'beta-registry'",
    ),
    rule("transfer-tld-not-served", TRANSFER, {"name": "a.xyz", "pw": "Pw-12345"}, "PV003", ".xyz"),
    # PV004 periods and ranges
    rule(
        "com-period-11",
        D,
        {"name": "new.com", "registration_period": 11},
        "PV004",
        "registration_period 11 is outside 1..10 for .com",
        column="registration_period",
    ),
    rule(
        "com-period-0",
        D,
        {"name": "new.com", "registration_period": 0},
        "PV004",
        "registration_period 0 is outside 1..10 for .com",
    ),
    rule(
        "net-period-1",
        D,
        {"name": "new.net", "registration_period": 1},
        "PV004",
        "registration_period 1 is outside 2..10 for .net",
    ),
    rule(
        "io-period-6",
        D,
        {"name": "new.io", "registration_period": 6, "nameservers": IO_NS},
        "PV004",
        "registration_period 6 is outside 1..5 for .io",
    ),
    rule(
        "io-renew-6",
        RENEW,
        {"name": "short.io", "period": 6},
        "PV004",
        "period 6 is outside 1..5 for .io",
        registered("short.io", nameservers=IO_NS),
        column="period",
    ),
    rule(
        "com-renew-11",
        RENEW,
        {"name": "old.com", "period": 11},
        "PV004",
        "period 11 is outside 1..10 for .com",
        registered("old.com"),
    ),
    rule(
        "renew-beyond-10-years",
        RENEW,
        {"name": "long.com", "period": 2},
        "PV004",
        "more than 10 years from now",
        registered("long.com", registration_period=9),
    ),
    rule(
        "com-transfer-period-2",
        TRANSFER,
        {"name": "in.com", "pw": "Pw-12345", "period": 2},
        "PV004",
        "period 2 is outside 1..1 for .com",
    ),
    rule(
        "dev-transfer-period-1",
        TRANSFER,
        {"name": "in.dev", "pw": "Pw-12345", "period": 1},
        "PV004",
        "period 1 is outside 0..0 for .dev",
    ),
    rule(
        "ssl-validity-0",
        SSL,
        {"common_name": "example.com", "validity_days": 0},
        "PV004",
        "validity_days 0 is outside 1..398",
    ),
    rule(
        "ssl-validity-399",
        SSL,
        {"common_name": "example.com", "validity_days": 399},
        "PV004",
        "validity_days 399 is outside 1..398",
    ),
    # PV005 exists or pending
    rule(
        "create-registered",
        D,
        {"name": "taken.com", "tenant_customer_id": BOB},
        "PV005",
        "domain 'taken.com' (name) is already registered",
        registered("taken.com"),
    ),
    rule(
        "create-registered-in-redemption",
        D,
        {"name": "gone.com"},
        "PV005",
        "is already registered",
        in_redemption("gone.com"),
    ),
    rule(
        "create-pending",
        D,
        {"name": "wanted.com", "tenant_customer_id": BOB},
        "PV005",
        "already has a pending provision_domain request",
        pending(D, name="wanted.com"),
    ),
    rule(
        "renew-while-update-pending",
        RENEW,
        {"name": "busy.com"},
        "PV005",
        "already has a pending provision_domain_update request",
        chain(registered("busy.com"), pending(UPDATE, name="busy.com", pw="Other-Pw-1")),
    ),
    rule(
        "delete-while-renew-pending",
        DELETE,
        {"name": "busy.com"},
        "PV005",
        "already has a pending provision_domain_renew request",
        chain(registered("busy.com"), pending(RENEW, name="busy.com")),
    ),
    rule(
        "update-while-delete-pending",
        UPDATE,
        {"name": "busy.com", "pw": "Other-Pw-1"},
        "PV005",
        "already has a pending provision_domain_delete request",
        chain(registered("busy.com"), pending(DELETE, name="busy.com")),
    ),
    rule(
        "transfer-while-create-pending",
        TRANSFER,
        {"name": "busy.com", "pw": "Pw-12345", "tenant_customer_id": BOB},
        "PV005",
        "already has a pending provision_domain request",
        pending(D, name="busy.com"),
    ),
    rule(
        "restore-while-restore-pending",
        RESTORE,
        {"name": "gone.com"},
        "PV005",
        "already has a pending provision_domain_restore request",
        chain(in_redemption("gone.com"), pending(RESTORE, name="gone.com")),
    ),
    rule(
        "transfer-own-domain",
        TRANSFER,
        {"name": "mine.com", "pw": "Pw-12345"},
        "PV005",
        "is already held by this tenant_customer",
        registered("mine.com"),
    ),
    rule(
        "contact-handle-exists",
        CONTACT,
        {**A_CONTACT, "handle": "alice-c1"},
        "PV005",
        "contact handle 'alice-c1' already exists",
        contact("alice-c1"),
        column="handle",
    ),
    rule(
        "contact-handle-pending",
        CONTACT,
        {**A_CONTACT, "tenant_customer_id": BOB},
        "PV005",
        "already has a pending provision_contact request",
        pending(CONTACT, **A_CONTACT),
    ),
    rule(
        "host-pending",
        HOST,
        {"name": "ns1.elsewhere.example", "tenant_customer_id": BOB},
        "PV005",
        "host 'ns1.elsewhere.example' (name) already has a pending provision_host request",
        pending(HOST, name="ns1.elsewhere.example"),
    ),
    rule(
        "host-exists",
        HOST,
        {"name": "ns1.elsewhere.example"},
        "PV005",
        "host 'ns1.elsewhere.example' (name) already exists at this accreditation",
        completed(HOST, name="ns1.elsewhere.example"),
    ),
    # PV006 not found / not owned
    *[
        rule(
            f"{table.removeprefix('provision_domain_')}-missing-domain",
            table,
            {"name": "nowhere.com", **params},
            "PV006",
            "domain 'nowhere.com' (name) is not registered here",
            column="name",
        )
        for table, params in [
            (RENEW, {}),
            (RESTORE, {}),
            (DELETE, {}),
            (UPDATE, {"pw": "Other-Pw-1"}),
        ]
    ],
    *[
        rule(
            f"{table.removeprefix('provision_domain_')}-domain-of-another-customer",
            table,
            {"name": "bobs.com", **params},
            "PV006",
            f"domain 'bobs.com' (name) is not held by tenant_customer_id {ALICE}",
            registered("bobs.com", tenant_customer_id=BOB),
        )
        for table, params in [
            (RENEW, {}),
            (RESTORE, {}),
            (DELETE, {}),
            (UPDATE, {"pw": "Other-Pw-1"}),
        ]
    ],
    rule(
        "unknown-contact-handle",
        D,
        {"name": "new.com", "registrant": "nobody1"},
        "PV006",
        "registrant 'nobody1' is not a known contact",
        column="registrant",
    ),
    rule(
        "contact-of-another-customer",
        D,
        {"name": "new.com", "tech_contact": "bob-c1"},
        "PV006",
        "tech_contact 'bob-c1' belongs to another tenant_customer",
        contact("bob-c1", BOB),
    ),
    rule(
        "update-unknown-contact",
        UPDATE,
        {"name": "mine.com", "admin_contact": "nobody1"},
        "PV006",
        "admin_contact 'nobody1' is not a known contact",
        registered("mine.com"),
    ),
    rule(
        "host-under-a-domain-not-held",
        HOST,
        {"name": "ns1.bobs.com", "addresses": ["192.0.2.1"]},
        "PV006",
        "is under domain 'bobs.com', which is not held by",
        registered("bobs.com", tenant_customer_id=BOB),
    ),
    rule(
        "host-under-an-unregistered-domain",
        HOST,
        {"name": "ns1.nowhere.com", "addresses": ["192.0.2.1"]},
        "PV006",
        "is under domain 'nowhere.com'",
    ),
    # PV007 state
    rule(
        "restore-outside-redemption",
        RESTORE,
        {"name": "alive.com"},
        "PV007",
        "is not in redemption (status ok)",
        registered("alive.com"),
    ),
    rule(
        "restore-after-redemption-ended",
        RESTORE,
        {"name": "gone.com"},
        "PV007",
        "the redemption period of domain 'gone.com' ended",
        chain(
            in_redemption("gone.com"),
            lambda conn: set_domain(conn, "gone.com", redemption_end_date="2000-01-01T00:00:00Z"),
        ),
    ),
    rule(
        "renew-in-redemption",
        RENEW,
        {"name": "gone.com"},
        "PV007",
        "is in status redemption; a renew needs status ok",
        in_redemption("gone.com"),
    ),
    rule(
        "delete-in-redemption",
        DELETE,
        {"name": "gone.com"},
        "PV007",
        "a delete needs status ok",
        in_redemption("gone.com"),
    ),
    rule(
        "renew-expiry-mismatch",
        RENEW,
        {"name": "old.com", "current_expiry_date": "2001-01-01"},
        "PV007",
        "current_expiry_date 2001-01-01 does not match",
        registered("old.com"),
        column="current_expiry_date",
    ),
    rule(
        "renew-locked",
        RENEW,
        {"name": "safe.com"},
        "PV007",
        "clientRenewProhibited",
        locked("safe.com", "clientRenewProhibited"),
    ),
    rule(
        "delete-locked",
        DELETE,
        {"name": "safe.com"},
        "PV007",
        "clientDeleteProhibited",
        locked("safe.com", "clientDeleteProhibited"),
    ),
    rule(
        "update-locked",
        UPDATE,
        {"name": "safe.com", "pw": "Other-Pw-1"},
        "PV007",
        "has the lock clientUpdateProhibited",
        locked("safe.com", "clientUpdateProhibited"),
    ),
    rule(
        "transfer-locked",
        TRANSFER,
        {"name": "safe.com", "pw": "Pw-12345"},
        "PV007",
        "clientTransferProhibited",
        locked("safe.com", "clientTransferProhibited", tenant_customer_id=BOB),
    ),
    # PV008 invalid fields
    rule(
        "org-restore-without-report",
        RESTORE,
        {"name": "gone.org"},
        "PV008",
        "restore_report is required to restore a domain under .org",
        in_redemption("gone.org"),
        column="restore_report",
    ),
    rule(
        "org-restore-incomplete-report",
        RESTORE,
        {"name": "gone.org", "restore_report": {"pre_data": "x", "reason": "y"}},
        "PV008",
        "restore_report lacks post_data, delete_time, restore_time",
        in_redemption("gone.org"),
    ),
    rule(
        "restore-report-not-an-object",
        RESTORE,
        {"name": "gone.com", "restore_report": Jsonb([1, 2])},
        "PV008",
        "restore_report must be a JSON object",
        in_redemption("gone.com"),
    ),
    rule(
        "contact-bad-email",
        CONTACT,
        {**A_CONTACT, "email": "not-an-email"},
        "PV008",
        "email 'not-an-email' is not a valid address",
        column="email",
    ),
    rule(
        "contact-email-missing-domain",
        CONTACT,
        {**A_CONTACT, "email": "alice@mailbox"},
        "PV008",
        "is not a valid address",
    ),
    rule("contact-no-email", CONTACT, {**A_CONTACT, "email": " "}, "PV008", "email is required"),
    rule(
        "contact-country-3-letters",
        CONTACT,
        {**A_CONTACT, "country_code": "USA"},
        "PV008",
        "country_code 'USA' must be an ISO 3166-1 alpha-2 code",
        column="country_code",
    ),
    rule(
        "contact-country-digit",
        CONTACT,
        {**A_CONTACT, "country_code": "U1"},
        "PV008",
        "country_code 'U1'",
    ),
    rule(
        "contact-no-country",
        CONTACT,
        {**A_CONTACT, "country_code": None},
        "PV008",
        "country_code NULL",
    ),
    rule(
        "contact-bad-phone",
        CONTACT,
        {**A_CONTACT, "phone": "555-0100"},
        "PV008",
        "phone '555-0100' must look like +CC.NUMBER",
        column="phone",
    ),
    rule(
        "contact-phone-without-dot",
        CONTACT,
        {**A_CONTACT, "phone": "+15555550100"},
        "PV008",
        "must look like +CC.NUMBER",
    ),
    rule(
        "contact-bad-fax",
        CONTACT,
        {**A_CONTACT, "fax": "fax me"},
        "PV008",
        "fax 'faxme' must look like +CC.NUMBER",
    ),
    rule(
        "contact-bad-handle",
        CONTACT,
        {**A_CONTACT, "handle": "x!"},
        "PV008",
        "handle 'x!' must be 3 to 16",
    ),
    rule("contact-no-name", CONTACT, {**A_CONTACT, "name": ""}, "PV008", "name is required"),
    rule("contact-no-city", CONTACT, {**A_CONTACT, "city": None}, "PV008", "city is required"),
    rule(
        "host-in-zone-without-address",
        HOST,
        {"name": "ns1.hosting.com"},
        "PV008",
        "needs at least one address",
        registered("hosting.com"),
        column="addresses",
    ),
    rule(
        "host-out-of-zone-with-address",
        HOST,
        {"name": "ns1.elsewhere.example", "addresses": ["192.0.2.1"]},
        "PV008",
        "addresses must be empty: host 'ns1.elsewhere.example' is outside the TLDs",
    ),
    rule(
        "host-network-address",
        HOST,
        {"name": "ns1.hosting.com", "addresses": ["192.0.2.0/24"]},
        "PV008",
        "192.0.2.0/24 is a network",
        registered("hosting.com"),
    ),
    rule(
        "host-loopback",
        HOST,
        {"name": "ns1.hosting.com", "addresses": ["127.0.0.2"]},
        "PV008",
        "127.0.0.2 is not a usable unicast address",
        registered("hosting.com"),
    ),
    rule(
        "host-multicast-v6",
        HOST,
        {"name": "ns1.hosting.com", "addresses": ["ff02::1"]},
        "PV008",
        "ff02::1 is not a usable unicast address",
        registered("hosting.com"),
    ),
    rule(
        "host-duplicate-address",
        HOST,
        {"name": "ns1.hosting.com", "addresses": ["192.0.2.1", "192.0.2.1"]},
        "PV008",
        "addresses lists 192.0.2.1 twice",
        registered("hosting.com"),
    ),
    rule(
        "ssl-csr-and-key-type",
        SSL,
        {
            "common_name": "example.com",
            "key_type": "rsa2048",
            "csr_pem": CSR,
        },
        "PV008",
        "give either csr_pem or key_type, not both",
    ),
    rule(
        "ssl-garbage-csr",
        SSL,
        {"common_name": "example.com", "csr_pem": "hello"},
        "PV008",
        "csr_pem is not a PEM certificate request",
    ),
    rule(
        "ssl-unknown-key-type",
        SSL,
        {"common_name": "example.com", "key_type": "dsa1024"},
        "PV008",
        "key_type 'dsa1024' is not one of",
    ),
    rule(
        "ssl-wildcard-needs-dns",
        SSL,
        {"common_name": "*.example.com", "validation_method": "http"},
        "PV008",
        "a wildcard name needs validation_method dns",
    ),
    rule(
        "ssl-duplicate-san",
        SSL,
        {"common_name": "example.com", "sans": ["a.example.com", "A.example.com"]},
        "PV008",
        "sans lists 'a.example.com' twice",
    ),
    rule(
        "io-one-nameserver",
        D,
        {"name": "new.io", "nameservers": ["ns1.example.net"]},
        "PV008",
        "nameservers has 1 entries; .io needs 2..13",
        column="nameservers",
    ),
    rule(
        "duplicate-nameserver",
        D,
        {"name": "new.com", "nameservers": ["ns1.example.net", "NS1.example.net."]},
        "PV008",
        "nameservers lists 'ns1.example.net' twice",
    ),
    rule(
        "update-io-to-no-nameservers",
        UPDATE,
        {"name": "short.io", "nameservers": []},
        "PV008",
        "nameservers has 0 entries; .io needs 2..13",
        registered("short.io", nameservers=IO_NS),
    ),
    rule(
        "update-without-change",
        UPDATE,
        {"name": "mine.com"},
        "PV008",
        "no change requested",
        registered("mine.com"),
    ),
    rule(
        "update-unknown-lock",
        UPDATE,
        {"name": "mine.com", "add_locks": ["serverHold"]},
        "PV008",
        "add_locks: 'serverHold' not one of",
        registered("mine.com"),
    ),
    rule(
        "update-add-and-remove-same-lock",
        UPDATE,
        {"name": "mine.com", "add_locks": ["clientHold"], "remove_locks": ["clientHold"]},
        "PV008",
        "add_locks and remove_locks both name clientHold",
        registered("mine.com"),
    ),
    rule(
        "transfer-without-auth-code",
        TRANSFER,
        {"name": "in.com", "pw": None},
        "PV008",
        "pw (the auth code) is required for a transfer",
        column="pw",
    ),
    rule(
        "transfer-short-auth-code",
        TRANSFER,
        {"name": "in.com", "pw": "abc"},
        "PV008",
        "pw must be 6 to 64 printable characters",
    ),
    rule(
        "domain-auth-code-with-space",
        D,
        {"name": "new.com", "pw": "has a space"},
        "PV008",
        "pw must be 6 to 64 printable characters",
    ),
    rule(
        "bad-contact-handle-syntax",
        D,
        {"name": "new.com", "billing_contact": "no"},
        "PV008",
        "billing_contact 'no' is not a contact handle",
    ),
    rule(
        "plan-ids-with-null",
        D,
        {"name": "new.com", "order_item_plan_ids": [uuid.uuid4(), None]},
        "PV008",
        "order_item_plan_ids must not contain NULL",
    ),
    rule(
        "order-metadata-not-an-object",
        D,
        {"name": "new.com", "order_metadata": Jsonb(["order"])},
        "PV008",
        "order_metadata must be a JSON object, not array",
    ),
    rule(
        "host-update-unknown-host",
        HOST_UPDATE,
        {"name": "ns9.nowhere.example"},
        "PV006",
        "host 'ns9.nowhere.example' (name) does not exist at this accreditation",
        column="name",
    ),
    rule(
        "host-update-another-tenants-host",
        HOST_UPDATE,
        {"name": "ns1.elsewhere.example", "tenant_customer_id": BOB},
        "PV006",
        "is not held by tenant_customer_id",
        out_of_zone_host(),
    ),
    rule(
        "host-update-in-zone-without-addresses",
        HOST_UPDATE,
        {"name": "ns1.glue.com", "addresses": []},
        "PV008",
        "so it needs at least one address",
        glue_host(),
        column="addresses",
    ),
    rule(
        "host-update-out-of-zone-with-addresses",
        HOST_UPDATE,
        {"name": "ns1.elsewhere.example", "addresses": ["192.0.2.1"]},
        "PV008",
        "addresses must be empty",
        out_of_zone_host(),
        column="addresses",
    ),
    rule(
        "host-update-loopback-address",
        HOST_UPDATE,
        {"name": "ns1.glue.com", "addresses": ["127.0.0.1"]},
        "PV008",
        "127.0.0.1 is not a usable unicast address",
        glue_host(),
    ),
    rule(
        "host-update-while-a-delete-is-pending",
        HOST_UPDATE,
        {"name": "ns1.elsewhere.example"},
        "PV005",
        "already has a pending provision_host_delete request",
        chain(out_of_zone_host(), pending(HOST_DELETE, name="ns1.elsewhere.example")),
    ),
    rule(
        "host-delete-in-use",
        HOST_DELETE,
        {"name": "ns1.glue.com"},
        "PV007",
        "host 'ns1.glue.com' (name) is in use: domain user.com names it as a name server",
        chain(glue_host(), registered("user.com", nameservers=["ns1.glue.com"])),
        column="name",
    ),
    rule(
        "host-delete-unknown-host",
        HOST_DELETE,
        {"name": "ns9.nowhere.example"},
        "PV006",
        "does not exist at this accreditation",
    ),
    rule(
        "contact-update-unknown-handle",
        CONTACT_UPDATE,
        {"handle": "nobody-1", "city": "X"},
        "PV006",
        "contact handle 'nobody-1' does not exist at this accreditation",
        column="handle",
    ),
    rule(
        "contact-update-another-tenants-contact",
        CONTACT_UPDATE,
        {"handle": "bob-c1", "city": "X"},
        "PV006",
        "is not held by tenant_customer_id",
        contact("bob-c1", BOB),
    ),
    rule(
        "contact-update-nothing-to-change",
        CONTACT_UPDATE,
        {"handle": "alice-u1"},
        "PV008",
        "a contact update must change at least one field",
        contact("alice-u1"),
    ),
    rule(
        "contact-update-empties-a-required-field",
        CONTACT_UPDATE,
        {"handle": "alice-u1", "email": " "},
        "PV008",
        "email is required",
        contact("alice-u1"),
        column="email",
    ),
    rule(
        "contact-update-bad-phone",
        CONTACT_UPDATE,
        {"handle": "alice-u1", "phone": "555-0100"},
        "PV008",
        "phone '555-0100' must look like +CC.NUMBER",
        contact("alice-u1"),
        column="phone",
    ),
    rule(
        "contact-update-short-auth-code-not-echoed",
        CONTACT_UPDATE,
        {"handle": "alice-u1", "pw": "s3cr"},
        "PV008",
        "pw must be 6 to 64 printable characters",
        contact("alice-u1"),
    ),
    rule(
        "contact-delete-in-use",
        CONTACT_DELETE,
        {"handle": "alice-u1"},
        "PV007",
        "contact handle 'alice-u1' is in use: domain used.com names it as a contact",
        chain(contact("alice-u1"), registered("used.com", tech_contact="alice-u1")),
        column="handle",
    ),
    rule(
        "contact-delete-while-an-update-is-pending",
        CONTACT_DELETE,
        {"handle": "alice-u1"},
        "PV005",
        "already has a pending provision_contact_update request",
        chain(contact("alice-u1"), pending(CONTACT_UPDATE, handle="alice-u1", city="Y")),
    ),
    rule(
        "domain-delete-with-a-subordinate-host-another-domain-uses",
        DELETE,
        {"name": "glue.com"},
        "PV007",
        "domain 'glue.com' has the host 'ns1.glue.com' under it, which domain user.com names",
        chain(glue_host(), registered("user.com", nameservers=["ns1.glue.com"])),
    ),
    rule(
        "domain-update-new-host-not-among-nameservers",
        UPDATE,
        {
            "name": "glue.com",
            "nameservers": ["ns1.other.net", "ns2.other.net"],
            "new_hosts": Jsonb({"ns3.glue.com": ["192.0.2.3"]}),
        },
        "PV008",
        "new_hosts: 'ns3.glue.com' is not among nameservers",
        registered("glue.com"),
        column="new_hosts",
    ),
    rule(
        "domain-update-new-host-not-under-the-domain",
        UPDATE,
        {
            "name": "glue.com",
            "nameservers": ["ns1.other.com", "ns2.other.net"],
            "new_hosts": Jsonb({"ns1.other.com": ["192.0.2.3"]}),
        },
        "PV008",
        "new_hosts: 'ns1.other.com' is not under domain 'glue.com'",
        registered("glue.com"),
    ),
    rule(
        "domain-update-new-host-exists",
        UPDATE,
        {
            "name": "glue.com",
            "nameservers": ["ns1.glue.com", "ns2.other.net"],
            "new_hosts": Jsonb({"ns1.glue.com": ["192.0.2.3"]}),
        },
        "PV005",
        "new_hosts: host 'ns1.glue.com' already exists",
        glue_host(),
    ),
    rule(
        "domain-update-new-host-without-addresses",
        UPDATE,
        {
            "name": "glue.com",
            "nameservers": ["ns1.glue.com", "ns2.other.net"],
            "new_hosts": Jsonb({"ns1.glue.com": []}),
        },
        "PV008",
        "needs a list of at least one address",
        registered("glue.com"),
    ),
    rule(
        "domain-update-new-host-bad-address",
        UPDATE,
        {
            "name": "glue.com",
            "nameservers": ["ns1.glue.com", "ns2.other.net"],
            "new_hosts": Jsonb({"ns1.glue.com": ["not-an-ip"]}),
        },
        "PV008",
        "has an address that is not an IP address",
        registered("glue.com"),
    ),
]


@pytest.mark.parametrize("case", RULES)
def test_an_invalid_request_is_rejected_and_writes_nothing(db: Conn, case: Rule) -> None:
    case.setup(db)
    before = counts(db)

    with pytest.raises(psycopg.Error) as raised:
        insert_provision(db, case.table, **case.params)

    error = raised.value
    assert error.sqlstate == case.sqlstate, error.diag.message_primary
    assert case.message in (error.diag.message_primary or ""), error.diag.message_primary
    if case.column is not None:
        assert error.diag.column_name == case.column
    assert counts(db) == before


@pytest.mark.parametrize(
    "table",
    [
        pytest.param(D, id="domain"),
        pytest.param(CONTACT, id="contact"),
        pytest.param(SSL, id="ssl"),
    ],
)
def test_a_duplicate_request_id_is_a_unique_violation(db: Conn, table: str) -> None:
    params: dict[str, Any] = {
        D: {"name": "dup.com"},
        CONTACT: A_CONTACT,
        SSL: {"common_name": "dup.example.com"},
    }[table]
    if table == SSL:
        register_domain(db, "example.com")
    first = insert_provision(db, table, **params)
    before = counts(db)

    # the replay checks the request_id before anything else: even a request that
    # would now fail validation (name taken, handle pending) is a duplicate
    with pytest.raises(psycopg.errors.UniqueViolation) as raised:
        insert_provision(db, table, request_id=first["request_id"], **params)

    assert raised.value.sqlstate == "23505"
    message = raised.value.diag.message_primary or ""
    assert f"duplicate request: request_id {first['request_id']} already exists in {table}" in (
        message
    )
    assert counts(db) == before
    assert provision(db, first["request_id"])["id"] == first["id"]


def test_a_duplicate_request_id_wins_over_a_validation_error(db: Conn) -> None:
    first = insert_provision(db, D, name="dup.com")
    with pytest.raises(psycopg.errors.UniqueViolation):
        insert_provision(db, D, request_id=first["request_id"], name="not valid!")


def test_names_are_normalised_before_the_rules_apply(db: Conn) -> None:
    register_domain(db, "taken.com")
    with pytest.raises(psycopg.Error) as raised:
        insert_provision(db, D, name=" TAKEN.Com. ")
    assert raised.value.sqlstate == "PV005"


@pytest.mark.parametrize(
    ("names", "refused"),
    [
        pytest.param(("shop.example.com", []), None, id="a-name-under-a-held-domain"),
        pytest.param(("example.com", ["*.example.com"]), None, id="the-domain-and-a-wildcard"),
        pytest.param(("elsewhere.com", []), "'elsewhere.com'", id="a-name-held-nowhere"),
        pytest.param(("www.bobs.com", []), "'www.bobs.com'", id="another-tenants-domain"),
        pytest.param(
            ("example.com", ["www.example.com", "x.bobs.com"]),
            "'x.bobs.com'",
            id="one-san-not-held",
        ),
        pytest.param(("notexample.com", []), "'notexample.com'", id="a-suffix-is-not-a-label"),
        pytest.param(("gone.com", []), "'gone.com'", id="a-domain-in-redemption"),
    ],
)
def test_a_certificate_is_only_for_names_the_tenant_customer_holds(
    db: Conn, names: tuple[str, list[str]], refused: str | None
) -> None:
    register_domain(db, "example.com")
    register_domain(db, "bobs.com", tenant_customer_id=BOB)
    register_domain(db, "gone.com")
    db.execute("UPDATE domain SET status = 'redemption' WHERE name = 'gone.com'")
    common_name, sans = names
    if refused is None:
        row = insert_provision(db, SSL, common_name=common_name, sans=sans)
        assert row["status"] == "pending"
        return
    before = counts(db)
    with pytest.raises(psycopg.Error) as raised:
        insert_provision(db, SSL, common_name=common_name, sans=sans)
    assert raised.value.sqlstate == "PV006"
    assert raised.value.diag.message_primary == (
        f"{refused} is neither a domain this tenant_customer holds nor a name under one"
    )
    assert counts(db) == before


def test_the_columns_the_system_owns_are_reset_whatever_the_inserter_sent(db: Conn) -> None:
    """id is the backend's idempotency key: a requester (or anyone inserting directly)
    cannot choose it, nor a status, a result or the audit columns."""
    chosen = uuid.uuid4()
    request_id = uuid.uuid4()
    db.execute(
        "INSERT INTO provision_domain (id, request_id, tenant_customer_id, accreditation_id,"
        " name, status_id, result_message, result_data, roid, attempt_count, created_by)"
        " VALUES (%(id)s, %(request_id)s, %(tenant)s, %(accreditation)s, 'chosen-id.com',"
        " tc_id_from_name('provision_status', 'completed'), 'done', '{\"x\": 1}', 'R-1', 7,"
        " 'somebody')",
        {
            "id": chosen,
            "request_id": request_id,
            "tenant": ALICE,
            "accreditation": ALPHA_REGISTRY_ID,
        },
    )
    row = fetch_one(
        db, "SELECT * FROM provision_domain WHERE request_id = %(r)s", {"r": request_id}
    )
    assert row["id"] != chosen
    assert scalar(
        db, "SELECT name FROM provision_status WHERE id = %(s)s", {"s": row["status_id"]}
    ) == ("pending")
    assert (row["result_message"], row["result_data"], row["roid"], row["attempt_count"]) == (
        None,
        None,
        None,
        0,
    )
    assert row["created_by"] == scalar(db, "SELECT session_user")
    job = fetch_one(db, "SELECT reference_id FROM job WHERE id = %(j)s", {"j": row["job_id"]})
    assert job["reference_id"] == row["id"]
