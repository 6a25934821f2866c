"""Avro encoding of Kafka message values.

- Without a schema registry: the Avro spec's **single-object encoding** — the
  two bytes ``C3 01``, the 8-byte little-endian CRC-64-AVRO fingerprint of the
  writer schema's Parsing Canonical Form, then the Avro binary body. Decoding
  knows the fingerprint of every released version (``schemas/versions/``) and
  resolves the writer's schema to the current one.
- With ``PROVISIONING_SCHEMA_REGISTRY_URL``: the **Confluent wire format**
  through ``confluent_kafka.schema_registry``: subject ``<topic>-value`` (the TOPIC
  subject name strategy, set explicitly), every registry request under a timeout.

Errors are the project's own: :class:`~provisioning.errors.DecodeError` for bytes
that are not a readable message, :class:`~provisioning.errors.UnknownSchemaError`
for a schema no released version (or the registry) has,
:class:`~provisioning.errors.InvalidRequest` for a datum the schema does not accept,
:class:`~provisioning.errors.IncompatibleSchemaError` for a schema the registry
refuses to register, :class:`~provisioning.errors.RegistryUnavailableError` (transient)
for a registry that does not answer.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Mapping
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from fastavro import schemaless_reader, schemaless_writer
from fastavro.schema import fingerprint

from provisioning.errors import (
    DecodeError,
    IncompatibleSchemaError,
    InvalidRequest,
    RegistryUnavailableError,
    UnknownSchemaError,
)
from provisioning.failures import describe
from provisioning.settings import Settings
from schemas.avro_writer import Writer, compile_writer
from schemas.registry import TOP_LEVEL, Schema, canonical_form, current, expanded, released

MAGIC = b"\xc3\x01"
HEADER_SIZE = len(MAGIC) + 8

# The registry client's limits: each HTTP request gives up after REGISTRY_TIMEOUT
# seconds and is tried REGISTRY_RETRIES more times, so an encode or decode that
# needs the registry returns (or raises RegistryUnavailableError) within about
# (1 + REGISTRY_RETRIES) * REGISTRY_TIMEOUT seconds; without a timeout the client
# waits forever on a registry that accepts connections but does not answer.
REGISTRY_TIMEOUT = 5.0
REGISTRY_RETRIES = 2
REGISTRY_RETRY_WAIT_MS = 200


class Codec(Protocol):
    """Turns a record's datum into message bytes and back."""

    def encode(self, record: str, datum: Mapping[str, Any], topic: str) -> bytes: ...

    def decode(self, record: str, data: bytes, topic: str) -> dict[str, Any]: ...


def schema_fingerprint(schema: Schema) -> bytes:
    """The 8 bytes single-object encoding puts after ``C3 01`` (CRC-64-AVRO, little-endian)."""
    return bytes.fromhex(fingerprint(canonical_form(schema), "CRC-64-AVRO"))


@functools.cache
def _fingerprints() -> tuple[dict[str, bytes], dict[bytes, tuple[str, Schema]]]:
    """Headers of the current schemas and every released version's fingerprint.

    Computed once per process: the fingerprint is a pure-Python CRC over each
    schema's canonical form, too slow to repeat for every codec.
    """
    writers: dict[str, bytes] = {}
    known: dict[bytes, tuple[str, Schema]] = {}
    for record in TOP_LEVEL:
        schema = current(record)
        writers[record] = MAGIC + schema_fingerprint(schema)
        known[schema_fingerprint(schema)] = (record, schema)
        for version in released(record).values():
            known.setdefault(schema_fingerprint(version), (record, version))
    return writers, known


@functools.cache
def _compiled_writers() -> dict[str, Writer]:
    """Writers of the records :func:`compile_writer` compiles (the others use fastavro)."""
    writers = {record: compile_writer(current(record)) for record in TOP_LEVEL}
    return {record: writer for record, writer in writers.items() if writer is not None}


class SingleObjectCodec:
    """Avro single-object encoding with the schemas of ``schemas/``."""

    def __init__(self) -> None:
        self._writers, self._known = _fingerprints()
        self._compiled = _compiled_writers()

    def encode(self, record: str, datum: Mapping[str, Any], topic: str = "") -> bytes:
        header = self._writers[record]
        compiled = self._compiled.get(record)
        try:
            if compiled is not None:
                return header + compiled(datum)
            buffer = io.BytesIO()
            buffer.write(header)
            schemaless_writer(buffer, current(record), dict(datum))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise InvalidRequest(f"{record} does not fit its schema: {exc}") from exc
        return buffer.getvalue()

    def decode(self, record: str, data: bytes, topic: str = "") -> dict[str, Any]:
        if len(data) < HEADER_SIZE or data[:2] != MAGIC:
            raise DecodeError(
                "not Avro single-object encoding: the value does not start with C3 01 "
                "and an 8-byte schema fingerprint"
            )
        known = self._known.get(data[2:HEADER_SIZE])
        if known is None:
            raise UnknownSchemaError(
                f"unknown schema fingerprint {data[2:HEADER_SIZE].hex()}: no released version "
                f"of {record} has it (written by a newer producer, or another record)"
            )
        writer_record, writer = known
        if writer_record != record:
            raise DecodeError(f"expected a {record}, got a {writer_record}")
        try:
            datum = schemaless_reader(io.BytesIO(data[HEADER_SIZE:]), writer, current(record))
        except Exception as exc:  # fastavro raises many types on corrupt bodies
            raise DecodeError(f"corrupt {record} body: {type(exc).__name__}: {exc}") from exc
        if not isinstance(datum, dict):
            raise DecodeError(f"a {record} must decode to a record")
        return datum


class RegistryCodec:
    """The Confluent wire format, with schemas registered in a Confluent-compatible registry.

    The subject of a topic's values is ``<topic>-value`` (the TOPIC subject name
    strategy, set explicitly: confluent-kafka's default strategy first asks the
    registry for "associations", an endpoint other registries do not have).
    ``schemas`` replaces the writer (and reader) schema of some records, e.g. a
    released version: what an older or newer producer would use.
    """

    def __init__(
        self,
        url: str,
        basic_auth: str | None = None,
        *,
        timeout: float = REGISTRY_TIMEOUT,
        retries: int = REGISTRY_RETRIES,
        schemas: Mapping[str, Schema] | None = None,
    ) -> None:
        from confluent_kafka.schema_registry import (  # noqa: PLC0415
            SchemaRegistryClient,
            topic_subject_name_strategy,
        )
        from confluent_kafka.schema_registry.avro import (  # noqa: PLC0415
            AvroDeserializer,
            AvroSerializer,
        )

        config: dict[str, Any] = {
            "url": url,
            "timeout": timeout,
            "max.retries": retries,
            "retries.wait.ms": REGISTRY_RETRY_WAIT_MS,
        }
        if basic_auth:
            config["basic.auth.user.info"] = basic_auth
        self._where = _without_userinfo(url)
        self._client = client = SchemaRegistryClient(config)
        strategy = {"subject.name.strategy": topic_subject_name_strategy}
        texts = {
            record: json.dumps((schemas or {}).get(record) or expanded(record))
            for record in TOP_LEVEL
        }
        self._serializers = {
            record: AvroSerializer(client, text, conf=strategy) for record, text in texts.items()
        }
        self._deserializers = {
            record: AvroDeserializer(client, text, conf=strategy) for record, text in texts.items()
        }

    def encode(self, record: str, datum: Mapping[str, Any], topic: str) -> bytes:
        from confluent_kafka.schema_registry.error import (  # noqa: PLC0415
            SchemaRegistryError,
        )
        from confluent_kafka.serialization import MessageField, SerializationContext  # noqa: PLC0415

        try:
            data = self._serializers[record](
                dict(datum), SerializationContext(topic, MessageField.VALUE)
            )
        except SchemaRegistryError as exc:
            if exc.http_status_code in {409, 422}:
                raise IncompatibleSchemaError(
                    f"the schema registry refused the {record} schema for subject "
                    f"{topic}-value ({_refusal(exc)}): {_registry_message(exc)}"
                ) from exc
            raise self._unavailable("encoding", record, topic, exc) from exc
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidRequest(f"{record} does not fit its schema: {exc}") from exc
        except Exception as exc:
            if _is_transport_error(exc):
                raise self._unavailable("encoding", record, topic, exc) from exc
            raise
        if data is None:
            raise InvalidRequest(f"{record}: nothing to encode")
        return bytes(data)

    def decode(self, record: str, data: bytes, topic: str) -> dict[str, Any]:
        from confluent_kafka.schema_registry.error import (  # noqa: PLC0415
            SchemaRegistryError,
        )
        from confluent_kafka.serialization import (  # noqa: PLC0415
            MessageField,
            SerializationContext,
            SerializationError,
        )

        if len(data) < 5 or data[0] != 0:
            raise DecodeError("not the Confluent wire format: no magic byte 0 and schema id")
        try:
            datum = self._deserializers[record](
                data, SerializationContext(topic, MessageField.VALUE)
            )
        except SchemaRegistryError as exc:
            if exc.http_status_code == 404:
                raise UnknownSchemaError(
                    f"the schema registry has no schema with id {int.from_bytes(data[1:5])}: "
                    f"{_registry_message(exc)}"
                ) from exc
            raise self._unavailable("decoding", record, topic, exc) from exc
        except SerializationError as exc:
            raise UnknownSchemaError(
                f"schema registry could not resolve the schema: {exc}"
            ) from exc
        except Exception as exc:  # fastavro raises many types on corrupt bodies
            if _is_transport_error(exc):
                raise self._unavailable("decoding", record, topic, exc) from exc
            raise DecodeError(f"corrupt {record} body: {type(exc).__name__}: {exc}") from exc
        if not isinstance(datum, dict):
            raise DecodeError(f"a {record} must decode to a record")
        return datum

    def close(self) -> None:
        """Close the registry client's HTTP connections."""
        self._client.close()

    def __enter__(self) -> RegistryCodec:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _unavailable(
        self, doing: str, record: str, topic: str, exc: Exception
    ) -> RegistryUnavailableError:
        return RegistryUnavailableError(
            f"the schema registry at {self._where} is unavailable ({doing} a {record} "
            f"for {topic}): {type(exc).__name__}: {describe(exc, 300)}"
        )


def _is_transport_error(exc: Exception) -> bool:
    """A request that got no answer: refused, reset, timed out.

    The registry client is built on httpx (or its successor httpx2, whichever is
    installed), whose ``TransportError`` is what such a request raises.
    """
    return any(
        cls.__name__ == "TransportError" and cls.__module__.split(".")[0] in {"httpx", "httpx2"}
        for cls in type(exc).__mro__
    )


def _refusal(exc: Any) -> str:
    if exc.http_status_code == 409:
        return "incompatible with the versions it has, HTTP 409"
    return f"not a valid schema, HTTP {exc.http_status_code}"


def _registry_message(exc: Any) -> str:
    return describe(Exception(str(exc.error_message)), 500)


def _without_userinfo(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=host))


def close_codec(codec: Codec) -> None:
    """Release what a codec holds (the registry client's connections); any codec."""
    if isinstance(codec, RegistryCodec):
        codec.close()


def codec_from_settings(settings: Settings) -> Codec:
    """The registry codec when a registry URL is set, single-object encoding otherwise."""
    if settings.schema_registry_url:
        auth = settings.schema_registry_basic_auth
        return RegistryCodec(
            settings.schema_registry_url,
            auth.get_secret_value() if auth else None,
            timeout=settings.schema_registry_timeout_seconds,
        )
    return SingleObjectCodec()


__all__ = [
    "MAGIC",
    "Codec",
    "RegistryCodec",
    "SingleObjectCodec",
    "close_codec",
    "codec_from_settings",
    "schema_fingerprint",
]
