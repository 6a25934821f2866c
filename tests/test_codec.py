"""The Avro codec, the schemas' compatibility, and building requests. No services needed."""

from __future__ import annotations

import io
import json
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastavro import schemaless_writer

from provisioning.errors import DecodeError, InvalidRequest, UnknownSchemaError
from schemas.codec import MAGIC, RegistryCodec, SingleObjectCodec, schema_fingerprint
from schemas.registry import TOP_LEVEL, canonical_form, current, expanded, released
from schemas.requests import (
    ACTIONS,
    ORDER_STATUS,
    OUTCOME,
    REQUEST,
    build_request,
    object_key,
    to_avro,
)

TENANT_CUSTOMER = "30000000-0000-4000-8000-000000000001"

# --- an independent CRC-64-AVRO, written from the Avro specification ----------
EMPTY = 0xC15D213AA4D7A795


def _table() -> list[int]:
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (EMPTY & -(fp & 1))
        table.append(fp)
    return table


FP_TABLE = _table()


def rabin64(data: bytes) -> int:
    fp = EMPTY
    for byte in data:
        fp = (fp >> 8) ^ FP_TABLE[(fp ^ byte) & 0xFF]
    return fp


@pytest.mark.parametrize(
    ("canonical", "signed"),
    [  # the Avro project's published vectors (share/test/data/schema-tests.txt)
        ('"null"', 7195948357588979594),
        ('"boolean"', -6970731678124411036),
        ('"int"', 8247732601305521295),
        ('{"name":"foo","type":"fixed","size":15}', 1756455273707447556),
    ],
)
def test_reference_rabin_matches_published_vectors(canonical: str, signed: int) -> None:
    assert rabin64(canonical.encode()) == signed & 0xFFFF_FFFF_FFFF_FFFF


@pytest.mark.parametrize("record", TOP_LEVEL)
def test_header_is_magic_and_spec_fingerprint(record: str) -> None:
    expected = rabin64(canonical_form(current(record)).encode()).to_bytes(8, "little")
    assert schema_fingerprint(current(record)) == expected
    data = SingleObjectCodec().encode(record, _datum(record), "t")
    assert data[:2] == MAGIC == b"\xc3\x01"
    assert data[2:10] == expected


# --- round trips ---------------------------------------------------------------
PAYLOADS: dict[str, dict[str, Any]] = {
    "provision_domain": {
        "name": "example.com",
        "registration_period": 2,
        "registrant": "REG-1",
        "nameservers": ["ns1.example.net", "ns2.example.net"],
    },
    "provision_domain_renew": {
        "name": "example.com",
        "period": 1,
        "current_expiry_date": date(2027, 3, 1),
    },
    "provision_domain_transfer": {"name": "example.org", "pw": "Xy7#authcode", "period": 1},
    "provision_domain_restore": {"name": "example.com", "restore_report": '{"reason": "x"}'},
    "provision_domain_delete": {"name": "example.com"},
    "provision_domain_transfer_action": {"name": "example.org", "op": "cancel"},
    "provision_domain_update": {
        "name": "example.com",
        "nameservers": ["ns3.example.net"],
        "add_locks": ["clientTransferProhibited"],
    },
    "provision_contact": {
        "handle": "JD-1001",
        "name": "Jane Doe",
        "email": "jane@example.com",
        "phone": "+1.5555550100",
        "city": "Springfield",
        "country_code": "US",
    },
    "provision_host": {"name": "ns1.example.com", "addresses": ["192.0.2.1", "2001:db8::1"]},
    "provision_ssl": {
        "common_name": "www.example.com",
        "sans": ["example.com"],
        "validity_days": 90,
    },
    "provision_host_update": {"name": "ns1.example.com", "addresses": ["192.0.2.2"]},
    "provision_host_delete": {"name": "ns1.example.com"},
    "provision_contact_update": {"handle": "JD-1001", "email": "jd@example.com", "pw": "N3w!code"},
    "provision_contact_delete": {"handle": "JD-1001"},
}


def _request(action: str = "provision_domain", **extra: Any) -> dict[str, Any]:
    return {
        "action": action,
        "tenant_customer_id": TENANT_CUSTOMER,
        "accreditation": "alpha-registry",
        "payload": PAYLOADS[action],
        **extra,
    }


def _datum(record: str) -> dict[str, Any]:
    if record == REQUEST:
        return to_avro(build_request(_request()))
    if record == ORDER_STATUS:
        return {
            "event_id": "40000000-0000-4000-8000-000000000003",
            "order_id": "40000000-0000-4000-8000-000000000004",
            "tenant_customer_id": TENANT_CUSTOMER,
            "status": "failed",
            "plans": [
                {
                    "plan_id": "40000000-0000-4000-8000-000000000005",
                    "order_item_id": "40000000-0000-4000-8000-000000000006",
                    "product": "domain",
                    "item_action": "create",
                    "object_name": "example.com",
                    "action": "provision_domain",
                    "stage": 1,
                    "status": "failed",
                    "message": "domain example.com is not available: it is registered",
                }
            ],
            "occurred_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        }
    return {
        "event_id": "40000000-0000-4000-8000-000000000001",
        "request_id": "40000000-0000-4000-8000-000000000002",
        "action": "provision_domain",
        "status": "completed",
        "occurred_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    }


def test_payloads_cover_every_action() -> None:
    assert set(PAYLOADS) == set(ACTIONS)


@pytest.mark.parametrize("action", ACTIONS)
def test_round_trip_keeps_action_and_payload(action: str) -> None:
    codec = SingleObjectCodec()
    datum = build_request(_request(action, order_metadata={"order_id": "o-1"}))
    decoded = codec.decode(REQUEST, codec.encode(REQUEST, to_avro(datum), "t"), "t")
    assert decoded["action"] == action
    assert {k: decoded["payload"][k] for k in PAYLOADS[action]} == PAYLOADS[action]
    assert str(decoded["request_id"]) == datum["request_id"]
    assert decoded["order_metadata"] == {"order_id": "o-1"}


def test_message_written_with_v1_decodes_with_current_reader() -> None:
    v1 = released(REQUEST)[1]
    assert "provision_contact" not in json.dumps(v1)  # v1 really is the older schema
    datum = build_request(_request("provision_domain_renew"))
    buffer = io.BytesIO()
    buffer.write(MAGIC + schema_fingerprint(v1))
    schemaless_writer(buffer, v1, to_avro(datum))
    decoded = SingleObjectCodec().decode(REQUEST, buffer.getvalue(), "t")
    assert decoded["action"] == "provision_domain_renew"
    assert decoded["payload"]["current_expiry_date"] == date(2027, 3, 1)
    assert str(decoded["request_id"]) == datum["request_id"]


def test_message_written_with_v2_decodes_with_current_reader() -> None:
    v2 = released(REQUEST)[2]
    assert "provision_host_update" not in json.dumps(v2)
    datum = build_request(_request("provision_domain_update"))
    buffer = io.BytesIO()
    buffer.write(MAGIC + schema_fingerprint(v2))
    schemaless_writer(buffer, v2, to_avro(datum))
    decoded = SingleObjectCodec().decode(REQUEST, buffer.getvalue(), "t")
    assert decoded["action"] == "provision_domain_update"
    assert decoded["payload"]["nameservers"] == ["ns3.example.net"]
    assert decoded["payload"]["new_hosts"] == {}  # the field v3 added, at its default


def test_glue_of_a_domain_update_round_trips() -> None:
    payload = {
        "name": "example.com",
        "nameservers": ["ns1.example.com", "ns2.example.net"],
        "new_hosts": {"ns1.example.com": ["192.0.2.1", "2001:db8::1"]},
    }
    codec = SingleObjectCodec()
    datum = build_request({**_request("provision_domain_update"), "payload": payload})
    decoded = codec.decode(REQUEST, codec.encode(REQUEST, to_avro(datum), "t"), "t")
    assert decoded["payload"]["new_hosts"] == payload["new_hosts"]


# --- bad bytes -----------------------------------------------------------------
def _encoded_request() -> bytes:
    return SingleObjectCodec().encode(REQUEST, _datum(REQUEST), "t")


@pytest.mark.parametrize(
    "data",
    [b"", b"not avro at all", b"\xc3\x01\x00", b"\x00\x00\x00\x00\x01garbage"],
    ids=["empty", "text", "short-header", "confluent-framing"],
)
def test_bytes_without_the_header_are_a_decode_error(data: bytes) -> None:
    with pytest.raises(DecodeError, match="single-object"):
        SingleObjectCodec().decode(REQUEST, data, "t")


def test_corrupt_body_is_a_decode_error() -> None:
    data = _encoded_request()
    with pytest.raises(DecodeError, match="corrupt"):
        SingleObjectCodec().decode(REQUEST, data[:10] + b"\xff" * 40, "t")


def test_truncated_body_is_a_decode_error() -> None:
    data = _encoded_request()
    with pytest.raises(DecodeError, match="corrupt"):
        SingleObjectCodec().decode(REQUEST, data[: len(data) - 12], "t")


def test_unknown_fingerprint_is_an_unknown_schema_error() -> None:
    data = _encoded_request()
    with pytest.raises(UnknownSchemaError, match="fingerprint"):
        SingleObjectCodec().decode(REQUEST, MAGIC + b"\x01" * 8 + data[10:], "t")


def test_outcome_decoded_as_request_is_a_decode_error() -> None:
    codec = SingleObjectCodec()
    data = codec.encode(OUTCOME, _datum(OUTCOME), "t")
    with pytest.raises(DecodeError, match="expected a ProvisionRequest") as info:
        codec.decode(REQUEST, data, "t")
    assert not isinstance(info.value, UnknownSchemaError)


# --- schema evolution ----------------------------------------------------------
@pytest.mark.parametrize("record", TOP_LEVEL)
def test_current_schema_is_released(record: str) -> None:
    versions = released(record)
    assert versions, f"{record} has no released version: run `python -m schemas.release`"
    latest = max(versions)
    assert canonical_form(expanded(record)) == canonical_form(versions[latest]), (
        f"{record} changed since v{latest}: run `python -m schemas.release`"
    )


# --- building requests -----------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tenant_customer_id": "not-a-uuid"}, "tenant_customer_id"),
        ({"tenant_customer_id": None}, "tenant_customer_id"),
        ({"request_id": "12345"}, "request_id"),
        ({"order_item_plan_ids": ["nope"]}, "order_item_plan_ids"),
        ({"order_item_plan_ids": "40000000-0000-4000-8000-000000000001"}, "order_item_plan_ids"),
        ({"action": "provision_pony"}, "action"),
        ({"action": None}, "action"),
        ({"accreditation": ""}, "accreditation"),
        ({"payload": None}, "payload"),
        ({"payload": "example.com"}, "payload"),
        ({"order_metadata": ["x"]}, "order_metadata"),
        ({"requested_at": "yesterday"}, "requested_at"),
    ],
)
def test_build_request_names_the_bad_field(change: dict[str, Any], field: str) -> None:
    request = {**_request(), **change}
    with pytest.raises(InvalidRequest, match=field):
        build_request({k: v for k, v in request.items() if v is not None})


def test_build_request_fills_defaults() -> None:
    datum = build_request(_request())
    assert datum["order_item_plan_ids"] == []
    assert datum["order_metadata"] == {}
    assert datum["requested_at"].tzinfo is not None
    assert build_request(datum)["request_id"] == datum["request_id"]


@pytest.mark.parametrize(
    ("action", "payload", "key"),
    [
        ("provision_domain", {"name": "Example.COM."}, "domain:example.com"),
        ("provision_domain_renew", {"name": " example.com "}, "domain:example.com"),
        ("provision_host", {"name": "NS1.Example.com."}, "host:ns1.example.com"),
        ("provision_ssl", {"common_name": "WWW.Example.com"}, "ssl:www.example.com"),
        ("provision_contact", {"handle": "JD-1001"}, "contact:JD-1001"),
        ("provision_contact", {"handle": None}, "contact:req-1"),
    ],
)
def test_object_key(action: str, payload: dict[str, Any], key: str) -> None:
    assert object_key(ACTIONS[action], payload, "req-1") == key


# --- the Confluent wire format -------------------------------------------------------
@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local port that records whether anything connected to it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sock.setblocking(False)
        yield sock


def _connected(sock: socket.socket) -> bool:
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


def test_registry_codec_rejects_bytes_without_magic_byte_offline(
    listener: socket.socket,
) -> None:
    codec = RegistryCodec(f"http://127.0.0.1:{listener.getsockname()[1]}")
    with pytest.raises(DecodeError, match="magic byte"):
        codec.decode(REQUEST, _encoded_request(), "t")
    with pytest.raises(DecodeError, match="magic byte"):
        codec.decode(REQUEST, b"\x00\x01", "t")
    assert not _connected(listener), "RegistryCodec contacted the registry before being used"
