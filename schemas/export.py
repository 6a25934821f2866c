"""Write self-contained schemas, with their fingerprints, for producers in any language.

Single-object encoding puts the CRC-64-AVRO fingerprint of the writer schema's
Parsing Canonical Form after the bytes C3 01, and that form has every named type
written out where it is first used. The .avsc files in schemas/ hold one record
each and name the others: parsed one by one in another language they either do
not parse or give another fingerprint, and every message written with it is
dead-lettered as an unknown schema. This command writes each top-level record
with every named type inlined, so any Avro library computes the fingerprint the
readers know:

  DIR/ProvisionRequest.avsc      the current schema, self-contained
  DIR/ProvisionOutcome.avsc
  DIR/ProvisionRequest.v1.avsc   with --all-versions: every released version
  DIR/manifest.json              each file's version, fingerprint and the
                                 10-byte header its messages start with

examples:
  provisioning schemas export build/schemas
  provisioning schemas export --all-versions build/schemas
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from fastavro import parse_schema
from fastavro.schema import expand_schema

from provisioning.errors import ProvisioningError
from schemas.codec import MAGIC, schema_fingerprint
from schemas.registry import TOP_LEVEL, Schema, canonical_form, current, released

MANIFEST = "manifest.json"
ENCODING = (
    "Avro single-object encoding: C3 01, the 8-byte CRC-64-AVRO fingerprint of the writer "
    "schema's Parsing Canonical Form (little-endian), then the Avro binary body"
)


class SchemaExportError(ProvisioningError):
    """A schema cannot be exported as the contract producers write with."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", metavar="DIR", type=Path, help="created when missing")
    parser.add_argument(
        "--all-versions",
        action="store_true",
        help="also every released version (schemas/versions/), each of which readers accept",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    manifest = export(args.directory, all_versions=args.all_versions)
    for record, entry in manifest["records"].items():
        for item in [entry["current"], *entry.get("released", [])]:
            print(
                f"{item['file']:28}  {record} v{item['version']}  "
                f"fingerprint {item['fingerprint_hex']}  header {item['header_hex']}"
            )
    print(f"manifest: {args.directory / MANIFEST}")
    return 0


def self_contained(schema: Schema) -> Schema:
    """``schema`` with every named type written out where it is first used, as plain JSON."""
    inlined = json.loads(json.dumps(_strip(expand_schema(schema))))
    if not isinstance(inlined, dict):
        raise SchemaExportError("a top-level schema must be a record")
    return inlined


def _strip(value: Any) -> Any:
    """Drop fastavro's private bookkeeping keys (``__fastavro_parsed``, ...)."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def describe(schema: Schema, *, version: int, file: str) -> dict[str, Any]:
    """A manifest entry: where the schema is, its fingerprint and its messages' header."""
    fingerprint = schema_fingerprint(schema)
    value = int.from_bytes(fingerprint, "little")
    return {
        "version": version,
        "file": file,
        "fingerprint_hex": f"{value:016x}",
        "fingerprint_int64": value - (1 << 64) if value >= 1 << 63 else value,
        "header_hex": (MAGIC + fingerprint).hex(),
    }


def _checked(record: str, schema: Schema, expected: Schema) -> Schema:
    """Parse ``schema`` on its own, as another library would, and check its fingerprint."""
    try:
        alone = parse_schema(schema, named_schemas={})
    except Exception as exc:  # fastavro raises several types for unknown names
        raise SchemaExportError(
            f"{record}: the exported schema does not parse alone: {exc}"
        ) from exc
    if not isinstance(alone, dict):
        raise SchemaExportError(f"{record}: a top-level schema must be a record")
    if canonical_form(alone) != canonical_form(expected):
        raise SchemaExportError(
            f"{record}: the exported schema's fingerprint {schema_fingerprint(alone).hex()} is not "
            f"the readers' {schema_fingerprint(expected).hex()}"
        )
    return schema


def _current_version(record: str) -> int:
    form = canonical_form(current(record))
    for version, schema in released(record).items():
        if canonical_form(schema) == form:
            return version
    raise SchemaExportError(
        f"{record}'s current schema is not released, so deployed readers do not know its "
        "fingerprint: run `python -m schemas.release` first"
    )


def _write(path: Path, schema: Schema) -> None:
    path.write_text(json.dumps(schema, indent=2) + "\n")


def export(directory: Path, *, all_versions: bool = False) -> dict[str, Any]:
    """Write the self-contained schemas and ``manifest.json`` into ``directory``; returns the
    manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    records: dict[str, Any] = {}
    for record in TOP_LEVEL:
        schema = _checked(record, self_contained(current(record)), current(record))
        file = f"{record}.avsc"
        _write(directory / file, schema)
        entry: dict[str, Any] = {
            "name": schema["name"],
            "current": describe(current(record), version=_current_version(record), file=file),
        }
        if all_versions:
            entry["released"] = []
            for version, old in released(record).items():
                file = f"{record}.v{version}.avsc"
                _write(directory / file, _checked(record, self_contained(old), old))
                entry["released"].append(describe(old, version=version, file=file))
        records[record] = entry
    manifest = {"encoding": ENCODING, "records": records}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


__all__ = ["MANIFEST", "SchemaExportError", "add_arguments", "describe", "export", "self_contained"]
