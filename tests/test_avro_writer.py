"""schemas/avro_writer.py writes what fastavro writes, byte for byte, on generated
schemas and data, and refuses what does not fit."""

from __future__ import annotations

import datetime
import io
import itertools
import uuid
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_writer
from hypothesis import given, settings
from hypothesis import strategies as st

from provisioning.errors import InvalidRequest
from schemas.avro_writer import compile_writer
from schemas.codec import SingleObjectCodec
from schemas.registry import current
from schemas.requests import OUTCOME, REQUEST

LONGS = st.integers(min_value=-(1 << 63), max_value=(1 << 63) - 1)
INTS = st.integers(min_value=-(1 << 31), max_value=(1 << 31) - 1)
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
AWARE = st.datetimes(
    min_value=datetime.datetime(1900, 1, 1),
    max_value=datetime.datetime(2200, 1, 1),
    timezones=st.sampled_from(
        [datetime.UTC, datetime.timezone(datetime.timedelta(hours=-7, minutes=-30))]
    ),
)
UUIDS = st.uuids().map(str) | st.uuids()


def fastavro_bytes(schema: Any, datum: Any) -> bytes:
    buffer = io.BytesIO()
    schemaless_writer(buffer, parse_schema(schema), datum)
    return buffer.getvalue()


def compiled_bytes(schema: Any, datum: Any) -> bytes:
    writer = compile_writer(parse_schema(schema))
    assert writer is not None
    return writer(datum)


# ---------------------------------------------------------------- the outcome


OUTCOMES = st.fixed_dictionaries(
    {
        "event_id": UUIDS,
        "request_id": UUIDS,
        "provision_id": st.none() | UUIDS,
        "action": TEXT,
        "status": st.sampled_from(["completed", "failed", "pending_action"]),
        "order_item_plan_ids": st.lists(st.uuids().map(str), max_size=5),
        "result_message": st.none() | TEXT,
        "result_data": st.none() | TEXT,
        "occurred_at": AWARE | st.integers(min_value=0, max_value=1 << 45),
    }
)


@settings(max_examples=300, deadline=None)
@given(outcome=OUTCOMES)
def test_an_outcome_is_written_as_fastavro_writes_it(outcome: dict[str, Any]) -> None:
    schema = current(OUTCOME)
    assert compiled_bytes(schema, outcome) == fastavro_bytes(schema, outcome)


def test_the_codec_writes_outcomes_compiled_and_requests_with_fastavro() -> None:
    assert compile_writer(current(OUTCOME)) is not None
    assert compile_writer(current(REQUEST)) is None  # its payload is a union of records


# ---------------------------------------------------------------- any schema it compiles

_names = (f"R{n}" for n in itertools.count())


def _leaf() -> st.SearchStrategy[tuple[Any, st.SearchStrategy[Any]]]:
    """(schema, values of it) for the types without children."""
    return st.sampled_from(
        [
            ("null", st.none()),
            ("boolean", st.booleans()),
            ("int", INTS),
            ("long", LONGS),
            ("double", st.floats(allow_nan=False)),
            ("float", st.floats(width=32, allow_nan=False)),
            ("string", TEXT),
            ("bytes", st.binary(max_size=20)),
            ({"type": "string", "logicalType": "uuid"}, UUIDS),
            ({"type": "long", "logicalType": "timestamp-millis"}, AWARE),
            ({"type": "long", "logicalType": "timestamp-micros"}, AWARE),
            ({"type": "int", "logicalType": "date"}, st.dates()),
        ]
    )


def _nested(
    children: st.SearchStrategy[tuple[Any, st.SearchStrategy[Any]]],
) -> st.SearchStrategy[tuple[Any, st.SearchStrategy[Any]]]:
    def array(child: tuple[Any, Any]) -> tuple[Any, Any]:
        return {"type": "array", "items": child[0]}, st.lists(child[1], max_size=4)

    def map_(child: tuple[Any, Any]) -> tuple[Any, Any]:
        return {"type": "map", "values": child[0]}, st.dictionaries(TEXT, child[1], max_size=3)

    def nullable(child: tuple[Any, Any]) -> tuple[Any, Any]:
        if child[0] == "null" or isinstance(child[0], list):
            return child
        return ["null", child[0]], st.none() | child[1]

    def record(kids: list[tuple[Any, Any]]) -> tuple[Any, Any]:
        fields = [{"name": f"f{i}", "type": kid[0]} for i, kid in enumerate(kids)]
        values = st.fixed_dictionaries({f"f{i}": kid[1] for i, kid in enumerate(kids)})
        return {"type": "record", "name": next(_names), "fields": fields}, values

    return st.one_of(
        children.map(array),
        children.map(map_),
        children.map(nullable),
        st.lists(children, min_size=1, max_size=4).map(record),
        st.lists(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,5}", fullmatch=True), min_size=1)
        .map(lambda symbols: sorted(set(symbols)))
        .map(
            lambda symbols: (
                {"type": "enum", "name": next(_names), "symbols": symbols},
                st.sampled_from(symbols),
            )
        ),
    )


SCHEMAS = st.recursive(_leaf(), _nested, max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), schema_and_values=SCHEMAS)
def test_any_compiled_schema_is_written_as_fastavro_writes_it(
    data: st.DataObject, schema_and_values: tuple[Any, st.SearchStrategy[Any]]
) -> None:
    schema, values = schema_and_values
    record = {"type": "record", "name": next(_names), "fields": [{"name": "v", "type": schema}]}
    datum = {"v": data.draw(values)}
    assert compiled_bytes(record, datum) == fastavro_bytes(record, datum)


def test_a_missing_field_takes_its_default() -> None:
    schema = {
        "type": "record",
        "name": "WithDefaults",
        "fields": [
            {"name": "a", "type": "string", "default": "x"},
            {"name": "b", "type": {"type": "array", "items": "long"}, "default": []},
            {"name": "c", "type": ["null", "long"], "default": None},
        ],
    }
    assert compiled_bytes(schema, {}) == fastavro_bytes(schema, {}) == b"\x02x\x00\x00"


# ---------------------------------------------------------------- what does not fit


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("event_id", None),  # required
        ("event_id", 12),  # not a string
        ("status", "done"),  # not a symbol
        ("order_item_plan_ids", None),  # not an array
        ("occurred_at", "yesterday"),  # not a time
        ("result_data", 3),  # neither null nor a string
    ],
)
def test_a_datum_that_does_not_fit_is_refused_like_fastavro_refuses_it(
    field: str, value: object
) -> None:
    outcome = {
        "event_id": str(uuid.uuid4()),
        "request_id": str(uuid.uuid4()),
        "provision_id": None,
        "action": "provision_domain",
        "status": "completed",
        "order_item_plan_ids": [],
        "result_message": None,
        "result_data": None,
        "occurred_at": datetime.datetime.now(datetime.UTC),
        field: value,
    }
    with pytest.raises((TypeError, ValueError, KeyError, AttributeError)):
        fastavro_bytes(current(OUTCOME), outcome)
    with pytest.raises(InvalidRequest, match="does not fit its schema"):
        SingleObjectCodec().encode(OUTCOME, outcome)
