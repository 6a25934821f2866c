"""Producers in other languages: ``provisioning schemas export`` and a Node.js producer.

The Node producer (``tests/node/producer.cjs``, avsc and kafkajs at the exact versions of
``tests/node/package.json``) reads nothing of this repository but the exported files: it
parses the exported ProvisionRequest alone, computes the CRC-64-AVRO fingerprint itself,
writes single-object encoding and publishes with kafkajs; the real ingest loop, executor
and relay take the request to its outcome, which the Node side decodes with the exported
ProvisionOutcome. The packages are installed once per download cache (``npm install``
into ``$PROVISIONING_CACHE_DIR/node/<hash of package.json>``), inside the first test
that needs them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Message, Producer
from fastavro import parse_schema, schemaless_writer

from executors.backends.sandbox import SandboxBackend
from provisioning.cli import main
from provisioning.localstack import SchemaRegistry, cache_dir
from provisioning.settings import Settings
from schemas.codec import RegistryCodec, SingleObjectCodec
from schemas.export import MANIFEST, export
from schemas.registry import TOP_LEVEL, canonical_form, released
from schemas.requests import OUTCOME, REQUEST, action_of, build_request, object_key, to_avro
from tests.conftest import TopicFactory, unique_name
from tests.db.helpers import ALICE, Conn, fetch_all, scalar
from tests.services import Services
from tests.test_codec import rabin64
from tests.test_pipeline import start_pipeline, wait_until
from tests.test_producer import consume

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = Path(__file__).resolve().parent / "node"
DOCS = ROOT / "docs" / "requests.md"
BEGIN, END = "<!-- example-message:begin -->", "<!-- example-message:end -->"

# the request docs/requests.md shows byte by byte; the pipeline test sends it from Node
EXAMPLE: dict[str, Any] = {
    "request_id": "9a0c7a3e-2b0f-4f5e-9a53-0d8f1c1f4e21",
    "tenant_customer_id": str(ALICE),
    "accreditation": "alpha-registry",
    "action": "provision_domain",
    "payload": {"name": "example.com", "registration_period": 2},
    "order_item_plan_ids": [],
    "order_metadata": {},
    "requested_at": "2026-05-04T03:02:01+00:00",
}


# --- the export ------------------------------------------------------------------
@pytest.fixture
def exported(tmp_path: Path) -> Path:
    directory = tmp_path / "exported"
    assert main(["schemas", "export", "--all-versions", str(directory)]) == 0
    return directory


def _entries(manifest: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for record, entry in manifest["records"].items():
        for item in [entry["current"], *entry["released"]]:
            yield record, item


def test_export_writes_every_schema_self_contained_with_the_fingerprint_readers_know(
    exported: Path,
) -> None:
    manifest = json.loads((exported / MANIFEST).read_text())
    assert set(manifest["records"]) == set(TOP_LEVEL)
    files = {path.name for path in exported.iterdir()}
    listed = {item["file"] for _, item in _entries(manifest)}
    assert files == listed | {MANIFEST}
    assert {
        (record, item["version"], item["file"])
        for record, entry in manifest["records"].items()
        for item in entry["released"]
    } == {
        (record, version, f"{record}.v{version}.avsc")
        for record in TOP_LEVEL
        for version in released(record)
    }
    codec = SingleObjectCodec()
    for record, item in _entries(manifest):
        text = (exported / item["file"]).read_text()
        assert "__fastavro" not in text
        # parsed alone, as a library in another language would: no other file needed
        schema = parse_schema(json.loads(text), named_schemas={})
        assert isinstance(schema, dict)
        value = rabin64(canonical_form(schema).encode())
        assert item["fingerprint_hex"] == f"{value:016x}"
        assert item["fingerprint_int64"] == int.from_bytes(value.to_bytes(8, "big"), signed=True)
        assert item["header_hex"] == "c301" + value.to_bytes(8, "little").hex()
        # and a message written with it decodes: its fingerprint is one the readers know
        if record == REQUEST:
            body = io.BytesIO()
            schemaless_writer(body, schema, to_avro(build_request(EXAMPLE)))
            data = bytes.fromhex(item["header_hex"]) + body.getvalue()
            assert str(codec.decode(REQUEST, data)["request_id"]) == EXAMPLE["request_id"]
    current = manifest["records"][REQUEST]["current"]
    assert current["file"] == "ProvisionRequest.avsc"
    assert current["version"] == max(released(REQUEST))
    assert (
        current["header_hex"] == codec.encode(REQUEST, to_avro(build_request(EXAMPLE)))[:10].hex()
    )


def test_export_without_all_versions_writes_the_current_schemas_only(tmp_path: Path) -> None:
    manifest = export(tmp_path / "new" / "dir")
    assert sorted(path.name for path in (tmp_path / "new" / "dir").iterdir()) == [
        "OrderStatus.avsc",
        "ProvisionOutcome.avsc",
        "ProvisionRequest.avsc",
        MANIFEST,
    ]
    assert all("released" not in entry for entry in manifest["records"].values())


def test_an_unreleased_schema_is_not_exported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Deployed readers would dead-letter what a producer writes with it."""
    first_only = {1: released(REQUEST)[1]}
    monkeypatch.setattr(
        "schemas.export.released",
        lambda record: first_only if record == REQUEST else released(record),
    )
    assert main(["schemas", "export", str(tmp_path)]) == 1  # a failure, not a usage error
    assert "ProvisionRequest's current schema is not released" in capsys.readouterr().err


# --- Node.js ---------------------------------------------------------------------
@pytest.fixture(scope="session")
def node_modules() -> Path:
    """avsc and kafkajs at tests/node/package.json's exact versions, installed once per cache."""
    if shutil.which("node") is None:
        pytest.skip("Node.js is not installed (no `node` on PATH): the Node producer tests need it")
    spec = (NODE_DIR / "package.json").read_bytes()
    target = cache_dir() / "node" / hashlib.sha256(spec).hexdigest()[:16]
    if (target / ".installed").exists():
        return target / "node_modules"
    npm = shutil.which("npm")
    assert npm is not None, "node is installed but npm is not: it installs avsc and kafkajs"
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".installing-", dir=target.parent))
    staging.chmod(0o755)
    try:
        (staging / "package.json").write_bytes(spec)
        result = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--no-package-lock", "--ignore-scripts"],
            cwd=staging,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, f"npm install failed:\n{result.stdout}\n{result.stderr}"
        (staging / ".installed").touch()
        try:
            staging.rename(target)  # atomic: a concurrent session's install may have won
        except OSError:
            assert (target / ".installed").exists()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target / "node_modules"


def node(modules: Path, *args: str, timeout: float = 60) -> dict[str, Any]:
    """Run the Node producer; its one line of JSON output."""
    env = {**os.environ, "NODE_PATH": str(modules)}
    result = subprocess.run(
        ["node", str(NODE_DIR / "producer.cjs"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"the Node producer failed:\n{result.stderr}"
    output: dict[str, Any] = json.loads(result.stdout)
    return output


def node_request(request: dict[str, Any]) -> str:
    """The request as the Node producer takes it: requested_at in epoch milliseconds."""
    millis = int(datetime.fromisoformat(request["requested_at"]).timestamp() * 1000)
    return json.dumps({**request, "requested_at": millis})


# --- the byte-by-byte example in docs/requests.md ----------------------------------
def _hex(data: bytes) -> str:
    return " ".join(f"{byte:02x}" for byte in data)


def _describe(field: dict[str, Any], value: Any) -> str:
    kind = field["type"]
    if isinstance(kind, list):
        name, inner = value
        index = [b if isinstance(b, str) else b.get("name") for b in kind].index(name)
        return f"{field['name']}: union branch {index} ({name}): {json.dumps(inner)}"
    if isinstance(kind, dict) and kind.get("type") == "enum":
        return f"{field['name']}: enum symbol {kind['symbols'].index(value)} ({value})"
    if isinstance(value, datetime):
        return f"{field['name']}: {int(value.timestamp() * 1000)} ms ({value.isoformat()})"
    return f"{field['name']}: {json.dumps(value)}"


def annotated(message: bytes, schema: dict[str, Any], version: int) -> str:
    """The message as a table: offset, bytes (16 a line), what they are; field by field."""
    datum = to_avro(build_request(EXAMPLE))
    fingerprint = int.from_bytes(message[2:10], "little")
    rows = [
        (0, message[:2], "single-object marker"),
        (
            2,
            message[2:10],
            f"fingerprint 0x{fingerprint:016x}, little-endian (ProvisionRequest v{version})",
        ),
    ]
    named: dict[str, Any] = {}  # each field's named types, as the whole schema defines them
    offset = 10
    for field in schema["fields"]:
        out = io.BytesIO()
        value = datum[field["name"]]
        schemaless_writer(out, parse_schema(field["type"], named_schemas=named), value)
        rows.append((offset, out.getvalue(), _describe(field, value)))
        offset += len(out.getvalue())
    assert offset == len(message)
    lines = ["offset  bytes" + " " * 44 + "what"]
    for start, data, what in rows:
        for at in range(0, len(data), 16):
            chunk = data[at : at + 16]
            lines.append(
                f"{start + at:04x}    {_hex(chunk):47}  {what if at == 0 else ''}".rstrip()
            )
    return "\n".join(lines)


def docs_block(message: bytes, schema: dict[str, Any], version: int) -> str:
    return "\n".join(
        [
            BEGIN,
            "```json",
            json.dumps(EXAMPLE, indent=2),
            "```",
            "",
            "```",
            annotated(message, schema, version),
            "```",
            "",
            "The whole value, for a test of your own producer:",
            "",
            "```",
            message.hex(),
            "```",
            END,
        ]
    )


def test_node_writes_the_bytes_the_codec_writes_and_the_docs_show(
    node_modules: Path, exported: Path
) -> None:
    manifest = json.loads((exported / MANIFEST).read_text())
    current = manifest["records"][REQUEST]["current"]
    written = node(node_modules, "encode", str(exported), node_request(EXAMPLE))
    message = bytes.fromhex(written["message_hex"])
    assert written["fingerprint_hex"] == current["fingerprint_hex"]
    assert message[:10].hex() == written["header_hex"] == current["header_hex"]
    assert message == SingleObjectCodec().encode(REQUEST, to_avro(build_request(EXAMPLE)))

    schema = json.loads((exported / current["file"]).read_text())
    expected = docs_block(message, schema, current["version"])
    found = re.search(re.escape(BEGIN) + ".*?" + re.escape(END), DOCS.read_text(), re.DOTALL)
    assert found is not None, f"docs/requests.md has no {BEGIN} ... {END} block"
    assert found.group(0) == expected, f"docs/requests.md is out of date; the block is:\n{expected}"


# --- through the pipeline ----------------------------------------------------------
@pytest.fixture
def settings(services: Services, provisioning_db: str, make_topic: TopicFactory) -> Settings:
    return Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,  # pydantic coerces to SecretStr
        topic_orders=make_topic(partitions=4, prefix="orders"),
        topic_actions=make_topic(partitions=4, prefix="actions"),
        topic_outcomes=make_topic(partitions=4, prefix="outcomes"),
        group_ingest=unique_name("ingest"),
        group_order_service=unique_name("orders"),
        executor_poll_seconds=0.2,
        executor_backoff_seconds=0.1,
        kafka_session_timeout_ms=6000,
    )


def librdkafka_partition(bootstrap: str, topic: str, key: str) -> int:
    """The partition the Python producers (librdkafka's default partitioner) give ``key``."""
    producer = Producer({"bootstrap.servers": bootstrap})
    partitions: list[int | None] = []

    def delivered(error: object, message: Message) -> None:
        assert error is None, error
        partitions.append(message.partition())

    producer.produce(topic, b"", key=key, on_delivery=delivered)
    assert producer.flush(30) == 0
    assert partitions[0] is not None
    return partitions[0]


def dead_letters(bootstrap: str, topic: str) -> list[str]:
    """Why the messages of a DLQ topic were dead-lettered (none when it has none)."""
    try:
        return [
            record.headers.get("x-dlq-error-message", b"").decode()
            for record in consume(bootstrap, topic, 1, timeout=10)
        ]
    except AssertionError:  # no DLQ topic, or nothing in it
        return []


def send_through_the_pipeline(
    modules: Path,
    db: Conn,
    settings: Settings,
    *,
    mode: str,
    exported: Path,
    request: dict[str, Any],
    key: str,
    registry: str | None = None,
) -> dict[str, Any]:
    """Every component running, Node sends ``request`` (``mode``: send, send-registry);
    returns what Node says it sent once the request's outcome is published."""
    bootstrap = settings.kafka_bootstrap_servers
    sandbox = SandboxBackend(settings.database_url.get_secret_value())
    components = start_pipeline(settings, sandbox)
    try:
        sent = node(
            modules,
            mode,
            str(exported),
            node_request(request),
            bootstrap,
            settings.topic_actions,
            key,
            *([registry] if registry else []),
            timeout=90,
        )
        try:
            wait_until(
                lambda: scalar(db, "SELECT count(*) FROM outbox WHERE sent_date IS NOT NULL") == 1,
                "the request's outcome to be published",
                90,
            )
        except AssertionError:
            dead = dead_letters(bootstrap, settings.dlq_topic(settings.topic_actions))
            raise AssertionError(f"no outcome was published; dead letters: {dead}") from None
    finally:
        components.stop_all()
        sandbox.close()
    return sent


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_request_from_node_is_ingested_and_its_outcome_arrives(
    node_modules: Path,
    exported: Path,
    db: Conn,
    settings: Settings,
    make_topic: TopicFactory,
) -> None:
    bootstrap = settings.kafka_bootstrap_servers
    key = object_key(action_of(EXAMPLE["action"]), EXAMPLE["payload"], None)
    sent = send_through_the_pipeline(
        node_modules, db, settings, mode="send", exported=exported, request=EXAMPLE, key=key
    )
    # one object's requests share a partition whichever language published them
    scratch = make_topic(partitions=4, prefix="partitions")
    assert sent["partition"] == librdkafka_partition(bootstrap, scratch, key)

    (provision,) = fetch_all(
        db,
        "SELECT p.id, s.name AS status FROM provision_domain p"
        " JOIN provision_status s ON s.id = p.status_id WHERE p.request_id = %(r)s",
        {"r": EXAMPLE["request_id"]},
    )
    assert provision["status"] == "completed"
    assert scalar(db, "SELECT count(*) FROM domain WHERE name = 'example.com'") == 1

    (outcome,) = consume(bootstrap, settings.topic_outcomes, 1)
    decoded = SingleObjectCodec().decode(OUTCOME, outcome.value)
    assert str(decoded["request_id"]) == EXAMPLE["request_id"]
    assert str(decoded["provision_id"]) == str(provision["id"])
    assert decoded["status"] == "completed"
    # and Node reads the outcome with the exported ProvisionOutcome
    read = node(node_modules, "decode", str(exported), outcome.value.hex())
    assert read["event_id"] == str(decoded["event_id"])
    assert read["request_id"] == EXAMPLE["request_id"]
    assert read["status"] == "completed"


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.timeout(240)
def test_a_request_from_node_in_the_registrys_wire_format_is_ingested(
    node_modules: Path,
    exported: Path,
    db: Conn,
    settings: Settings,
    schema_registry: SchemaRegistry,
) -> None:
    """The other encoding: Node registers the exported schema under <topic>-value and
    frames the body with the id the registry gave; ingest, on the registry codec, reads
    it, and the outcome is published in the wire format too."""
    settings = settings.model_copy(update={"schema_registry_url": schema_registry.url})
    bootstrap = settings.kafka_bootstrap_servers
    request = {**EXAMPLE, "request_id": str(uuid.uuid4())}
    key = object_key(action_of(request["action"]), request["payload"], None)
    sent = send_through_the_pipeline(
        node_modules,
        db,
        settings,
        mode="send-registry",
        exported=exported,
        request=request,
        key=key,
        registry=schema_registry.url,
    )
    assert sent["message_hex"].startswith("00")  # the wire format, not single-object (c301)
    assert int(sent["header_hex"][2:], 16) == sent["schema_id"]
    status = scalar(
        db,
        "SELECT s.name FROM provision_domain p JOIN provision_status s ON s.id = p.status_id"
        " WHERE p.request_id = %(r)s",
        {"r": request["request_id"]},
    )
    assert status == "completed"
    (outcome,) = consume(bootstrap, settings.topic_outcomes, 1)
    assert outcome.value[:1] == b"\x00"
    codec = RegistryCodec(schema_registry.url)
    try:
        decoded = codec.decode(OUTCOME, outcome.value, settings.topic_outcomes)
    finally:
        codec.close()
    assert str(decoded["request_id"]) == request["request_id"]
    assert decoded["status"] == "completed"
