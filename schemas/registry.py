"""The schemas in this directory, parsed once, and every released version of them.

- ``<namespace>.<Name>.avsc``: the current schema of each record, one file per
  record; a record refers to others by full name and fastavro loads them from
  their files.
- ``versions/<Name>.v<N>.avsc``: every released version of a top-level record,
  expanded (self-contained). Decoders know the fingerprints of all of them, so a
  message written with any released version still decodes.

``python -m schemas.release`` writes the current schema as the next version.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from fastavro import parse_schema
from fastavro.schema import expand_schema, load_schema, to_parsing_canonical_form

SCHEMA_DIR = Path(__file__).resolve().parent
VERSION_DIR = SCHEMA_DIR / "versions"
NAMESPACE = "provisioning"
TOP_LEVEL = ("ProvisionRequest", "ProvisionOutcome", "OrderStatus")

_VERSION_FILE = re.compile(r"^(?P<name>[A-Za-z]+)\.v(?P<version>\d+)\.avsc$")

Schema = dict[str, Any]


def _strip(value: Any) -> Any:
    """Drop fastavro's private bookkeeping keys from a parsed schema."""
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _record(schema: object) -> Schema:
    if not isinstance(schema, dict) or schema.get("type") != "record":
        raise TypeError("a top-level schema must be an Avro record")
    return schema


@functools.cache
def current(name: str) -> Schema:
    """The current parsed schema of a top-level record."""
    if name not in TOP_LEVEL:
        raise KeyError(f"unknown record {name!r}; known: {', '.join(TOP_LEVEL)}")
    return _record(load_schema(str(SCHEMA_DIR / f"{NAMESPACE}.{name}.avsc")))


def expanded(name: str) -> Schema:
    """The current schema of ``name`` with every named type written out in place."""
    result: Schema = _strip(expand_schema(current(name)))
    return result


@functools.cache
def released(name: str) -> dict[int, Schema]:
    """Every released version of ``name``, parsed, by version number."""
    found: dict[int, Schema] = {}
    for path in VERSION_DIR.glob(f"{name}.v*.avsc"):
        match = _VERSION_FILE.match(path.name)
        if match is None or match["name"] != name:
            continue
        found[int(match["version"])] = _record(parse_schema(json.loads(path.read_text())))
    return dict(sorted(found.items()))


def canonical_form(schema: Schema) -> str:
    """The Avro spec's Parsing Canonical Form: what fingerprints are computed over."""
    form: str = to_parsing_canonical_form(schema)
    return form


__all__ = ["NAMESPACE", "TOP_LEVEL", "canonical_form", "current", "expanded", "released"]
