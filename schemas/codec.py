"""Avro encoding of Kafka message values.

- Without a schema registry: the Avro spec's **single-object encoding** — the
  two bytes ``C3 01``, the 8-byte little-endian CRC-64-AVRO fingerprint of the
  writer schema's Parsing Canonical Form, then the Avro binary body. Decoding
  knows the fingerprint of every released version (``schemas/versions/``) and
  resolves the writer's schema to the current one.
- With ``PROVISIONING_SCHEMA_REGISTRY_URL``: the **Confluent wire format**
  through ``confluent_kafka.schema_registry`` (subject ``<topic>-value``).

Errors are the project's own: :class:`~provisioning.errors.DecodeError` for bytes
that are not a readable message, :class:`~provisioning.errors.UnknownSchemaError`
for a schema no released version has, :class:`~provisioning.errors.InvalidRequest`
for a datum the schema does not accept.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Mapping
from typing import Any, Protocol

from fastavro import schemaless_reader, schemaless_writer
from fastavro.schema import fingerprint

from provisioning.errors import DecodeError, InvalidRequest, UnknownSchemaError
from provisioning.settings import Settings
from schemas.avro_writer import Writer, compile_writer
from schemas.registry import TOP_LEVEL, Schema, canonical_form, current, expanded, released

MAGIC = b"\xc3\x01"
HEADER_SIZE = len(MAGIC) + 8


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
    """The Confluent wire format, with schemas registered in a Confluent-compatible registry."""

    def __init__(self, url: str, basic_auth: str | None = None) -> None:
        from confluent_kafka.schema_registry import SchemaRegistryClient  # noqa: PLC0415
        from confluent_kafka.schema_registry.avro import (  # noqa: PLC0415
            AvroDeserializer,
            AvroSerializer,
        )

        config: dict[str, str] = {"url": url}
        if basic_auth:
            config["basic.auth.user.info"] = basic_auth
        client = SchemaRegistryClient(config)
        self._serializers = {
            record: AvroSerializer(client, json.dumps(expanded(record))) for record in TOP_LEVEL
        }
        self._deserializers = {
            record: AvroDeserializer(client, json.dumps(expanded(record))) for record in TOP_LEVEL
        }

    def encode(self, record: str, datum: Mapping[str, Any], topic: str) -> bytes:
        from confluent_kafka.serialization import MessageField, SerializationContext  # noqa: PLC0415

        try:
            data = self._serializers[record](
                dict(datum), SerializationContext(topic, MessageField.VALUE)
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidRequest(f"{record} does not fit its schema: {exc}") from exc
        if data is None:
            raise InvalidRequest(f"{record}: nothing to encode")
        return bytes(data)

    def decode(self, record: str, data: bytes, topic: str) -> dict[str, Any]:
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
        except SerializationError as exc:
            raise UnknownSchemaError(
                f"schema registry could not resolve the schema: {exc}"
            ) from exc
        except Exception as exc:  # fastavro raises many types on corrupt bodies
            raise DecodeError(f"corrupt {record} body: {type(exc).__name__}: {exc}") from exc
        if not isinstance(datum, dict):
            raise DecodeError(f"a {record} must decode to a record")
        return datum


def codec_from_settings(settings: Settings) -> Codec:
    """The registry codec when a registry URL is set, single-object encoding otherwise."""
    if settings.schema_registry_url:
        auth = settings.schema_registry_basic_auth
        return RegistryCodec(
            settings.schema_registry_url, auth.get_secret_value() if auth else None
        )
    return SingleObjectCodec()


__all__ = [
    "MAGIC",
    "Codec",
    "RegistryCodec",
    "SingleObjectCodec",
    "codec_from_settings",
    "schema_fingerprint",
]
