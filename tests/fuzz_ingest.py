"""Coverage-guided fuzzing of ingest: decode → validate → insert, against a real PostgreSQL.

Run with ``make fuzz`` (FUZZ_SECONDS=120 by default); it is not part of the test
suite. It starts a throwaway PostgreSQL (no Kafka), migrates and seeds a
database, and feeds atheris' inputs through what ``provisioning ingest`` does
with a message's value:

1. ``SingleObjectCodec.decode``: anything but a dict or a ``DecodeError`` is a finding;
2. the ingest handler's ``apply`` on the decoded request, in a transaction that
   is rolled back (the database stays small);
3. when ``apply`` fails: the failure must be the message's, never the
   infrastructure's (``provisioning.failures.is_transient`` false, the
   connection still usable) — otherwise the consumer loop would retry that
   message forever; then ``reject``, whose failure only means a dead letter;
4. the reason a DLQ header would carry (``describe``) must be one bounded line
   without NUL.

The first byte of an input chooses how the rest is read:

- ``% 3 == 0``: an Avro body behind a valid ProvisionRequest header, so the
  fuzzer explores the body rather than the magic bytes;
- ``% 3 == 1``: the whole value, as is;
- ``% 3 == 2``: a structured request: the rest drives a FuzzedDataProvider that
  picks an action and fills every field of its payload (and the envelope's
  strings) from the schema — any Unicode, any int or long, arrays, nulls — and
  the codec encodes it, so nearly every such input reaches the database.

The seed corpus is every action's valid request, written to a temporary
directory (``FUZZ_CORPUS`` keeps it).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import atheris
import psycopg

with atheris.instrument_imports():
    from consumers.ingest import apply_requests, reject_request
    from consumers.loop import Item
    from provisioning.errors import DecodeError
    from provisioning.failures import REASON_BYTES, describe, is_transient
    from schemas.codec import HEADER_SIZE, MAGIC, SingleObjectCodec, schema_fingerprint
    from schemas.registry import current, expanded
    from schemas.requests import ACTIONS, REQUEST, build_request, to_avro

from datetime import UTC, datetime

from provisioning.localstack import temporary_stack
from provisioning.migrations import upgrade

ALICE = "30000000-0000-4000-8000-000000000001"
SEEDS: list[dict[str, Any]] = [
    {"action": "provision_domain", "payload": {"name": "fuzz.com", "registration_period": 2}},
    {"action": "provision_domain_renew", "payload": {"name": "fuzz.com", "period": 1}},
    {"action": "provision_domain_transfer", "payload": {"name": "fuzz.com", "pw": "x-1Y"}},
    {
        "action": "provision_domain_restore",
        "payload": {"name": "fuzz.com", "restore_report": '{"reason": "oops"}'},
    },
    {"action": "provision_domain_delete", "payload": {"name": "fuzz.com"}},
    {"action": "provision_domain_update", "payload": {"name": "fuzz.com"}},
    {"action": "provision_contact", "payload": {"handle": "c-1", "name": "A", "email": "a@b.c"}},
    {"action": "provision_host", "payload": {"name": "ns1.fuzz.com", "addresses": ["192.0.2.1"]}},
    {"action": "provision_ssl", "payload": {"common_name": "fuzz.com"}},
]


ORDERS_TOPIC = "provisioning.orders"


class _Message:
    """What the handler reads of a Kafka message: its headers and topic."""

    def __init__(self, topic: str) -> None:
        self._topic = topic

    def headers(self) -> list[tuple[str, bytes]]:
        return []

    def topic(self) -> str:
        return self._topic


_SCALARS: dict[str, Any] = {
    "null": lambda fdp: None,
    "string": lambda fdp: fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 300)),
    "boolean": lambda fdp: fdp.ConsumeBool(),
    "int": lambda fdp: fdp.ConsumeIntInRange(-(2**31), 2**31 - 1),
    "long": lambda fdp: fdp.ConsumeIntInRange(-(2**63), 2**63 - 1),
    "date": lambda fdp: datetime.fromordinal(fdp.ConsumeIntInRange(1, 3652059)).date(),
    "timestamp-millis": lambda fdp: datetime.fromtimestamp(
        fdp.ConsumeIntInRange(0, 253402300799), UTC
    ),
    "uuid": lambda fdp: str(uuid.UUID(bytes=fdp.ConsumeBytes(16).ljust(16, b"\0"))),
}


def _fill(fdp: Any, schema: Any, depth: int = 0) -> Any:
    """A value for ``schema`` (an expanded Avro schema) from the fuzzer's bytes."""
    if isinstance(schema, list):  # a union: pick a branch
        return _fill(fdp, schema[fdp.ConsumeIntInRange(0, len(schema) - 1)], depth)
    if isinstance(schema, str):
        return _SCALARS[schema](fdp)
    kind = schema.get("logicalType") or schema["type"]
    size = 0 if depth > 3 else fdp.ConsumeIntInRange(0, 4)
    if kind in _SCALARS:
        value = _SCALARS[kind](fdp)
    elif kind == "enum":
        value = schema["symbols"][fdp.ConsumeIntInRange(0, len(schema["symbols"]) - 1)]
    elif kind == "array":
        value = [_fill(fdp, schema["items"], depth + 1) for _ in range(size)]
    elif kind == "map":
        value = {
            fdp.ConsumeUnicodeNoSurrogates(20): _fill(fdp, schema["values"], depth + 1)
            for _ in range(size)
        }
    else:  # a record
        value = {f["name"]: _fill(fdp, f["type"], depth + 1) for f in schema["fields"]}
    return value


def _structured(codec: SingleObjectCodec, data: bytes) -> bytes | None:
    fdp = atheris.FuzzedDataProvider(data)
    action = ACTIONS[list(ACTIONS)[fdp.ConsumeIntInRange(0, len(ACTIONS) - 1)]]
    branches = {b["name"]: b for b in _request_fields()["payload"]}
    payload = _fill(fdp, branches[action.record_full_name])
    strings = [fdp.ConsumeUnicodeNoSurrogates(40) for _ in range(3)]
    datum: dict[str, Any] = {
        "request_id": str(uuid.UUID(bytes=fdp.ConsumeBytes(16).ljust(16, b"\1"))),
        "tenant_customer_id": ALICE if fdp.ConsumeBool() else strings[0],
        "accreditation": "alpha-registry" if fdp.ConsumeBool() else strings[1],
        "action": action.table,
        "payload": (action.record_full_name, payload),
        "order_item_plan_ids": [],
        "order_metadata": {"order_id": strings[2]} if fdp.ConsumeBool() else {},
        "requested_at": datetime.now(UTC),
    }
    try:
        return codec.encode(REQUEST, datum)
    except Exception:  # noqa: BLE001 - what the codec cannot write is not a message
        return None


@functools.cache
def _request_fields() -> dict[str, Any]:
    return {field["name"]: field["type"] for field in expanded(REQUEST)["fields"]}


def _seed_corpus(codec: SingleObjectCodec, directory: Path) -> None:
    for index, seed in enumerate(SEEDS):
        request = {"tenant_customer_id": ALICE, "accreditation": "alpha-registry", **seed}
        try:
            value = codec.encode(REQUEST, to_avro(build_request(request)))
        except Exception:  # noqa: BLE001, S112 - a seed the schema refuses is only skipped
            continue
        (directory / f"seed-{index}").write_bytes(b"\x00" + value[HEADER_SIZE:])
        (directory / f"whole-{index}").write_bytes(b"\x01" + value)
        (directory / f"structured-{index}").write_bytes(bytes([2, index]) + value)


def main() -> int:
    """Start PostgreSQL, fuzz in a child process (libFuzzer ends it with exit()), clean up."""
    seconds = int(os.environ.get("FUZZ_SECONDS", "120"))
    corpus = Path(os.environ.get("FUZZ_CORPUS") or tempfile.mkdtemp(prefix="fuzz-corpus-"))
    corpus.mkdir(parents=True, exist_ok=True)
    _seed_corpus(SingleObjectCodec(), corpus)
    with temporary_stack(with_kafka=False) as stack, tempfile.TemporaryDirectory() as work:
        admin = f"postgresql://postgres@127.0.0.1:{stack.postgres_port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("CREATE DATABASE fuzz")
        url = f"postgresql://postgres@127.0.0.1:{stack.postgres_port}/fuzz"
        upgrade(url, seed=True)
        stats = Path(work) / "stats.json"
        print(f"fuzzing for {seconds}s; corpus in {corpus}", flush=True)
        child = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.fuzz_ingest",
                "--child",
                url,
                str(stats),
                str(corpus),
                f"-max_total_time={seconds}",
                "-rss_limit_mb=4096",
            ],
            check=False,
        )
        if stats.exists():
            print(f"what the inputs became: {stats.read_text()}", flush=True)
    print("no finding" if child.returncode == 0 else f"FINDING: exit {child.returncode}")
    return child.returncode


def fuzz(url: str, stats: Path, libfuzzer_args: list[str]) -> None:
    """The atheris side: feed every input through decode → apply → reject."""
    conn = psycopg.connect(url, autocommit=True)
    codec = SingleObjectCodec()
    header = MAGIC + schema_fingerprint(current(REQUEST))
    seen: Counter[str] = Counter()

    def one_input(data: bytes) -> None:
        if not data:
            return
        seen["inputs"] += 1
        if seen["inputs"] % 1000 == 0:
            stats.write_text(json.dumps(dict(seen), sort_keys=True))
        mode = data[0] % 3
        value: bytes | None = header + data[1:] if mode == 0 else data[1:]
        if mode == 2:
            value = _structured(codec, data[1:])
        if value is None:
            seen["not encodable"] += 1
            return
        try:
            datum = codec.decode(REQUEST, value)
        except DecodeError:
            seen["undecodable"] += 1
            return
        topic = ORDERS_TOPIC if data[0] % 2 else "provisioning.actions"
        item = Item(_Message(topic), datum)  # type: ignore[arg-type]
        with conn.transaction(force_rollback=True):
            try:
                with conn.transaction():
                    apply_requests(conn, [item], orders_topic=ORDERS_TOPIC)
                seen["recorded"] += 1
                return
            except Exception as exc:  # noqa: BLE001 - the property is about any failure
                failure: Exception = exc
            if is_transient(failure) or conn.broken:
                raise AssertionError(f"a message looks like an infrastructure failure: {failure!r}")
            reason = describe(failure)
            if "\x00" in reason or "\n" in reason or len(reason.encode()) > REASON_BYTES:
                raise AssertionError(f"an unbounded or unsafe reason: {reason[:200]!r}")
            seen[f"refused: {type(failure).__name__}"] += 1
            try:
                with conn.transaction():
                    reject_request(conn, item, failure, orders_topic=ORDERS_TOPIC)
                seen["rejected"] += 1
            except Exception as exc:
                if is_transient(exc) or conn.broken:
                    raise AssertionError(f"a rejection looks like infrastructure: {exc!r}") from exc
                seen[f"dead letter: {type(exc).__name__}"] += 1

    atheris.Setup([sys.argv[0], *libfuzzer_args], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        fuzz(sys.argv[2], Path(sys.argv[3]), sys.argv[4:])
    else:
        raise SystemExit(main())
