"""The poison corpus generator (tests/corpus.py) on its own: pure Python, no services."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from provisioning.errors import DecodeError
from schemas.codec import SingleObjectCodec
from schemas.requests import ACTIONS, REQUEST, build_request, object_key, to_avro
from tests.corpus import (
    DEAD_LETTER,
    DEAD_LETTER_KINDS,
    HANDLED,
    HANDLED_KINDS,
    INVALID_JSON,
    KINDS,
    RECORDED,
    CorpusError,
    CorpusMessage,
    generate,
    payload_schemas,
    raw_request,
    strings_in,
    verify,
    zigzag,
)

SEED = 1
ALICE = "30000000-0000-4000-8000-000000000001"
CONTACTS = ("registrant", "admin_contact", "tech_contact", "billing_contact")
LDH_COM = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.com$")

# What the poison-proofing test relies on being in every default-sized corpus.
REQUIRED_KINDS = (
    "good",
    "duplicate",
    "random-bytes",
    "empty-value",
    "null-value",
    "truncated-avro",
    "bad-magic",
    "unknown-fingerprint",
    "outcome-record",
    "bit-flip",
    "invalid-utf8",
    "nul-in-string",
    "control-chars",
    "bidi-marks",
    "emoji",
    "long-string",
    "big-string",
    "action-renew",
    "action-transfer",
    "action-restore",
    "action-delete",
    "action-update",
    "action-contact",
    "action-host",
    "action-ssl",
    "action-host_update",
    "action-host_delete",
    "action-contact_update",
    "action-contact_delete",
    "restore-deep-json",
    "restore-invalid-json",
    "period-extreme",
    "int-overflow",
    "timestamp-extreme",
    "date-extreme",
    "enum-out-of-range",
    "union-out-of-range",
    "action-mismatch",
    "plan-id-nul",
    "plan-id-not-uuid",
    "request-id-not-uuid",
    "hostile-key",
    "hostile-headers",
    "hostile-traceparent",
    "many-headers",
    "big-header",
)


def decode(value: bytes | None) -> dict[str, Any]:
    """Decode as ingest does; raises DecodeError (a None value is not a message)."""
    if value is None:
        raise DecodeError("no value")
    return SingleObjectCodec().decode(REQUEST, value)


def size(message: CorpusMessage) -> int:
    headers = sum(len(name.encode()) + len(value or b"") for name, value in message.headers)
    return len(message.key or b"") + len(message.value or b"") + headers


@pytest.fixture(scope="module")
def corpus() -> list[CorpusMessage]:
    return generate(SEED)


@pytest.fixture(scope="module")
def decoded(corpus: list[CorpusMessage]) -> list[dict[str, Any] | None]:
    """Each message's decoded request, None where the codec refuses it."""
    found: list[dict[str, Any] | None] = []
    for message in corpus:
        try:
            found.append(decode(message.value))
        except DecodeError:
            found.append(None)
    return found


def of_kind(
    corpus: list[CorpusMessage], decoded: list[dict[str, Any] | None], kind: str
) -> list[dict[str, Any]]:
    return [d for m, d in zip(corpus, decoded, strict=True) if m.kind == kind and d is not None]


# --- determinism and shape ------------------------------------------------------------------
def test_the_same_seed_gives_the_same_bytes(corpus: list[CorpusMessage]) -> None:
    assert generate(SEED) == corpus


def test_another_seed_gives_other_messages() -> None:
    first = generate(2, count=300, max_string_bytes=20_000)
    second = generate(3, count=300, max_string_bytes=20_000)
    assert first != second
    ids = {m.request_id for m in first if m.request_id}
    assert ids.isdisjoint(m.request_id for m in second if m.request_id)


@pytest.mark.parametrize("count", [0, 1, 7, 60, 250])
def test_count_is_exact(count: int) -> None:
    assert len(generate(4, count=count, max_string_bytes=10_000)) == count


def test_the_default_count_and_the_share_of_each_expect(corpus: list[CorpusMessage]) -> None:
    assert len(corpus) == 1200
    shares = {expect: n / len(corpus) for expect, n in Counter(m.expect for m in corpus).items()}
    assert set(shares) == {RECORDED, DEAD_LETTER, HANDLED}
    assert 0.35 <= shares[RECORDED] <= 0.45
    assert shares[DEAD_LETTER] >= 0.15
    assert shares[HANDLED] >= 0.25


def test_every_kind_occurs(corpus: list[CorpusMessage]) -> None:
    kinds = Counter(m.kind for m in corpus)
    assert set(REQUIRED_KINDS) <= set(KINDS)
    assert set(kinds) == set(KINDS)
    expects = {kind: {m.expect for m in corpus if m.kind == kind} for kind in kinds}
    assert all(expects[kind] == {DEAD_LETTER} for kind in DEAD_LETTER_KINDS)
    assert all(expects[kind] == {HANDLED} for kind in HANDLED_KINDS)
    assert expects["good"] == expects["duplicate"] == {RECORDED}


def test_the_corpus_stays_under_8_mb(corpus: list[CorpusMessage]) -> None:
    assert sum(size(m) for m in corpus) < 8_000_000


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="negative"):
        generate(1, count=-1)
    with pytest.raises(ValueError, match="max_string_bytes"):
        generate(1, max_string_bytes=10)


# --- labels ---------------------------------------------------------------------------------
def test_dead_letters_do_not_decode_and_every_other_message_does(
    corpus: list[CorpusMessage],
) -> None:
    for message in corpus:
        if message.expect == DEAD_LETTER:
            with pytest.raises(DecodeError):
                decode(message.value)
            assert message.request_id is None
        else:
            assert str(decode(message.value)["request_id"]) == message.request_id


def test_request_ids_are_unique_but_for_duplicates(corpus: list[CorpusMessage]) -> None:
    firsts = [m.request_id for m in corpus if m.request_id and m.kind != "duplicate"]
    assert len(firsts) == len(set(firsts))
    assert all(m.request_id for m in corpus if m.expect != DEAD_LETTER)


def test_duplicates_repeat_an_earlier_good_message(corpus: list[CorpusMessage]) -> None:
    good = sum(m.kind == "good" for m in corpus)
    duplicates = [i for i, m in enumerate(corpus) if m.kind == "duplicate"]
    assert 0.01 * good <= len(duplicates) <= 0.03 * good
    for index in duplicates:
        copy = corpus[index]
        first = next(m for m in corpus[:index] if m.request_id == copy.request_id)
        assert first.kind == "good"
        assert (first.key, first.value, first.headers) == (copy.key, copy.value, copy.headers)


def test_verify_catches_a_wrong_label(corpus: list[CorpusMessage]) -> None:
    dead = next(i for i, m in enumerate(corpus) if m.expect == DEAD_LETTER)
    relabelled = [*corpus]
    relabelled[dead] = replace(corpus[dead], expect=HANDLED)
    with pytest.raises(CorpusError, match="does not decode"):
        verify(relabelled)
    handled = next(i for i, m in enumerate(corpus) if m.expect == HANDLED)
    relabelled = [*corpus]
    relabelled[handled] = replace(corpus[handled], expect=DEAD_LETTER, request_id=None)
    with pytest.raises(CorpusError, match="decodes but"):
        verify(relabelled)
    good = next(m for m in corpus if m.kind == "good")
    with pytest.raises(CorpusError, match="used twice"):
        verify([*corpus, good])


# --- good requests --------------------------------------------------------------------------
def test_good_requests_are_valid_domain_creates_with_unique_names(
    corpus: list[CorpusMessage], decoded: list[dict[str, Any] | None]
) -> None:
    names = []
    for message, datum in zip(corpus, decoded, strict=True):
        if message.kind != "good":
            continue
        assert datum is not None
        payload = datum["payload"]
        assert datum["action"] == "provision_domain"
        assert set(payload) >= {"registration_period", "nameservers"}  # a DomainCreate
        assert str(datum["tenant_customer_id"]) == ALICE
        assert datum["accreditation"] == "alpha-registry"
        assert datum["order_item_plan_ids"] == []
        assert LDH_COM.match(payload["name"])
        assert payload["registration_period"] in (None, *range(1, 11))
        assert payload["pw"] is None or re.fullmatch(r"[!-~]{6,64}", payload["pw"])
        assert not any(payload[c] for c in CONTACTS)
        assert len(set(payload["nameservers"])) == len(payload["nameservers"]) <= 13
        action = ACTIONS["provision_domain"]
        assert message.key == object_key(action, payload, message.request_id).encode()
        names.append(payload["name"])
    assert len(names) == len(set(names))
    others = {
        text
        for message, datum in zip(corpus, decoded, strict=True)
        if datum is not None and message.expect != RECORDED
        for text in strings_in(datum["payload"])
    }
    assert others.isdisjoint(names)


def test_good_requests_carry_producer_headers_on_some(corpus: list[CorpusMessage]) -> None:
    good = [dict(m.headers) for m in corpus if m.kind == "good"]
    traced = [h["traceparent"] for h in good if "traceparent" in h]
    assert 0 < len(traced) < len(good)
    assert all(re.fullmatch(rb"00-[0-9a-f]{32}-[0-9a-f]{16}-01", t or b"") for t in traced)


# --- the hostile parts ----------------------------------------------------------------------
def test_hostile_strings_reach_every_string_field_of_a_domain_create(
    corpus: list[CorpusMessage], decoded: list[dict[str, Any] | None]
) -> None:
    poisoned: set[str] = set()
    for datum in of_kind(corpus, decoded, "nul-in-string"):
        poisoned |= {field for field in ("accreditation",) if "\x00" in datum[field]}
        poisoned |= {f"key:{k}" for k in datum["order_metadata"] if "\x00" in k}
        poisoned |= {f"value:{v}" for v in datum["order_metadata"].values() if "\x00" in v}
        for field, value in datum["payload"].items():
            if any("\x00" in text for text in strings_in(value)):
                poisoned.add(field)
    assert {p.split(":")[0] for p in poisoned} >= {
        "accreditation",
        "key",
        "value",
        "name",
        "pw",
        "registrant",
        "admin_contact",
        "tech_contact",
        "billing_contact",
        "nameservers",
    }


@pytest.mark.parametrize(
    ("kind", "pattern"),
    [
        ("control-chars", r"[\x01-\x1f\x7f-\x9f]"),
        ("bidi-marks", r"[\u200e\u200f\u202a-\u202e\u2066-\u2069\u0590-\u06ff]"),
        ("emoji", r"[\U0001f000-\U0001faff\u2764]"),
    ],
)
def test_each_hostile_kind_holds_its_characters(
    corpus: list[CorpusMessage], decoded: list[dict[str, Any] | None], kind: str, pattern: str
) -> None:
    datums = of_kind(corpus, decoded, kind)
    assert datums
    assert all(any(re.search(pattern, text) for text in strings_in(d)) for d in datums)


def test_invalid_utf8_is_dead_lettered(corpus: list[CorpusMessage]) -> None:
    for message in corpus:
        if message.kind == "invalid-utf8":
            with pytest.raises(DecodeError, match="UnicodeDecodeError"):
                decode(message.value)


def test_big_strings_reach_half_the_maximum_and_their_message_fits(
    corpus: list[CorpusMessage], decoded: list[dict[str, Any] | None]
) -> None:
    big = of_kind(corpus, decoded, "big-string")
    assert len(big) == 4
    longest = [max(len(text.encode()) for text in strings_in(d)) for d in big]
    assert all(500_000 <= n <= 1_000_000 for n in longest)
    assert all(size(m) <= 1_000_000 for m in corpus if m.kind == "big-string")


def test_big_strings_follow_the_arguments() -> None:
    small = generate(5, count=120, max_string_bytes=40_000, big_strings=3)
    big = [m for m in small if m.kind == "big-string"]
    assert len(big) == 3
    for message in big:
        assert size(message) <= 40_000
        assert max(len(t.encode()) for t in strings_in(decode(message.value))) >= 20_000
    none = generate(5, count=300, max_string_bytes=40_000, big_strings=0)
    assert all(m.kind != "big-string" for m in none)
    for message in none:
        if message.expect != DEAD_LETTER and message.kind != "restore-deep-json":
            assert all(len(t.encode()) <= 2048 for t in strings_in(decode(message.value)))


def test_every_action_has_its_payload(
    corpus: list[CorpusMessage], decoded: list[dict[str, Any] | None]
) -> None:
    for action in ACTIONS:
        if action == "provision_domain":
            continue
        kind = "action-" + action.removeprefix("provision_").removeprefix("domain_")
        datums = of_kind(corpus, decoded, kind)
        assert datums
        assert {d["action"] for d in datums} == {action}
        assert all(ACTIONS[action].key_field in d["payload"] for d in datums)


def test_restore_reports_are_deep_or_not_json(
    corpus: list[CorpusMessage], decoded: list[dict[str, Any] | None]
) -> None:
    deep = [d["payload"]["restore_report"] for d in of_kind(corpus, decoded, "restore-deep-json")]
    assert max(report.count("[") + report.count("{") for report in deep) >= 100_000
    invalid = of_kind(corpus, decoded, "restore-invalid-json")
    assert invalid
    for datum in invalid:
        report = datum["payload"]["restore_report"]
        # from the list (bad JSON, JSON but no object, or no jsonb), else raw control characters
        assert report in INVALID_JSON or re.search(r"[\x00-\x1f\x7f-\x9f]", report)
    assert any(not is_json(d["payload"]["restore_report"]) for d in invalid)


def is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def test_number_and_time_extremes(
    corpus: list[CorpusMessage], decoded: list[dict[str, Any] | None]
) -> None:
    periods = {
        value
        for d in of_kind(corpus, decoded, "period-extreme")
        for name, value in d["payload"].items()
        if name in ("registration_period", "period", "validity_days")
    }
    assert periods & {0, -1, 2**31 - 1}
    overflows = {
        value
        for d in of_kind(corpus, decoded, "int-overflow")
        for name, value in d["payload"].items()
        if name in ("registration_period", "period", "validity_days")
    }
    assert overflows
    assert all(not -(2**31) <= value < 2**31 for value in overflows)
    times = {d["requested_at"] for d in of_kind(corpus, decoded, "timestamp-extreme")}
    assert times & {
        datetime.min.replace(tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
    }
    for kind in ("timestamp-out-of-range", "date-out-of-range", "enum-out-of-range"):
        assert all(m.expect == DEAD_LETTER for m in corpus if m.kind == kind)


def test_action_and_payload_disagree_in_mismatches(
    corpus: list[CorpusMessage], decoded: list[dict[str, Any] | None]
) -> None:
    mismatches = of_kind(corpus, decoded, "action-mismatch")
    assert mismatches
    for datum in mismatches:
        record = payload_schemas()[ACTIONS[datum["action"]].record_full_name]
        assert set(datum["payload"]) != {field["name"] for field in record["fields"]}


# --- keys and headers -------------------------------------------------------------------------
def test_keys_and_values_include_none_and_empty(corpus: list[CorpusMessage]) -> None:
    assert any(m.key is None for m in corpus)
    assert any(m.value is None for m in corpus if m.kind == "null-value")
    assert any(m.value == b"" for m in corpus if m.kind == "empty-value")
    hostile_keys = [m.key for m in corpus if m.kind == "hostile-key"]
    assert None in hostile_keys or any(k and b"\x00" in k for k in hostile_keys)


def test_headers_are_hostile_within_bounds(corpus: list[CorpusMessage]) -> None:
    names = [name for m in corpus for name, _ in m.headers]
    values = [value for m in corpus for _, value in m.headers]
    assert not any("\x00" in name for name in names)
    assert any(re.search(r"[\x01-\x1f\x7f-\x9f]", name) for name in names)
    assert any(value is not None and b"\x00" in value for value in values)
    assert None in values
    assert 16 * 1024 <= max(len(value or b"") for value in values) <= 64 * 1024
    assert max(len(m.headers) for m in corpus) >= 100
    traceparents = [
        value
        for m in corpus
        if m.kind == "hostile-traceparent"
        for n, value in m.headers
        if n == "traceparent"
    ]
    assert any(
        not re.fullmatch(rb"00-[0-9a-f]{32}-[0-9a-f]{16}-01", value or b"")
        for value in traceparents
    )


# --- the raw encoder ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("number", "encoded"),
    [
        (0, b"\x00"),
        (-1, b"\x01"),
        (1, b"\x02"),
        (-64, b"\x7f"),
        (64, b"\x80\x01"),
        (2**31 - 1, b"\xfe\xff\xff\xff\x0f"),
    ],
)
def test_zigzag_matches_the_avro_specification(number: int, encoded: bytes) -> None:
    assert zigzag(number) == encoded


PAYLOADS: dict[str, dict[str, Any]] = {
    "provision_domain": {"name": "x.com", "registration_period": 2, "nameservers": ["ns1.x.net"]},
    "provision_domain_renew": {
        "name": "x.com",
        "period": 1,
        "current_expiry_date": date(2027, 3, 1),
    },
    "provision_domain_transfer": {"name": "x.com", "pw": "secret-1", "period": 1},
    "provision_domain_restore": {"name": "x.com", "restore_report": '{"reason": "r"}'},
    "provision_domain_delete": {"name": "x.com"},
    "provision_domain_transfer_action": {"name": "x.com", "op": "reject"},
    "provision_domain_update": {
        "name": "x.com",
        "nameservers": ["ns1.x.com", "ns1.x.net"],
        "add_locks": ["a"],
        "new_hosts": {"ns1.x.com": ["192.0.2.1", "2001:db8::1"]},
    },
    "provision_contact": {
        "handle": "C-1",
        "name": "N",
        "email": "e@x.net",
        "city": "C",
        "country_code": "US",
    },
    "provision_host": {"name": "ns1.x.com", "addresses": ["192.0.2.1", "2001:db8::1"]},
    "provision_ssl": {"common_name": "x.com", "sans": ["www.x.com"], "validity_days": 90},
    "provision_host_update": {"name": "ns1.x.com", "addresses": ["192.0.2.2"]},
    "provision_host_delete": {"name": "ns1.x.com"},
    "provision_contact_update": {"handle": "C-1", "city": "D", "pw": "n3w-secret"},
    "provision_contact_delete": {"handle": "C-1"},
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_the_raw_encoder_writes_what_the_codec_writes(action: str) -> None:
    request = {
        "action": action,
        "tenant_customer_id": ALICE,
        "accreditation": "alpha-registry",
        "payload": PAYLOADS[action],
        "request_id": "5d33ae1f-f445-4073-8b89-7e21d53ba0be",
        "order_item_plan_ids": ["11111111-1111-4111-8111-111111111111"],
        "order_metadata": {"order_id": "o-\x00-\U0001f600"},
        "requested_at": datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC),
    }
    datum = to_avro(build_request(request))
    assert raw_request(datum) == SingleObjectCodec().encode(REQUEST, datum)
