"""Every provision type end to end: insert -> job with the executor's data -> claim
-> complete -> provision completed, object created or changed, one outbox row."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.db.helpers import (
    ALICE,
    ALPHA_COM,
    ALPHA_DEV,
    ALPHA_REGISTRY,
    ALPHA_REGISTRY_ID,
    ALPHA_SSL,
    ALPHA_SSL_ID,
    BOB,
    OWNER,
    TRACEPARENT,
    Conn,
    Row,
    claim_job,
    complete,
    create_contact,
    delete_domain,
    domain,
    fetch_all,
    fetch_one,
    insert_provision,
    job,
    outbox,
    provision,
    provision_and_complete,
    provision_row,
    register_domain,
    scalar,
)

pytestmark = [pytest.mark.postgres]

BASE_KEYS = {
    "provision_id",
    "provision_table",
    "request_id",
    "action",
    "object",
    "accreditation",
    "accreditation_id",
    "tenant_customer_id",
    "order_metadata",
    "traceparent",
}


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass
class Prepared:
    """What a case inserts, what its job must carry, what the executor reports."""

    params: dict[str, Any]
    data: dict[str, Any]  # expected subset of job.data (besides the base keys)
    result: dict[str, Any]
    message_key: str | None = None  # None: the order id of order_metadata
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    table: str
    action: str
    object: str
    prepare: Callable[[Conn], Prepared]
    check: Callable[[Conn, Row, Prepared], None]


# --- provision_domain ---------------------------------------------------------------


def prepare_domain(conn: Conn) -> Prepared:
    create_contact(conn, "alice-reg")
    create_contact(conn, "alice-adm")
    return Prepared(
        params={
            "name": " Create-Me.COM. ",
            "registration_period": 2,
            "pw": "Auth-Code-1",
            "registrant": "alice-reg",
            "admin_contact": "alice-adm",
            "tech_contact": "alice-adm",
            "nameservers": ["NS1.Example.NET", "ns2.example.net."],
        },
        data={
            "name": "create-me.com",
            "tld": "com",
            "period": 2,
            "auth_info": "Auth-Code-1",
            "contacts": {
                "registrant": "alice-reg",
                "admin": "alice-adm",
                "tech": "alice-adm",
                "billing": None,
            },
            "nameservers": ["ns1.example.net", "ns2.example.net"],
        },
        result={"roid": "D100-COM", "created_date": "2024-05-01T10:00:00+00:00"},
    )


def check_domain(conn: Conn, done: Row, prepared: Prepared) -> None:
    d = domain(conn, "create-me.com")
    assert d["tenant_customer_id"] == ALICE
    assert d["accreditation_tld_id"] == ALPHA_COM
    assert d["status"] == "ok"
    assert d["roid"] == "D100-COM"
    assert d["auth_info"] == "Auth-Code-1"
    assert d["ry_created_date"] == _ts("2024-05-01T10:00:00+00:00")
    # expiry defaults to created + registration_period
    assert d["ry_expiry_date"] == _ts("2026-05-01T10:00:00+00:00")
    assert d["nameservers"] == ["ns1.example.net", "ns2.example.net"]
    assert (d["registrant"], d["admin_contact"], d["tech_contact"], d["billing_contact"]) == (
        "alice-reg",
        "alice-adm",
        "alice-adm",
        None,
    )
    p = provision_row(conn, "provision_domain", done["id"])
    assert p["is_complete"] is True
    assert p["ry_expiry_date"] == d["ry_expiry_date"]
    assert done["roid"] == "D100-COM"


# --- provision_domain_renew ---------------------------------------------------------


def prepare_renew(conn: Conn) -> Prepared:
    d = register_domain(conn, "renew-me.com")
    expiry = d["ry_expiry_date"]
    return Prepared(
        params={"name": "renew-me.com", "period": 3},
        data={
            "name": "renew-me.com",
            "tld": "com",
            "roid": "D-renew-me.com",
            "period": 3,
            "current_expiry_date": expiry.astimezone(UTC).date().isoformat(),
        },
        result={"updated_date": "2025-02-03T04:05:06+00:00"},
        context={"expiry": expiry},
    )


def check_renew(conn: Conn, done: Row, prepared: Prepared) -> None:
    d = domain(conn, "renew-me.com")
    expected = scalar(
        conn,
        "SELECT %(old)s::TIMESTAMPTZ + INTERVAL '3 years'",
        {"old": prepared.context["expiry"]},
    )
    assert d["ry_expiry_date"] == expected
    assert d["ry_updated_date"] == _ts("2025-02-03T04:05:06+00:00")
    p = provision_row(conn, "provision_domain_renew", done["id"])
    assert p["ry_expiry_date"] == expected
    assert p["domain_id"] == d["id"]
    assert done["roid"] == "D-renew-me.com"


# --- provision_domain_transfer ------------------------------------------------------


def prepare_transfer_existing(conn: Conn) -> Prepared:
    d = register_domain(
        conn, "move-me.com", tenant_customer_id=BOB, nameservers=["ns1.bob.net", "ns2.bob.net"]
    )
    return Prepared(
        params={"name": "move-me.com", "pw": "Xfer-Code-9"},
        data={"name": "move-me.com", "tld": "com", "period": 1, "auth_info": "Xfer-Code-9"},
        result={"roid": "D-MOVED", "transfer_date": "2025-03-01T00:00:00+00:00"},
        context={"domain": d},
    )


def check_transfer_existing(conn: Conn, done: Row, prepared: Prepared) -> None:
    before = prepared.context["domain"]
    d = domain(conn, "move-me.com")
    assert d["id"] == before["id"]  # the row moved, no second domain
    assert d["tenant_customer_id"] == ALICE
    assert d["roid"] == "D-MOVED"
    assert d["auth_info"] == "Xfer-Code-9"
    assert d["ry_transfered_date"] == _ts("2025-03-01T00:00:00+00:00")
    assert d["nameservers"] == ["ns1.bob.net", "ns2.bob.net"]  # not in the result: kept
    expected = scalar(
        conn,
        "SELECT %(old)s::TIMESTAMPTZ + INTERVAL '1 year'",
        {"old": before["ry_expiry_date"]},
    )
    assert d["ry_expiry_date"] == expected  # .com transfer adds one year
    p = provision_row(conn, "provision_domain_transfer", done["id"])
    assert p["domain_id"] == d["id"]
    assert p["ry_expiry_date"] == expected
    assert done["roid"] == "D-MOVED"
    assert scalar(conn, "SELECT count(*) FROM domain WHERE name = 'move-me.com'") == 1


def prepare_transfer_new(conn: Conn) -> Prepared:
    return Prepared(
        params={"name": "arrive.dev", "pw": "Xfer-Code-0", "order_metadata": {"channel": "api"}},
        data={
            "name": "arrive.dev",
            "tld": "dev",
            "period": 0,  # .dev: transfer_period 0..0
            "auth_info": "Xfer-Code-0",
        },
        result={
            "roid": "D-ARRIVED",
            "created_date": "2020-01-01T00:00:00+00:00",
            "expiry_date": "2027-01-01T00:00:00+00:00",
            "nameservers": ["ns1.arrive.net"],
        },
    )


def check_transfer_new(conn: Conn, done: Row, prepared: Prepared) -> None:
    d = domain(conn, "arrive.dev")
    assert d["tenant_customer_id"] == ALICE
    assert d["accreditation_tld_id"] == ALPHA_DEV
    assert d["roid"] == "D-ARRIVED"
    assert d["ry_created_date"] == _ts("2020-01-01T00:00:00+00:00")
    assert d["ry_expiry_date"] == _ts("2027-01-01T00:00:00+00:00")
    assert d["ry_transfered_date"] is not None
    assert d["nameservers"] == ["ns1.arrive.net"]
    assert d["auth_info"] == "Xfer-Code-0"
    assert provision_row(conn, "provision_domain_transfer", done["id"])["domain_id"] == d["id"]


# --- provision_domain_restore -------------------------------------------------------

REPORT = {
    "pre_data": "whois before",
    "post_data": "whois after",
    "delete_time": "2025-01-01T00:00:00Z",
    "restore_time": "2025-01-05T00:00:00Z",
    "reason": "deleted by mistake",
    "statements": ["true", "true"],
}


def prepare_restore(conn: Conn) -> Prepared:
    register_domain(conn, "bring-back.org")
    deleted = delete_domain(conn, "bring-back.org")
    assert deleted["status"] == "redemption"
    return Prepared(
        params={"name": "bring-back.org", "restore_report": REPORT},
        data={
            "name": "bring-back.org",
            "tld": "org",
            "roid": "D-bring-back.org",
            "restore_report": REPORT,
        },
        result={"expiry_date": "2030-01-01T00:00:00+00:00"},
        context={"domain": deleted},
    )


def check_restore(conn: Conn, done: Row, prepared: Prepared) -> None:
    d = domain(conn, "bring-back.org")
    assert d["id"] == prepared.context["domain"]["id"]
    assert d["status"] == "ok"
    assert d["redemption_end_date"] is None
    assert d["deleted_date"] is None
    assert d["ry_expiry_date"] == _ts("2030-01-01T00:00:00+00:00")
    p = provision_row(conn, "provision_domain_restore", done["id"])
    assert p["ry_expiry_date"] == _ts("2030-01-01T00:00:00+00:00")
    assert done["roid"] == "D-bring-back.org"


# --- provision_domain_delete --------------------------------------------------------


def prepare_delete_com(conn: Conn) -> Prepared:
    register_domain(conn, "drop-me.com")
    return Prepared(
        params={"name": "drop-me.com"},
        data={"name": "drop-me.com", "tld": "com", "roid": "D-drop-me.com"},
        result={},
    )


def check_delete_com(conn: Conn, done: Row, prepared: Prepared) -> None:
    d = domain(conn, "drop-me.com")  # still live: in redemption
    assert d["status"] == "redemption"
    assert d["deleted_date"] is not None
    in_30_days = scalar(
        conn,
        "SELECT %(end)s::TIMESTAMPTZ - %(done)s::TIMESTAMPTZ",
        {"end": d["redemption_end_date"], "done": done["provisioned_date"]},
    )
    assert in_30_days == timedelta(days=30)
    p = provision_row(conn, "provision_domain_delete", done["id"])
    assert p["redemption_end_date"] == d["redemption_end_date"]
    assert done["roid"] == "D-drop-me.com"


def prepare_delete_net(conn: Conn) -> Prepared:
    register_domain(conn, "drop-me.net", registration_period=2)
    return Prepared(
        params={"name": "drop-me.net"},
        data={"name": "drop-me.net", "tld": "net", "roid": "D-drop-me.net"},
        result={},
    )


def check_delete_net(conn: Conn, done: Row, prepared: Prepared) -> None:
    rows = fetch_all(conn, "SELECT * FROM domain WHERE name = 'drop-me.net'")
    assert [r["status"] for r in rows] == ["deleted"]  # .net has no redemption
    assert rows[0]["deleted_date"] is not None
    assert rows[0]["redemption_end_date"] is None
    assert provision_row(conn, "provision_domain_delete", done["id"])["redemption_end_date"] is None
    # the name is free at once
    assert register_domain(conn, "drop-me.net", registration_period=2)["status"] == "ok"


# --- provision_domain_update --------------------------------------------------------


def prepare_update(conn: Conn) -> Prepared:
    create_contact(conn, "alice-old")
    create_contact(conn, "alice-new")
    register_domain(
        conn,
        "change-me.com",
        registrant="alice-old",
        admin_contact="alice-old",
        nameservers=["ns1.old.net"],
        pw="Old-Auth-1",
    )
    return Prepared(
        params={
            "name": "change-me.com",
            "nameservers": ["ns1.new.net", "NS2.new.net"],
            "registrant": "alice-new",
            "pw": "New-Auth-1",
            "add_locks": ["clientTransferProhibited", "clientDeleteProhibited"],
        },
        data={
            "name": "change-me.com",
            "tld": "com",
            "roid": "D-change-me.com",
            "changes": {
                "nameservers": ["ns1.new.net", "ns2.new.net"],
                "contacts": {"registrant": "alice-new"},
                "auth_info": "New-Auth-1",
                "add_locks": ["clientTransferProhibited", "clientDeleteProhibited"],
            },
        },
        result={"updated_date": "2025-04-01T12:00:00+00:00"},
    )


def check_update(conn: Conn, done: Row, prepared: Prepared) -> None:
    d = domain(conn, "change-me.com")
    assert d["nameservers"] == ["ns1.new.net", "ns2.new.net"]
    assert d["registrant"] == "alice-new"
    assert d["admin_contact"] == "alice-old"  # not requested: unchanged
    assert d["auth_info"] == "New-Auth-1"
    assert sorted(d["locks"]) == ["clientDeleteProhibited", "clientTransferProhibited"]
    assert d["ry_updated_date"] == _ts("2025-04-01T12:00:00+00:00")
    assert done["roid"] == "D-change-me.com"


# --- provision_contact --------------------------------------------------------------


def prepare_contact(conn: Conn) -> Prepared:
    return Prepared(
        params={
            "handle": "Alice-01",
            "name": " Alice Example ",
            "organization": "Example Ltd",
            "email": "alice@example.net",
            "phone": "+1.5555550100",
            "fax": "+1 .555 5550101",
            "street1": "1 Main Street",
            "street2": "Suite 2",
            "city": "Springfield",
            "state_province": "IL",
            "postal_code": "62701",
            "country_code": "us",
            "pw": "Contact-Pw-1",
        },
        data={
            "handle": "Alice-01",
            "name": "Alice Example",
            "organization": "Example Ltd",
            "email": "alice@example.net",
            "phone": "+1.5555550100",
            "fax": "+1.5555550101",
            "address": {
                "street": ["1 Main Street", "Suite 2"],
                "city": "Springfield",
                "state_province": "IL",
                "postal_code": "62701",
                "country_code": "US",
            },
            "auth_info": "Contact-Pw-1",
        },
        result={"roid": "C-ALICE-01", "created_date": "2025-01-01T00:00:00+00:00"},
    )


def check_contact(conn: Conn, done: Row, prepared: Prepared) -> None:
    c = fetch_one(conn, "SELECT * FROM contact WHERE handle = 'Alice-01'")
    assert c["tenant_customer_id"] == ALICE
    assert c["accreditation_id"] == ALPHA_REGISTRY_ID
    assert c["roid"] == "C-ALICE-01"
    assert (c["name"], c["email"], c["country_code"], c["city"]) == (
        "Alice Example",
        "alice@example.net",
        "US",
        "Springfield",
    )
    assert (c["street1"], c["street2"], c["street3"]) == ("1 Main Street", "Suite 2", None)
    assert c["auth_info"] == "Contact-Pw-1"
    assert c["ry_created_date"] == _ts("2025-01-01T00:00:00+00:00")
    assert provision_row(conn, "provision_contact", done["id"])["contact_id"] == c["id"]
    assert done["roid"] == "C-ALICE-01"


# --- provision_host -----------------------------------------------------------------


def prepare_host(conn: Conn) -> Prepared:
    d = register_domain(conn, "hosting.com")
    return Prepared(
        params={"name": "NS1.Hosting.com", "addresses": ["192.0.2.10", "2001:db8::10"]},
        data={
            "name": "ns1.hosting.com",
            "addresses": ["192.0.2.10", "2001:db8::10"],
            "domain": "hosting.com",
        },
        result={"roid": "H-NS1", "created_date": "2025-01-01T00:00:00+00:00"},
        context={"domain": d},
    )


def check_host(conn: Conn, done: Row, prepared: Prepared) -> None:
    h = fetch_one(
        conn, "SELECT *, ARRAY(SELECT host(a) FROM unnest(addresses) a) AS texts FROM host"
    )
    assert h["name"] == "ns1.hosting.com"
    assert h["texts"] == ["192.0.2.10", "2001:db8::10"]
    assert h["domain_id"] == prepared.context["domain"]["id"]
    assert h["roid"] == "H-NS1"
    assert h["tenant_customer_id"] == ALICE
    assert provision_row(conn, "provision_host", done["id"])["host_id"] == h["id"]


def prepare_host_out_of_zone(conn: Conn) -> Prepared:
    return Prepared(
        params={"name": "ns1.elsewhere.example"},
        data={"name": "ns1.elsewhere.example", "addresses": [], "domain": None},
        result={"roid": "H-OUT"},
    )


def check_host_out_of_zone(conn: Conn, done: Row, prepared: Prepared) -> None:
    h = fetch_one(conn, "SELECT * FROM host")
    assert (h["name"], h["addresses"], h["domain_id"], h["roid"]) == (
        "ns1.elsewhere.example",
        [],
        None,
        "H-OUT",
    )


# --- provision_ssl ------------------------------------------------------------------


def prepare_ssl(conn: Conn) -> Prepared:
    register_domain(conn, "example.com")  # a certificate only for a name the tenant holds
    return Prepared(
        params={
            "common_name": "WWW.Example.com",
            "sans": ["example.com", "*.Example.com"],
            "validity_days": 90,
        },
        data={
            "common_name": "www.example.com",
            "sans": ["example.com", "*.example.com"],
            "csr_pem": None,
            "key_type": "ecdsa-p256",
            "validity_days": 90,
            "validation_method": "dns",
        },
        result={
            "serial": "0A1B2C",
            "not_before": "2025-01-01T00:00:00+00:00",
            "certificate_pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
            "chain_pem": "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----",
        },
    )


def check_ssl(conn: Conn, done: Row, prepared: Prepared) -> None:
    c = fetch_one(conn, "SELECT * FROM certificate")
    assert c["common_name"] == "www.example.com"
    assert c["sans"] == ["example.com", "*.example.com"]
    assert c["serial"] == "0A1B2C"
    assert c["accreditation_id"] == ALPHA_SSL_ID
    assert c["not_before"] == _ts("2025-01-01T00:00:00+00:00")
    assert c["not_after"] == _ts("2025-04-01T00:00:00+00:00")  # not_before + 90 days
    assert c["key_type"] == "ecdsa-p256"
    assert c["pem"] == prepared.result["certificate_pem"]
    assert c["chain_pem"] == prepared.result["chain_pem"]
    assert provision_row(conn, "provision_ssl", done["id"])["certificate_id"] == c["id"]


# --- provision_host_update / provision_host_delete -----------------------------------


def _host(conn: Conn, name: str) -> list[Row]:
    return fetch_all(
        conn,
        "SELECT *, ARRAY(SELECT host(a) FROM unnest(addresses) a) AS texts FROM host"
        " WHERE name = %(name)s",
        {"name": name},
    )


def prepare_host_update(conn: Conn) -> Prepared:
    register_domain(conn, "hostupd.com")
    provision_and_complete(
        conn, "provision_host", {"roid": "H-UPD"}, name="ns1.hostupd.com", addresses=["192.0.2.1"]
    )
    return Prepared(
        params={"name": "NS1.HostUpd.com.", "addresses": ["192.0.2.2", "2001:db8::2"]},
        data={"name": "ns1.hostupd.com", "addresses": ["192.0.2.2", "2001:db8::2"]},
        result={"roid": "H-UPD", "created_date": "2025-01-01T00:00:00+00:00"},
    )


def check_host_update(conn: Conn, done: Row, prepared: Prepared) -> None:
    [h] = _host(conn, "ns1.hostupd.com")
    assert h["texts"] == ["192.0.2.2", "2001:db8::2"]
    assert provision_row(conn, "provision_host_update", done["id"])["host_id"] == h["id"]


def prepare_host_delete(conn: Conn) -> Prepared:
    provision_and_complete(conn, "provision_host", {"roid": "H-DEL"}, name="ns1.hostdel.example")
    return Prepared(
        params={"name": "NS1.hostdel.example"},
        data={"name": "ns1.hostdel.example"},
        result={"roid": "H-DEL", "created_date": "2025-01-01T00:00:00+00:00"},
    )


def check_host_delete(conn: Conn, done: Row, prepared: Prepared) -> None:
    assert _host(conn, "ns1.hostdel.example") == []
    assert done["roid"] == "H-DEL"
    # the provision that created it stays, without its host
    created = fetch_one(
        conn, "SELECT host_id FROM provision_host WHERE name = 'ns1.hostdel.example'"
    )
    assert created["host_id"] is None


# --- provision_contact_update / provision_contact_delete -----------------------------


def _contact(conn: Conn, handle: str) -> list[Row]:
    return fetch_all(conn, "SELECT * FROM contact WHERE handle = %(h)s", {"h": handle})


def prepare_contact_update(conn: Conn) -> Prepared:
    create_contact(conn, "cupd-01")
    conn.execute(
        "UPDATE contact SET street1 = '1 Old Road', phone = '+1.5555550100'"
        " WHERE handle = 'cupd-01'"
    )
    return Prepared(
        params={
            "handle": "cupd-01",
            "email": " New@Example.net ",
            "city": "Shelbyville",
            "phone": "",
            "pw": "New-Contact-Pw-2",
        },
        data={
            "handle": "cupd-01",
            "changes": {
                "email": "New@Example.net",
                "phone": "",
                "auth_info": "New-Contact-Pw-2",
                "address": {
                    "street": ["1 Old Road"],
                    "city": "Shelbyville",
                    "state_province": None,
                    "postal_code": None,
                    "country_code": "US",
                },
            },
        },
        result={"roid": "C-cupd-01", "created_date": "2025-01-01T00:00:00+00:00"},
    )


def check_contact_update(conn: Conn, done: Row, prepared: Prepared) -> None:
    [c] = _contact(conn, "cupd-01")
    assert (c["email"], c["city"], c["phone"], c["street1"]) == (
        "New@Example.net",
        "Shelbyville",
        None,
        "1 Old Road",
    )
    assert (c["name"], c["country_code"]) == ("Contact cupd-01", "US")  # unchanged
    assert c["auth_info"] == "New-Contact-Pw-2"
    assert provision_row(conn, "provision_contact_update", done["id"])["contact_id"] == c["id"]


def prepare_contact_delete(conn: Conn) -> Prepared:
    create_contact(conn, "cdel-01")
    return Prepared(
        params={"handle": "cdel-01"},
        data={"handle": "cdel-01"},
        result={"roid": "C-cdel-01", "created_date": "2025-01-01T00:00:00+00:00"},
    )


def check_contact_delete(conn: Conn, done: Row, prepared: Prepared) -> None:
    assert _contact(conn, "cdel-01") == []
    assert done["roid"] == "C-cdel-01"
    assert provision_row(conn, "provision_contact_delete", done["id"])["contact_id"] is None


CASES = [
    pytest.param(
        Case("provision_domain", "create", "domain", prepare_domain, check_domain), id="domain"
    ),
    pytest.param(
        Case("provision_domain_renew", "renew", "domain", prepare_renew, check_renew), id="renew"
    ),
    pytest.param(
        Case(
            "provision_domain_transfer",
            "transfer_in",
            "domain",
            prepare_transfer_existing,
            check_transfer_existing,
        ),
        id="transfer-from-another-customer",
    ),
    pytest.param(
        Case(
            "provision_domain_transfer",
            "transfer_in",
            "domain",
            prepare_transfer_new,
            check_transfer_new,
        ),
        id="transfer-new-name",
    ),
    pytest.param(
        Case("provision_domain_restore", "restore", "domain", prepare_restore, check_restore),
        id="restore",
    ),
    pytest.param(
        Case("provision_domain_delete", "delete", "domain", prepare_delete_com, check_delete_com),
        id="delete-com-redemption",
    ),
    pytest.param(
        Case("provision_domain_delete", "delete", "domain", prepare_delete_net, check_delete_net),
        id="delete-net-final",
    ),
    pytest.param(
        Case("provision_domain_update", "update", "domain", prepare_update, check_update),
        id="update",
    ),
    pytest.param(
        Case("provision_contact", "create", "contact", prepare_contact, check_contact),
        id="contact",
    ),
    pytest.param(Case("provision_host", "create", "host", prepare_host, check_host), id="host"),
    pytest.param(
        Case("provision_host", "create", "host", prepare_host_out_of_zone, check_host_out_of_zone),
        id="host-out-of-zone",
    ),
    pytest.param(Case("provision_ssl", "create", "ssl", prepare_ssl, check_ssl), id="ssl"),
    pytest.param(
        Case("provision_host_update", "update", "host", prepare_host_update, check_host_update),
        id="host-update",
    ),
    pytest.param(
        Case("provision_host_delete", "delete", "host", prepare_host_delete, check_host_delete),
        id="host-delete",
    ),
    pytest.param(
        Case(
            "provision_contact_update",
            "update",
            "contact",
            prepare_contact_update,
            check_contact_update,
        ),
        id="contact-update",
    ),
    pytest.param(
        Case(
            "provision_contact_delete",
            "delete",
            "contact",
            prepare_contact_delete,
            check_contact_delete,
        ),
        id="contact-delete",
    ),
]

OBJECT_KEY = {"domain": "name", "host": "name", "contact": "handle", "ssl": "common_name"}


@pytest.mark.parametrize("with_order", [True, False], ids=["order-key", "object-key"])
@pytest.mark.parametrize("case", CASES)
def test_provision_runs_to_completion(db: Conn, case: Case, with_order: bool) -> None:
    prepared = case.prepare(db)
    plan_ids = [uuid.uuid4(), uuid.uuid4()]
    order_id = str(uuid.uuid4())
    metadata = dict(prepared.params.pop("order_metadata", None) or {})
    if with_order:
        metadata["order_id"] = order_id

    row = insert_provision(
        db,
        case.table,
        order_item_plan_ids=plan_ids,
        order_metadata=metadata or None,
        traceparent=TRACEPARENT,
        **prepared.params,
    )

    # the request is recorded, pending, with its job
    assert row["action"] == case.table
    assert row["status"] == "pending"
    assert row["job_id"] is not None
    assert row["order_item_plan_ids"] == plan_ids
    queued = job(db, row["job_id"])
    assert queued["type_name"] == case.table
    assert queued["status_name"] == "queued"
    assert queued["reference_id"] == row["id"]
    assert queued["attempts"] == 0
    assert queued["max_attempts"] == (10 if case.table == "provision_ssl" else 5)
    data = queued["data"]
    assert set(data) >= BASE_KEYS
    assert data["provision_id"] == str(row["id"])
    assert data["provision_table"] == case.table
    assert data["request_id"] == str(row["request_id"])
    assert (data["action"], data["object"]) == (case.action, case.object)
    accreditation = ALPHA_SSL if case.table == "provision_ssl" else ALPHA_REGISTRY
    assert data["accreditation"] == accreditation
    assert data["accreditation_id"] == str(row["accreditation_id"])
    assert data["tenant_customer_id"] == str(ALICE)
    assert data["order_metadata"] == (metadata or None)
    assert data["traceparent"] == TRACEPARENT
    for key, value in prepared.data.items():
        assert data[key] == value, key

    # an executor claims it ...
    claimed = claim_job(db, row["job_id"])
    assert claimed["type_name"] == case.table
    assert claimed["attempts"] == 1
    assert claimed["lease_owner"] == OWNER
    processing = provision(db, row["request_id"])
    assert (processing["status"], processing["attempt_count"]) == ("processing", 1)
    assert outbox(db, row["request_id"]) == []

    # ... and completes it
    assert complete(db, row["job_id"], OWNER, prepared.result, "done")
    finished = job(db, row["job_id"])
    assert finished["status_name"] == "completed"
    assert finished["end_date"] is not None
    done = provision(db, row["request_id"])
    assert done["status"] == "completed"
    assert done["provisioned_date"] is not None
    assert done["result_data"] == prepared.result
    assert done["result_message"] == "done"
    assert done["attempt_count"] == 1
    case.check(db, done, prepared)

    events = outbox(db, row["request_id"])
    assert len(events) == 1
    event = events[0]
    assert event["status"] == "completed"
    assert event["provision_id"] == row["id"]
    assert event["action"] == case.table
    assert event["order_item_plan_ids"] == plan_ids
    assert event["result_data"] == prepared.result
    assert event["result_message"] == "done"
    assert event["traceparent"] == TRACEPARENT
    assert event["sent_date"] is None
    if with_order:
        assert event["message_key"] == order_id
    else:
        key = data[OBJECT_KEY[case.object]]
        assert event["message_key"] == f"{case.object}:{key}"


def test_defaults_of_a_domain_create(db: Conn) -> None:
    """NULL period, pw and nameservers take their defaults; the result may be empty."""
    row = insert_provision(db, "provision_domain", name="defaults.com")
    data = job(db, row["job_id"])["data"]
    assert data["period"] == 1
    assert len(data["auth_info"]) == 16
    assert data["nameservers"] == []
    assert data["order_metadata"] is None
    assert data["traceparent"] is None
    claim_job(db, row["job_id"])
    assert complete(db, row["job_id"], OWNER, {})
    d = domain(db, "defaults.com")
    one_year = scalar(
        db,
        "SELECT %(e)s::TIMESTAMPTZ = %(c)s::TIMESTAMPTZ + INTERVAL '1 year'",
        {"e": d["ry_expiry_date"], "c": d["ry_created_date"]},
    )
    assert one_year is True
    assert d["auth_info"] == data["auth_info"]
    assert d["roid"] is None


def test_a_malformed_traceparent_is_dropped(db: Conn) -> None:
    row = insert_provision(db, "provision_domain", name="trace.com", traceparent="not-a-trace")
    assert row["traceparent"] is None
    assert job(db, row["job_id"])["data"]["traceparent"] is None


def test_insert_returning_shows_the_job_the_insert_created(db: Conn) -> None:
    request_id = uuid.uuid4()
    returned = fetch_one(
        db,
        "INSERT INTO provision_domain (request_id, tenant_customer_id, accreditation_id, name)"
        " VALUES (%(r)s, %(tc)s, accreditation_id_from_name('alpha-registry'), 'ret.com')"
        " RETURNING id, job_id",
        {"r": request_id, "tc": ALICE},
    )
    assert returned["job_id"] is not None
    assert provision(db, request_id)["job_id"] == returned["job_id"]
    assert job(db, returned["job_id"])["reference_id"] == returned["id"]


def test_a_contact_still_pending_can_be_used_by_a_domain(db: Conn) -> None:
    contact = insert_provision(
        db,
        "provision_contact",
        handle="alice-pend",
        name="Pending",
        email="p@example.net",
        city="X",
        country_code="DE",
    )
    assert contact["status"] == "pending"
    row = insert_provision(db, "provision_domain", name="uses-pending.com", registrant="alice-pend")
    assert job(db, row["job_id"])["data"]["contacts"]["registrant"] == "alice-pend"


def test_an_update_can_remove_every_nameserver_and_a_lock(db: Conn) -> None:
    register_domain(db, "strip.com", nameservers=["ns1.example.net", "ns2.example.net"])
    db.execute(
        "UPDATE domain SET locks = '{clientUpdateProhibited,clientHold}' WHERE name = 'strip.com'"
    )
    row = insert_provision(
        db,
        "provision_domain_update",
        name="strip.com",
        nameservers=[],
        remove_locks=["clientUpdateProhibited"],
    )
    changes = job(db, row["job_id"])["data"]["changes"]
    assert changes == {"nameservers": [], "remove_locks": ["clientUpdateProhibited"]}
    claim_job(db, row["job_id"])
    assert complete(db, row["job_id"], OWNER, {})
    d = domain(db, "strip.com")
    assert (d["nameservers"], d["locks"]) == ([], ["clientHold"])
