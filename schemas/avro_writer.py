"""A writer compiled from an Avro schema: the binary body of a datum in one pass.

fastavro's ``schemaless_writer`` looks at the schema again for every datum it
writes; the relay writes one outcome per outbox row, and that interpretation was
its largest cost after the database. :func:`compile_writer` walks the schema
once and returns a function that appends the datum's encoding to a buffer, with
one closure per field.

Only what a schema without choices needs is compiled: primitives, records,
enums, arrays, maps, the logical types ``uuid``, ``date``, ``timestamp-millis``
and ``timestamp-micros``, and unions of ``null`` with one other type. For any
other schema (a union of records, say) :func:`compile_writer` returns ``None``
and the codec keeps fastavro. The output is fastavro's byte for byte
(``tests/test_avro_writer.py`` checks it on generated data), including how a
missing field takes its default and how a naive datetime is read (local time).

A datum that does not fit raises ``TypeError``, ``ValueError`` or ``KeyError``,
as fastavro does, which the codec turns into ``InvalidRequest``.
"""

from __future__ import annotations

import datetime
import struct
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

Write = Callable[[Any, bytearray], None]
Writer = Callable[[Mapping[str, Any]], bytes]

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_EPOCH_DATE = datetime.date(1970, 1, 1)
_LONG_MIN, _LONG_MAX = -(1 << 63), (1 << 63) - 1
_INT_MIN, _INT_MAX = -(1 << 31), (1 << 31) - 1


class Unsupported(Exception):
    """The schema uses something this writer does not compile."""


def compile_writer(schema: Any) -> Writer | None:
    """A function writing the Avro binary body of a datum of ``schema``, or None."""
    try:
        write = _compile(schema, {})
    except Unsupported:
        return None

    def writer(datum: Mapping[str, Any]) -> bytes:
        out = bytearray()
        write(datum, out)
        return bytes(out)

    return writer


def _varint(n: int, out: bytearray) -> None:
    """Zig-zag then base-128 varint, as Avro writes int and long."""
    n = (n << 1) ^ (n >> 63)
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _long(value: Any, out: bytearray) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    if not _LONG_MIN <= value <= _LONG_MAX:
        raise ValueError(f"{value} does not fit an Avro long")
    _varint(value, out)


def _int(value: Any, out: bytearray) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    if not _INT_MIN <= value <= _INT_MAX:
        raise ValueError(f"{value} does not fit an Avro int")
    _varint(value, out)


def _string(value: Any, out: bytearray) -> None:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    data = value.encode()
    _varint(len(data), out)
    out += data


def _bytes(value: Any, out: bytearray) -> None:
    if not isinstance(value, bytes | bytearray):
        raise TypeError(f"expected bytes, got {type(value).__name__}")
    _varint(len(value), out)
    out += value


def _null(value: Any, out: bytearray) -> None:
    if value is not None:
        raise TypeError(f"expected null, got {type(value).__name__}")


def _boolean(value: Any, out: bytearray) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"expected a boolean, got {type(value).__name__}")
    out.append(1 if value else 0)


def _double(value: Any, out: bytearray) -> None:
    out += struct.pack("<d", float(value))


def _float(value: Any, out: bytearray) -> None:
    out += struct.pack("<f", float(value))


def _uuid(value: Any, out: bytearray) -> None:
    _string(str(value) if isinstance(value, uuid.UUID) else value, out)


def _timestamp_millis(value: Any, out: bytearray) -> None:
    _long(_since_epoch(value, 1000), out)


def _timestamp_micros(value: Any, out: bytearray) -> None:
    _long(_since_epoch(value, 1_000_000), out)


def _since_epoch(value: Any, per_second: int) -> Any:
    """fastavro's reading of a datetime: aware from the UTC epoch, naive as local time."""
    if not isinstance(value, datetime.datetime):
        return value
    if value.tzinfo is not None:
        delta = value - _EPOCH
        seconds, micro = delta.days * 86400 + delta.seconds, delta.microseconds
    else:
        seconds, micro = int(time.mktime(value.timetuple())), value.microsecond
    return seconds * per_second + (int(micro / 1000) if per_second == 1000 else micro)


def _date(value: Any, out: bytearray) -> None:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        value = (value - _EPOCH_DATE).days
    _int(value, out)


_PRIMITIVES: dict[str, Write] = {
    "null": _null,
    "boolean": _boolean,
    "int": _int,
    "long": _long,
    "float": _float,
    "double": _double,
    "bytes": _bytes,
    "string": _string,
}

_LOGICAL: dict[tuple[str, str], Write] = {
    ("string", "uuid"): _uuid,
    ("long", "timestamp-millis"): _timestamp_millis,
    ("long", "timestamp-micros"): _timestamp_micros,
    ("int", "date"): _date,
}


def _compile(schema: Any, named: dict[str, Write]) -> Write:
    if isinstance(schema, list):
        return _union(schema, named)
    if isinstance(schema, str):
        write = _PRIMITIVES.get(schema) or named.get(schema)
    elif "logicalType" in schema:
        write = _LOGICAL.get((schema["type"], schema["logicalType"]))
    elif schema["type"] in _COMPLEX:
        write = _COMPLEX[schema["type"]](schema, named)
    else:
        write = _PRIMITIVES.get(schema["type"]) if isinstance(schema["type"], str) else None
    if write is None:
        raise Unsupported(f"schema {schema}")
    return write


def _union(branches: list[Any], named: dict[str, Write]) -> Write:
    if len(branches) != 2 or "null" not in branches:
        raise Unsupported("a union other than null and one type")
    null_index = branches.index("null")
    other = _compile(branches[1 - null_index], named)
    null_tag = bytes([null_index * 2])
    other_tag = bytes([(1 - null_index) * 2])

    def write(value: Any, out: bytearray) -> None:
        if value is None:
            out += null_tag
        else:
            out += other_tag
            other(value, out)

    return write


def _record(schema: Mapping[str, Any], named: dict[str, Write]) -> Write:
    fields: list[tuple[str, Any, Write]] = []

    def write(datum: Any, out: bytearray) -> None:
        if not isinstance(datum, Mapping):
            raise TypeError(f"expected a record, got {type(datum).__name__}")
        for name, default, write_field in fields:
            write_field(datum.get(name, default), out)

    named[schema["name"]] = write  # a record may refer to itself
    for field in schema["fields"]:
        # a missing field takes its default (None without one: then the field's
        # writer refuses it, unless the field may be null)
        fields.append((field["name"], field.get("default"), _compile(field["type"], named)))
    return write


def _enum(schema: Mapping[str, Any], named: dict[str, Write]) -> Write:
    index = {symbol: position for position, symbol in enumerate(schema["symbols"])}

    def write(value: Any, out: bytearray) -> None:
        try:
            _varint(index[value], out)
        except (KeyError, TypeError):
            raise ValueError(f"{value!r} is not a symbol of {schema['name']}") from None

    named[schema["name"]] = write
    return write


def _array(items: Write) -> Write:
    def write(value: Any, out: bytearray) -> None:
        if len(value) > 0:
            _varint(len(value), out)
            for item in value:
                items(item, out)
        out.append(0)

    return write


def _map(values: Write) -> Write:
    def write(value: Any, out: bytearray) -> None:
        if len(value) > 0:
            _varint(len(value), out)
            for key, item in value.items():
                _string(key, out)
                values(item, out)
        out.append(0)

    return write


_COMPLEX: dict[str, Callable[[Any, dict[str, Write]], Write]] = {
    "record": _record,
    "enum": _enum,
    "array": lambda schema, named: _array(_compile(schema["items"], named)),
    "map": lambda schema, named: _map(_compile(schema["values"], named)),
}


__all__ = ["Writer", "compile_writer"]
