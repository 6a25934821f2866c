"""A seeded corpus of Kafka messages for the actions topic: good requests among poison.

The poison-proofing end-to-end test publishes :func:`generate`'s messages to the
actions topic and checks that ingest survives all of them: every good request
becomes exactly one provision row, every message that cannot be decoded lands in
the dead-letter topic, and every decodable but hostile message is dealt with
exactly once (recorded, rejected with a failed outcome, or dead-lettered) without
ever stalling the partition or taking a batch of good requests down with it.

Each :class:`CorpusMessage` says what it is (``kind``: the generator branch that
made it) and what must become of it (``expect``):

- ``recorded``: a valid ``provision_domain`` request for tenant_customer alice at
  alpha-registry, under ``.com``, its name unique across the corpus (kinds
  ``good`` and ``duplicate``; a duplicate is an exact copy of an earlier good
  message, so each distinct good request_id must be recorded exactly once);
- ``dead-letter``: the value does not decode with
  ``SingleObjectCodec().decode(REQUEST, value)`` (random bytes, truncated or
  wrongly framed Avro, invalid UTF-8, indexes out of range, non-UUID uuids, ...);
- ``handled``: the value decodes, but its content is hostile (NUL and other
  control characters, bidi marks, emoji, huge strings, every action's payload
  with odd values, extreme numbers and dates, hostile keys and headers, ...).

The same seed gives byte-identical messages: everything random, UUIDs and times
included, comes from one ``random.Random(seed)``. :func:`generate` decodes every
message once before returning it and raises :class:`CorpusError` when a label
does not match what the codec does, or when a request_id or domain name would
be shared by two messages that must not share it.

Messages the codec cannot write (invalid UTF-8, out-of-range enum and union
indexes, strings that are not UUIDs where the schema says uuid, overlong varints)
are written by :func:`raw_request`, a small Avro binary encoder of this module.
Some labels rest on how fastavro reads: an int field holds any 64-bit value, a
negative enum or union index counts from the end (``-1`` reads as
``provision_ssl``, or as an SslCertificate payload), an overlong varint reads as
its value, a UUID is read with ``uuid.UUID`` (so ``{...}``, ``urn:uuid:...`` and
upper case are accepted) and bytes after the record are ignored. If a fastavro
upgrade changes any of that, :func:`generate` says so instead of mislabelling.

With the defaults the corpus holds 1200 messages, 3.5 to 7 MB in all: the
``big_strings`` messages carry one string each of ``max_string_bytes / 2`` to
``max_string_bytes`` bytes, sized so that the whole message (key, value and
headers) stays under ``max_string_bytes`` (which fits librdkafka's default
``message.max.bytes`` of 1 000 000); every other string is at most 2 KB, except
a ``restore_report`` of up to 100 000 levels of nesting and header values of up
to 64 KB, and no string or header value is longer than ``max_string_bytes``.
"""

from __future__ import annotations

import functools
import json
import random
import re
import string
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from producers.requests import CONTENT_TYPE
from provisioning.errors import DecodeError
from schemas.codec import MAGIC, SingleObjectCodec, schema_fingerprint
from schemas.registry import NAMESPACE, TOP_LEVEL, current, expanded, released
from schemas.requests import ACTIONS, OUTCOME, REQUEST, build_request, object_key, to_avro

RECORDED: Final = "recorded"
DEAD_LETTER: Final = "dead-letter"
HANDLED: Final = "handled"
EXPECTS: Final = (RECORDED, DEAD_LETTER, HANDLED)

TENANT_CUSTOMER: Final = "30000000-0000-4000-8000-000000000001"  # alice, tenant alpha
OTHER_TENANT_CUSTOMER: Final = "30000000-0000-4000-8000-000000000003"  # carol, tenant beta
ACCREDITATION: Final = "alpha-registry"
SSL_ACCREDITATION: Final = "alpha-ssl"

SHORT_STRING_BYTES: Final = 2048  # every string but the big ones, deep JSON and big headers
BIG_HEADER_BYTES: Final = 64 * 1024
DEEP_JSON_LEVELS: Final = 100_000
GOOD_SHARE: Final = (0.38, 0.42)  # of all messages, before duplicates
DUPLICATE_SHARE: Final = 0.02  # of the good messages

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND: Final = timedelta(milliseconds=1)
MIN_MILLIS: Final = (datetime.min.replace(tzinfo=UTC) - EPOCH) // MILLISECOND  # 0001-01-01
MAX_MILLIS: Final = (datetime.max.replace(tzinfo=UTC) - EPOCH) // MILLISECOND  # 9999-12-31
MIN_DAYS: Final = (date(1, 1, 1) - EPOCH.date()).days
MAX_DAYS: Final = (date(9999, 12, 31) - EPOCH.date()).days


class CorpusError(Exception):
    """The generator labelled a message wrongly, or broke one of its uniqueness rules."""


@dataclass(frozen=True)
class CorpusMessage:
    """One Kafka message for the actions topic and what must become of it."""

    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]
    kind: str  # the generator branch: "good", "random-bytes", "nul-in-string", ...
    expect: str  # "recorded", "dead-letter" or "handled"
    request_id: str | None  # the decoded request_id (canonical form), None when undecodable


# --- a raw Avro binary encoder -------------------------------------------------------------
@dataclass(frozen=True)
class Raw:
    """Bytes written as they are where a value's encoding belongs."""

    data: bytes


@dataclass(frozen=True)
class Branch:
    """A union value with an explicit branch index, in range or not."""

    index: int
    value: Any = None


@dataclass(frozen=True)
class EnumIndex:
    """An enum value written as this index, in range or not."""

    index: int


def zigzag(number: int) -> bytes:
    """An Avro int/long: zig-zag, then a little-endian base-128 varint (any size)."""
    folded = number * 2 if number >= 0 else -number * 2 - 1
    out = bytearray()
    while folded > 0x7F:
        out.append((folded & 0x7F) | 0x80)
        folded >>= 7
    out.append(folded)
    return bytes(out)


def overlong(varint: bytes, extra: int) -> bytes:
    """The same varint padded with ``extra`` redundant bytes (a non-minimal encoding)."""
    if extra < 1:
        return varint
    return varint[:-1] + bytes([varint[-1] | 0x80]) + b"\x80" * (extra - 1) + b"\x00"


def avro_string(text: str | bytes) -> bytes:
    """An Avro string; bytes are written as they are, lone surrogates as their 3 bytes."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    return zigzag(len(data)) + data


def _millis(value: datetime) -> int:
    return (value - EPOCH) // MILLISECOND


def encode_raw(schema: Any, value: Any) -> bytes:
    """``value`` in Avro binary for ``schema`` (an expanded schema), without checks.

    Strings may be bytes (written as they are), a union value a :class:`Branch`, an
    enum value an :class:`EnumIndex`, and any value :class:`Raw` bytes.
    """
    if isinstance(value, Raw):
        return value.data
    if isinstance(schema, list):
        return _encode_union(schema, value)
    if isinstance(schema, str):
        schema = {"type": schema}
    encoder = _ENCODERS.get(schema["type"])
    if encoder is None:
        raise TypeError(f"encode_raw: unsupported schema type {schema['type']!r}")
    return encoder(schema, value)


def _encode_number(schema: dict[str, Any], value: Any) -> bytes:
    logical = schema.get("logicalType")
    if logical == "timestamp-millis" and isinstance(value, datetime):
        return zigzag(_millis(value))
    if logical == "date" and isinstance(value, date):
        return zigzag((value - EPOCH.date()).days)
    return zigzag(int(value))


def _encode_enum(schema: dict[str, Any], value: Any) -> bytes:
    return zigzag(value.index if isinstance(value, EnumIndex) else schema["symbols"].index(value))


def _encode_array(schema: dict[str, Any], value: Any) -> bytes:
    items = b"".join(encode_raw(schema["items"], item) for item in value)
    return (zigzag(len(value)) + items if value else b"") + b"\x00"


def _encode_map(schema: dict[str, Any], value: Any) -> bytes:
    entries = b"".join(
        avro_string(name) + encode_raw(schema["values"], item) for name, item in value.items()
    )
    return (zigzag(len(value)) + entries if value else b"") + b"\x00"


def _encode_record(schema: dict[str, Any], value: Any) -> bytes:
    return b"".join(
        encode_raw(field["type"], value.get(field["name"], field.get("default")))
        for field in schema["fields"]
    )


_ENCODERS: Final[dict[str, Callable[[dict[str, Any], Any], bytes]]] = {
    "null": lambda schema, value: b"",
    "boolean": lambda schema, value: b"\x01" if value else b"\x00",
    "int": _encode_number,
    "long": _encode_number,
    "string": lambda schema, value: avro_string(value),
    "enum": _encode_enum,
    "array": _encode_array,
    "map": _encode_map,
    "record": _encode_record,
}


def _encode_union(branches: list[Any], value: Any) -> bytes:
    if isinstance(value, Branch):
        if -len(branches) <= value.index < len(branches):  # negative: as Python indexes
            return zigzag(value.index) + encode_raw(branches[value.index], value.value)
        tail = value.value.data if isinstance(value.value, Raw) else b""
        return zigzag(value.index) + tail
    if value is None:
        return zigzag(branches.index("null"))
    if isinstance(value, tuple):
        name, inner = value
        for index, branch in enumerate(branches):
            if isinstance(branch, dict) and branch.get("name") == name:
                return zigzag(index) + encode_raw(branch, inner)
        raise TypeError(f"encode_raw: no union branch named {name!r}")
    index = next(i for i, branch in enumerate(branches) if branch != "null")
    return zigzag(index) + encode_raw(branches[index], value)


@functools.cache
def request_schema() -> dict[str, Any]:
    """The current ProvisionRequest schema with every named type written out in place."""
    return expanded(REQUEST)


@functools.cache
def request_header() -> bytes:
    """``C3 01`` and the current ProvisionRequest schema's fingerprint."""
    return MAGIC + schema_fingerprint(current(REQUEST))


@functools.cache
def known_fingerprints() -> frozenset[bytes]:
    found = set()
    for record in TOP_LEVEL:
        found.add(schema_fingerprint(current(record)))
        found.update(schema_fingerprint(version) for version in released(record).values())
    return frozenset(found)


def raw_request(datum: Mapping[str, Any]) -> bytes:
    """A ProvisionRequest datum in single-object encoding, written by :func:`encode_raw`."""
    return request_header() + encode_raw(request_schema(), datum)


@functools.cache
def payload_schemas() -> dict[str, dict[str, Any]]:
    """Each payload record's expanded schema, by full name."""
    payload = next(f for f in request_schema()["fields"] if f["name"] == "payload")
    return {branch["name"]: branch for branch in payload["type"]}


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _field_shape(schema: Any) -> tuple[str, bool, str | None]:
    """(type, nullable, logicalType) of a field; arrays are ``array:<items>``."""
    nullable = False
    if isinstance(schema, list):
        nullable = "null" in schema
        schema = next(branch for branch in schema if branch != "null")
    if isinstance(schema, str):
        return schema, nullable, None
    if schema["type"] == "array":
        return f"array:{schema['items']}", nullable, None
    return schema["type"], nullable, schema.get("logicalType")


# --- hostile text ------------------------------------------------------------------------
C0: Final = (*(chr(c) for c in range(1, 0x20)), "\x7f")
C1: Final = tuple(chr(c) for c in range(0x80, 0xA0))
BIDI: Final = (
    "\u200e",  # LEFT-TO-RIGHT MARK
    "\u200f",  # RIGHT-TO-LEFT MARK
    "\u061c",  # ARABIC LETTER MARK
    "\u202a",  # LRE
    "\u202b",  # RLE
    "\u202c",  # PDF
    "\u202d",  # LRO
    "\u202e",  # RLO
    "\u2066",  # LRI
    "\u2067",  # RLI
    "\u2068",  # FSI
    "\u2069",  # PDI
    "\u05d0\u05d1",  # Hebrew letters
    "\u0627\u0644",  # Arabic letters
)
EMOJI: Final = (
    "\U0001f600",
    "\U0001f4a9",
    "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",  # a ZWJ family
    "\U0001f1fa\U0001f1f8",  # a flag: two regional indicators
    "\U0001f44d\U0001f3fd",  # a skin tone modifier
    "\u2764\ufe0f",  # a variation selector
    "\U0001f9d1\u200d\U0001f680",
    "\U0001faf6",
)
ODD: Final = (
    "\u200b",  # ZERO WIDTH SPACE
    "\u200c",
    "\u200d",
    "\ufeff",  # BOM
    "\ufffe",  # noncharacters
    "\uffff",
    "\U0010ffff",  # the last code point
    "\ue000",  # private use
    "\u2028",  # LINE SEPARATOR
    "\u2029",
    "\u00a0",
    "\u3000",
    "\u0301\u0336\u0338",  # combining marks
    "\ufffd",
    "\uff0e",  # FULLWIDTH FULL STOP
    "\u3002",  # IDEOGRAPHIC FULL STOP (a dot to IDNA)
    "\u0430",  # Cyrillic a
    "\u0130",  # I with dot: lower() grows it
    "\u00df",  # sharp s: upper() grows it
    "\U000e0001",  # a tag character
)
FLAVOURS: Final[dict[str, tuple[str, ...]]] = {
    "nul-in-string": ("\x00",),
    "control-chars": C0 + C1,
    "bidi-marks": BIDI,
    "emoji": EMOJI,
    "odd-unicode": ODD,
}
EVERY_HOSTILE: Final = ("\x00", *C0, *C1, *BIDI, *EMOJI, *ODD)
INVALID_UTF8: Final = (
    "\ud800".encode("utf-8", "surrogatepass"),  # a lone high surrogate
    "\udfff".encode("utf-8", "surrogatepass"),  # a lone low surrogate
    b"\xff",
    b"\xfe\xff",
    b"\xc0\xaf",  # an overlong '/'
    b"\xe0\x80\xaf",
    b"\xe2\x82",  # a truncated sequence
    b"\xf4\x90\x80\x80",  # beyond U+10FFFF
    b"\xf8\x88\x80\x80\x80",  # a 5-byte form
    b"\x80",  # a lone continuation byte
)
INVALID_JSON: Final = (
    "",
    "{",
    "}",
    "{'report': 'single quotes'}",
    '{"a": 1,}',
    "[1, 2,]",
    "NaN",
    '{"a": Infinity}',
    '{"a": "\\ud800"}',  # a lone surrogate escape: valid JSON text, not valid jsonb
    '{"a": "\\u0000"}',  # NUL escape: jsonb refuses it
    '{"a": 1e999999}',
    '{"a": 1} trailing',
    '"just a string"',
    "[]",
    "null",
    "42",
    "\ufeff{}",
    '{"a": "b" "c": "d"}',
    '{"a": "\x00"}',
    '{"dup": 1, "dup": 2}',
)
HOSTILE_TRACEPARENTS: Final = (
    b"",
    b"\x00" * 55,
    b"00-" + b"0" * 32 + b"-" + b"0" * 16 + b"-01",  # all-zero ids: W3C says invalid
    b"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    b"00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
    b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
    b"00-4bf92f3577b34da6a3ce929d0e0e4736\x00-00f067aa0ba902b7-01",
    b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n",
    b"\xff\xfe\xfd",
    b"'; DROP TABLE provision_domain; --",
    "00-\u202e4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".encode(),
    b"0" * 4096,
)
WORDS: Final = (
    "acme",
    "blue",
    "cedar",
    "delta",
    "ember",
    "fjord",
    "grove",
    "harbor",
    "indigo",
    "juniper",
    "kestrel",
    "lumen",
)
ALNUM: Final = string.ascii_lowercase + string.digits
PW_CHARS: Final = string.ascii_letters + string.digits + "!#$%&()*+,-./:;<=>?@[]^_{|}~"
PERIODS: Final = (0, -1, 11, 99, 2**31 - 1, -(2**31), 1_000_000)
INT_OVERFLOWS: Final = (2**31, -(2**31) - 1, 2**40, -(2**40), 2**63 - 1, -(2**63))
LOCKS: Final = ("clientTransferProhibited", "clientDeleteProhibited", "clientUpdateProhibited")


def fit(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, on a character boundary."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


def strings_in(value: Any) -> Iterator[str]:
    """Every string in a decoded datum: values, map keys, array items."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for name, item in value.items():
            yield from strings_in(name)
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


def try_decode(value: bytes | None) -> dict[str, Any] | None:
    """The decoded ProvisionRequest, or None when the codec refuses the value."""
    if value is None:
        return None
    try:
        return SingleObjectCodec().decode(REQUEST, value)
    except DecodeError:
        return None


# --- the generator -----------------------------------------------------------------------
Slot = tuple[
    str, str
]  # ("envelope" | "payload" | "item" | "metadata-key" | "metadata-value", field)
EITHER: Final = "either"  # a kind whose messages may or may not decode (bit-flip)
OBJECT_KEY: Final = "object"  # message(): key the message as the RequestProducer would


def _substitute(value: Any, marker: str, text: str) -> Any:
    """``value`` with every string equal to ``marker`` (values and map keys) replaced."""
    if isinstance(value, str):
        return text if value == marker else value
    if isinstance(value, dict):
        return {
            _substitute(name, marker, text): _substitute(item, marker, text)
            for name, item in value.items()
        }
    if isinstance(value, list):
        return [_substitute(item, marker, text) for item in value]
    if isinstance(value, tuple):
        return tuple(_substitute(item, marker, text) for item in value)
    return value


class _Builder:
    """Makes the messages of one corpus; all randomness comes from one Random."""

    def __init__(self, seed: int, max_string_bytes: int) -> None:
        self.rng = random.Random(seed)
        self.unparsable_report_given = False
        self.codec = SingleObjectCodec()
        self.max_string_bytes = max_string_bytes
        self.short = min(SHORT_STRING_BYTES, max_string_bytes)
        self.names: set[str] = set()  # every domain name handed out, good or not
        self.request_ids: set[str] = set()
        self.made: Counter[str] = Counter()

    def make(self, kind: str) -> CorpusMessage:
        self.made[kind] += 1
        if kind == "good":
            message = self.good()
        elif kind == "big-string":
            message = self.big_string()
        else:
            _, predicted, maker = _TABLE[kind]
            message = maker(self)
            if predicted not in (EITHER, message.expect):
                raise CorpusError(f"{kind}: made a {message.expect} message, not {predicted}")
        if message.kind != kind:
            raise CorpusError(f"{kind}: made a message of kind {message.kind}")
        return message

    # --- primitives ---------------------------------------------------------------------
    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def request_id(self) -> str:
        while True:
            candidate = self.uuid()
            if candidate not in self.request_ids:
                self.request_ids.add(candidate)
                return candidate

    def token(self, length: int = 10) -> str:
        return "".join(self.rng.choice(ALNUM) for _ in range(length))

    def domain(self, tld: str = "com") -> str:
        """A fresh lowercase LDH name that no other message of the corpus uses."""
        while True:
            name = f"{self.rng.choice(WORDS)}-{self.token()}.{tld}"
            if name not in self.names:
                self.names.add(name)
                return name

    def password(self) -> str:
        return "".join(self.rng.choice(PW_CHARS) for _ in range(self.rng.randint(8, 24)))

    def handle(self) -> str:
        return f"C{self.token(self.rng.randint(4, 12))}"

    def requested_at(self) -> datetime:
        offset = self.rng.randrange(366 * 86_400_000)
        return datetime(2025, 1, 1, tzinfo=UTC) + timedelta(milliseconds=offset)

    def traceparent(self) -> str:
        trace = self.rng.getrandbits(128) or 1
        span = self.rng.getrandbits(64) or 1
        return f"00-{trace:032x}-{span:016x}-01"

    def producer_headers(self) -> list[tuple[str, bytes | None]]:
        """What the RequestProducer sends, or less (as other producers might)."""
        roll = self.rng.random()
        if roll < 0.6:
            return [
                ("traceparent", self.traceparent().encode()),
                ("content-type", CONTENT_TYPE.encode()),
            ]
        if roll < 0.8:
            return [("content-type", CONTENT_TYPE.encode())]
        return []

    def blob(self, low: int, high: int) -> bytes:
        return self.rng.randbytes(min(self.rng.randint(low, high), self.max_string_bytes))

    def hostile(self, flavour: str, base: str) -> str:
        """``base`` with characters of ``flavour`` in it (or only those), at most 2 KB."""
        rng = self.rng
        if flavour == "long-string":
            target = rng.randint(min(256, self.short), self.short)
            pieces = [base]
            size = len(base.encode())
            while size < target:
                piece = rng.choice(EVERY_HOSTILE) if rng.random() < 0.5 else self.token(16)
                pieces.append(piece)
                size += len(piece.encode())
            return fit("".join(pieces), target)
        pool = FLAVOURS[flavour]
        extra = "".join(rng.choice(pool) for _ in range(rng.randint(1, 6)))
        style = rng.randrange(5)
        if style == 0:
            text = extra
        elif style == 1:
            text = extra + base
        elif style == 2:
            text = base + extra
        elif style == 3 and flavour == "bidi-marks":
            text = "\u202e" + base[::-1]  # the classic spoof: shown the right way round
        else:
            chars = list(base)
            for _ in range(rng.randint(1, 3)):
                chars.insert(rng.randint(0, len(chars)), rng.choice(pool))
            text = "".join(chars)
        return fit(text, self.short)

    def wild_string(self, base: str) -> str:
        """``base``, or a hostile, empty, blank, junk or oddly cased version of it."""
        roll = self.rng.randrange(7)
        if roll == 0:
            return base
        if roll <= 2:
            return self.hostile(self.rng.choice([*FLAVOURS, "long-string"]), base)
        if roll == 3:
            return ""
        if roll == 4:
            return " " * self.rng.randint(1, 8)
        if roll == 5:
            return "".join(
                self.rng.choice(string.printable) for _ in range(self.rng.randint(1, 40))
            )
        return f" {base.upper()}. "

    # --- datums -------------------------------------------------------------------------
    def baseline(self, record: str) -> dict[str, Any]:
        """A plausible payload of ``record`` (short name), on fresh names."""
        rng = self.rng
        name = self.domain(rng.choice(("com", "net", "org", "io", "dev")))
        payloads: dict[str, Callable[[], dict[str, Any]]] = {
            "DomainCreate": lambda: {
                "name": name,
                "registration_period": rng.choice((None, 1, 2)),
                "nameservers": [],
            },
            "DomainRenew": lambda: {
                "name": name,
                "period": 1,
                "current_expiry_date": (date(2026, 1, 1) - EPOCH.date()).days + rng.randrange(3650),
            },
            "DomainTransfer": lambda: {
                "name": name,
                "pw": self.password(),
                "period": rng.choice((None, 1)),
            },
            "DomainRestore": lambda: {
                "name": name,
                "restore_report": rng.choice(
                    (None, json.dumps({"reason": "corpus", "statements": ["a", "b"]}))
                ),
            },
            "DomainDelete": lambda: {"name": name},
            "DomainTransferAction": lambda: {"name": name, "op": rng.choice(("cancel", "reject"))},
            "DomainUpdate": lambda: {
                "name": name,
                "nameservers": rng.choice((None, [f"ns1.{self.domain('net')}"])),
                "add_locks": [rng.choice(LOCKS)] if rng.random() < 0.5 else [],
                "remove_locks": [],
            },
            "ContactCreate": lambda: {
                "handle": self.handle(),
                "name": "Corpus Person",
                "email": f"{self.token(8)}@example.net",
                "phone": "+1.5555550100",
                "city": "Springfield",
                "country_code": "US",
            },
            "HostCreate": lambda: {
                "name": f"ns{rng.randint(1, 9)}.{name}",
                "addresses": [f"192.0.2.{rng.randint(1, 254)}"],
            },
            "HostUpdate": lambda: {
                "name": f"ns{rng.randint(1, 9)}.{name}",
                "addresses": [f"192.0.2.{rng.randint(1, 254)}"],
            },
            "HostDelete": lambda: {"name": f"ns{rng.randint(1, 9)}.{name}"},
            "ContactUpdate": lambda: {
                "handle": self.handle(),
                "email": f"{self.token(8)}@example.net",
                "city": rng.choice((None, "Shelbyville")),
            },
            "ContactDelete": lambda: {"handle": self.handle()},
            "SslCertificate": lambda: {
                "common_name": name,
                "sans": [f"www.{name}"],
                "validity_days": None,
            },
        }
        return payloads[record]()

    def datum(self, action: str, record: str | None = None) -> dict[str, Any]:
        """A request of ``action`` with a baseline payload (of ``record`` when given)."""
        record = record or ACTIONS[action].record
        metadata: dict[str, str] = {}
        if self.rng.random() < 0.4:
            metadata = {"source": "corpus", "order_id": self.uuid()}
        return {
            "request_id": self.request_id(),
            "tenant_customer_id": TENANT_CUSTOMER,
            "accreditation": SSL_ACCREDITATION if action == "provision_ssl" else ACCREDITATION,
            "action": action,
            "payload": (f"{NAMESPACE}.{record}", self.baseline(record)),
            "order_item_plan_ids": [],
            "order_metadata": metadata,
            "requested_at": self.requested_at(),
        }

    def fresh_create(self) -> dict[str, Any]:
        """A valid domain create that is none of the good messages (to mangle)."""
        datum = self.datum("provision_domain")
        datum["payload"][1]["name"] = self.domain("com")
        return datum

    def slots(self, datum: Mapping[str, Any], *, skip_key: bool = False) -> list[Slot]:
        """Every place a string goes in ``datum``: envelope, payload fields, items, metadata."""
        found: list[Slot] = [
            ("envelope", "accreditation"),
            ("metadata-key", ""),
            ("metadata-value", ""),
        ]
        record = datum["payload"][0]
        key_field = next(a.key_field for a in ACTIONS.values() if a.record_full_name == record)
        for field in payload_schemas()[record]["fields"]:
            shape, _, logical = _field_shape(field["type"])
            if skip_key and field["name"] == key_field:
                continue
            if shape == "string" and logical is None:
                found.append(("payload", field["name"]))
            elif shape == "array:string":
                found.append(("item", field["name"]))
        return found

    def put(self, datum: dict[str, Any], slot: Slot, make: Callable[[str], Any]) -> None:
        """Set the string at ``slot`` to ``make(what is there, or a plausible base)``."""
        where, field = slot
        payload: dict[str, Any] = datum["payload"][1]
        if where == "envelope":
            datum[field] = make(datum[field])
        elif where == "payload":
            base = payload.get(field)
            payload[field] = make(base if isinstance(base, str) else self.handle())
        elif where == "item":
            items = list(payload.get(field) or [f"ns1.{self.domain('net')}"])
            index = self.rng.randrange(len(items))
            items[index] = make(items[index])
            payload[field] = items
        elif where == "metadata-key":
            datum["order_metadata"] = {**datum["order_metadata"], make("order_id"): self.uuid()}
        else:
            metadata = datum["order_metadata"]
            datum["order_metadata"] = {**metadata, "note" if metadata else "order_id": make("")}

    def key_of(self, datum: Mapping[str, Any]) -> bytes:
        """The key the RequestProducer gives ``datum`` (also when a name is raw bytes)."""
        named = datum["action"]
        action = ACTIONS.get(named) if isinstance(named, str) else None
        action = action or ACTIONS["provision_domain"]
        payload = datum["payload"]
        fields: Mapping[str, Any] = payload[1] if isinstance(payload, tuple) else {}
        value = fields.get(action.key_field)
        if isinstance(value, bytes):
            return f"{action.object_kind}:".encode() + value.strip().rstrip(b".").lower()
        if value is not None and not isinstance(value, str):
            fields = {}
        return object_key(action, fields, datum["request_id"]).encode("utf-8", "surrogatepass")

    def message(
        self,
        kind: str,
        expect: str,
        datum: Mapping[str, Any],
        *,
        raw: bool = False,
        value: bytes | None = None,
        key: bytes | str | None = OBJECT_KEY,
        headers: list[tuple[str, bytes | None]] | None = None,
    ) -> CorpusMessage:
        """A message of ``datum``: codec-encoded (or by encode_raw), keyed, with headers."""
        if value is None:
            value = raw_request(datum) if raw else self.codec.encode(REQUEST, datum)
        request_id = None
        if expect != DEAD_LETTER:
            request_id = str(uuid.UUID(str(datum["request_id"])))
        return CorpusMessage(
            key=self.key_of(datum) if isinstance(key, str) else key,
            value=value,
            headers=self.producer_headers() if headers is None else headers,
            kind=kind,
            expect=expect,
            request_id=request_id,
        )

    # --- good ---------------------------------------------------------------------------
    def good(self) -> CorpusMessage:
        """A valid domain create: alice at alpha-registry, a fresh .com name."""
        rng = self.rng
        payload: dict[str, Any] = {"name": self.domain("com")}
        if rng.random() < 0.5:
            payload["registration_period"] = rng.randint(1, 10)
        if rng.random() < 0.3:
            payload["pw"] = self.password()
        if rng.random() < 0.3:
            host = self.domain("net")
            payload["nameservers"] = [f"ns{i}.{host}" for i in range(1, rng.randint(2, 4))]
        request: dict[str, Any] = {
            "action": "provision_domain",
            "tenant_customer_id": TENANT_CUSTOMER,
            "accreditation": ACCREDITATION,
            "payload": payload,
            "request_id": self.request_id(),
            "requested_at": self.requested_at(),
        }
        if rng.random() < 0.3:
            request["order_metadata"] = {"source": "corpus", "batch": str(rng.randrange(100))}
        return self.message("good", RECORDED, to_avro(build_request(request)))

    # --- undecodable --------------------------------------------------------------------
    def any_key(self, datum: Mapping[str, Any] | None = None) -> bytes | None:
        roll = self.rng.random()
        if roll < 0.3:
            return None
        if roll < 0.6 or datum is None:
            return self.blob(1, 64)
        return self.key_of(datum)

    def any_headers(self) -> list[tuple[str, bytes | None]]:
        return self.producer_headers() if self.rng.random() < 0.5 else []

    def random_bytes(self) -> CorpusMessage:
        bucket = self.rng.random()
        if bucket < 0.3:
            value = self.blob(1, 16)
        elif bucket < 0.7:
            value = self.blob(17, 256)
        elif bucket < 0.97:
            value = self.blob(257, 4096)
        else:
            value = self.blob(4097, 65_536)
        key = self.any_key()
        return CorpusMessage(key, value, self.any_headers(), "random-bytes", DEAD_LETTER, None)

    def empty_value(self) -> CorpusMessage:
        key = self.any_key(self.fresh_create())
        return CorpusMessage(key, b"", self.any_headers(), "empty-value", DEAD_LETTER, None)

    def null_value(self) -> CorpusMessage:
        key = self.any_key(self.fresh_create())
        return CorpusMessage(key, None, self.any_headers(), "null-value", DEAD_LETTER, None)

    def truncated_avro(self) -> CorpusMessage:
        datum = self.fresh_create()
        value = self.codec.encode(REQUEST, datum)
        cut = self.rng.choice((len(request_header()), self.rng.randrange(len(value))))
        return self.message("truncated-avro", DEAD_LETTER, datum, value=value[:cut])

    def bad_magic(self) -> CorpusMessage:
        datum = self.fresh_create()
        value = self.codec.encode(REQUEST, datum)
        roll = self.rng.randrange(3)
        if roll == 0:
            value = value[len(MAGIC) :]  # no magic at all
        elif roll == 1:
            value = b"\xc3\x00" + value[len(MAGIC) :]
        else:
            magic = MAGIC
            while magic == MAGIC:
                magic = self.rng.randbytes(2)
            value = magic + value[len(MAGIC) :]
        return self.message("bad-magic", DEAD_LETTER, datum, value=value)

    def unknown_fingerprint(self) -> CorpusMessage:
        datum = self.fresh_create()
        body = self.codec.encode(REQUEST, datum)[len(request_header()) :]
        fingerprint = self.rng.randbytes(8)
        while fingerprint in known_fingerprints():  # pragma: no cover - 2**-62
            fingerprint = self.rng.randbytes(8)
        value = MAGIC + fingerprint + body
        return self.message("unknown-fingerprint", DEAD_LETTER, datum, value=value)

    def outcome_record(self) -> CorpusMessage:
        """A ProvisionOutcome (right framing, wrong record) on the actions topic."""
        datum = self.fresh_create()
        outcome = {
            "event_id": self.uuid(),
            "request_id": datum["request_id"],
            "provision_id": self.rng.choice((None, self.uuid())),
            "action": "provision_domain",
            "status": self.rng.choice(("completed", "failed", "pending_action")),
            "order_item_plan_ids": [],
            "result_message": "an outcome on the actions topic",
            "result_data": None,
            "occurred_at": self.requested_at(),
        }
        value = self.codec.encode(OUTCOME, outcome)
        return self.message("outcome-record", DEAD_LETTER, datum, value=value)

    def confluent_framing(self) -> CorpusMessage:
        """The body behind the Confluent wire format's header: magic 0 and a schema id."""
        datum = self.fresh_create()
        body = self.codec.encode(REQUEST, datum)[len(request_header()) :]
        value = b"\x00" + self.rng.randrange(1, 2**31).to_bytes(4, "big") + body
        return self.message("confluent-framing", DEAD_LETTER, datum, value=value)

    def json_value(self) -> CorpusMessage:
        """The request as JSON text, as a confused producer might send it."""
        datum = self.fresh_create()
        text = json.dumps({**datum, "payload": datum["payload"][1]}, default=str)
        return self.message("json-value", DEAD_LETTER, datum, value=text.encode())

    def bit_flip(self) -> CorpusMessage:
        """A good-looking encoding with 1-4 bits flipped: decodable or not, as it falls."""
        for _ in range(20):
            datum = self.fresh_create()
            own = datum["payload"][1]["name"]
            value = bytearray(self.codec.encode(REQUEST, datum))
            for _ in range(self.rng.randint(1, 4)):
                value[self.rng.randrange(len(value))] ^= 1 << self.rng.randrange(8)
            decoded = try_decode(bytes(value))
            if decoded is None:
                return self.message("bit-flip", DEAD_LETTER, datum, value=bytes(value))
            request_id = str(decoded["request_id"])
            if request_id != datum["request_id"] and request_id in self.request_ids:
                continue  # pragma: no cover - a flip onto another message's request_id
            names = {normalized(text) for text in strings_in(decoded["payload"])}
            if (names - {own}) & self.names:
                continue  # pragma: no cover - a flip onto another message's name
            self.request_ids.add(request_id)
            datum["request_id"] = request_id
            return self.message("bit-flip", HANDLED, datum, value=bytes(value))
        raise CorpusError("bit-flip: no usable flip in 20 tries")  # pragma: no cover

    def invalid_utf8(self) -> CorpusMessage:
        """Bytes that are not UTF-8 (lone surrogates, overlong forms, ...) in a string."""
        datum = self.datum(self.rng.choice(list(ACTIONS)))
        slot = self.rng.choice(self.slots(datum))
        bad = self.rng.choice(INVALID_UTF8)

        def poison(base: str) -> bytes:
            cut = self.rng.randint(0, len(base))
            return base[:cut].encode() + bad + base[cut:].encode()

        self.put(datum, slot, poison)
        return self.message("invalid-utf8", DEAD_LETTER, datum, raw=True)

    def length_bomb(self) -> CorpusMessage:
        """A string length or block count far past the end of the message, or negative."""
        datum = self.fresh_create()
        roll = self.rng.randrange(4)
        huge = self.rng.choice((2**31 - 1, 2**40, 2**62))
        if roll == 0:
            datum["accreditation"] = Raw(zigzag(huge) + ACCREDITATION.encode())
        elif roll == 1:
            negative = self.rng.choice((-1, -3, -(2**31)))
            datum["accreditation"] = Raw(zigzag(negative) + ACCREDITATION.encode())
        elif roll == 2:
            datum["order_item_plan_ids"] = Raw(zigzag(huge) + avro_string(self.uuid()))
        else:
            datum["order_metadata"] = Raw(zigzag(huge) + avro_string("k") + avro_string("v"))
        return self.message("length-bomb", DEAD_LETTER, datum, raw=True)

    def enum_out_of_range(self) -> CorpusMessage:
        datum = self.fresh_create()
        symbols = len(ACTIONS)
        index = self.rng.choice((symbols, symbols + 1, 64, 2**31 - 1, -symbols - 1, -(2**31)))
        datum["action"] = EnumIndex(index)
        return self.message("enum-out-of-range", DEAD_LETTER, datum, raw=True)

    def union_out_of_range(self) -> CorpusMessage:
        datum = self.fresh_create()
        record, payload = datum["payload"]
        if self.rng.random() < 0.6:
            index = self.rng.choice((len(ACTIONS), len(ACTIONS) + 1, 127, 2**31 - 1))
            index = self.rng.choice((index, -len(ACTIONS) - 1, -(2**31)))
            body = encode_raw(payload_schemas()[record], payload)
            datum["payload"] = Branch(index, Raw(body))
        else:  # a nullable field's ["null", X] with branch 2 or more
            field = self.rng.choice(("registration_period", "pw", "registrant"))
            payload[field] = Branch(self.rng.choice((2, 3, 100)), Raw(b"\x02"))
        return self.message("union-out-of-range", DEAD_LETTER, datum, raw=True)

    def request_id_not_uuid(self) -> CorpusMessage:
        datum = self.fresh_create()
        good = datum["request_id"]
        datum["request_id"] = self.rng.choice(
            (
                "",
                "not-a-uuid",
                "\x00" * 36,
                good[:8] + "\x00" + good[9:],
                good + "0",
                good[:-1],
                "g" * 32,
                "' OR 1=1 --",
                "\U0001f600" * 9,
                good.replace("-", "\u2010"),
            )
        )
        return self.message("request-id-not-uuid", DEAD_LETTER, datum, raw=True)

    def tenant_not_uuid(self) -> CorpusMessage:
        datum = self.fresh_create()
        datum["tenant_customer_id"] = self.rng.choice(
            ("alice", "", "\x00", TENANT_CUSTOMER[:-1], TENANT_CUSTOMER[:-1] + "z")
        )
        return self.message("tenant-not-uuid", DEAD_LETTER, datum, raw=True)

    def plan_ids(self, bad: str) -> list[str]:
        plans = [self.uuid() for _ in range(self.rng.randint(0, 3))]
        plans.insert(self.rng.randint(0, len(plans)), bad)
        return plans

    def plan_id_nul(self) -> CorpusMessage:
        datum = self.fresh_create()
        plan = self.uuid()
        cut = self.rng.randrange(len(plan))
        bad = self.rng.choice(("\x00" * 36, plan[:cut] + "\x00" + plan[cut + 1 :], plan + "\x00"))
        datum["order_item_plan_ids"] = self.plan_ids(bad)
        return self.message("plan-id-nul", DEAD_LETTER, datum, raw=True)

    def plan_id_not_uuid(self) -> CorpusMessage:
        datum = self.fresh_create()
        bad = self.rng.choice(("", "plan-1", "12345", "null", self.uuid()[:-2], "\u202e" * 36))
        datum["order_item_plan_ids"] = self.plan_ids(bad)
        return self.message("plan-id-not-uuid", DEAD_LETTER, datum, raw=True)

    def timestamp_out_of_range(self) -> CorpusMessage:
        datum = self.fresh_create()
        datum["requested_at"] = self.rng.choice(
            (MIN_MILLIS - 1, MAX_MILLIS + 1, 2**62, -(2**62), 2**63 - 1, -(2**63))
        )
        return self.message("timestamp-out-of-range", DEAD_LETTER, datum, raw=True)

    def date_out_of_range(self) -> CorpusMessage:
        datum = self.datum("provision_domain_renew")
        datum["payload"][1]["current_expiry_date"] = self.rng.choice(
            (MIN_DAYS - 1, MAX_DAYS + 1, 2**31 - 1, -(2**31))
        )
        return self.message("date-out-of-range", DEAD_LETTER, datum, raw=True)

    # --- decodable, hostile: the framing and the envelope ------------------------------
    def trailing_garbage(self) -> CorpusMessage:
        """Bytes after the record: fastavro stops at the record's end and ignores them."""
        datum = self.fresh_create()
        value = self.codec.encode(REQUEST, datum) + self.blob(1, 64)
        return self.message("trailing-garbage", HANDLED, datum, value=value)

    def overlong_varint(self) -> CorpusMessage:
        """A non-minimal varint (same value, more bytes) for an index, a length or a time."""
        datum = self.fresh_create()
        extra = self.rng.randint(1, 5)
        roll = self.rng.randrange(3)
        if roll == 0:
            datum["action"] = Raw(overlong(zigzag(0), extra))
        elif roll == 1:
            text = ACCREDITATION.encode()
            datum["accreditation"] = Raw(overlong(zigzag(len(text)), extra) + text)
        else:
            datum["requested_at"] = Raw(overlong(zigzag(_millis(datum["requested_at"])), 1))
        return self.message("overlong-varint", HANDLED, datum, raw=True)

    def enum_negative_index(self) -> CorpusMessage:
        """Action index -1..-9: fastavro counts from the end (-1 reads as provision_ssl)."""
        datum = self.datum(self.rng.choice(list(ACTIONS)))
        datum["action"] = EnumIndex(-self.rng.randint(1, len(ACTIONS)))
        return self.message("enum-negative-index", HANDLED, datum, raw=True)

    def union_negative_index(self) -> CorpusMessage:
        """A negative union index: fastavro counts from the end, like the enum's."""
        if self.rng.random() < 0.6:  # the payload union: -1 reads as an SslCertificate
            index = -self.rng.randint(1, len(ACTIONS))
            record = list(payload_schemas())[index]
            datum = self.datum(self.rng.choice(list(ACTIONS)), record.split(".")[-1])
            datum["payload"] = Branch(index, datum["payload"][1])
        else:  # a ["null", X] field: -1 is X, -2 is null
            datum = self.fresh_create()
            payload = datum["payload"][1]
            payload["registration_period"] = Branch(-1, self.rng.choice((1, 0, -1)))
            payload["pw"] = Branch(-2)
            payload["registrant"] = Branch(-1, self.handle())
        return self.message("union-negative-index", HANDLED, datum, raw=True)

    def action_mismatch(self) -> CorpusMessage:
        """An action with another action's payload record."""
        action = self.rng.choice(list(ACTIONS))
        record = self.rng.choice([a.record for a in ACTIONS.values() if a.table != action])
        return self.message("action-mismatch", HANDLED, self.datum(action, record))

    def request_id_noncanonical(self) -> CorpusMessage:
        """A request_id uuid.UUID accepts in a form that is not the canonical one."""
        datum = self.fresh_create()
        good = datum["request_id"]
        datum["request_id"] = self.rng.choice(
            (f"{{{good}}}", f"urn:uuid:{good}", good.upper(), good.replace("-", ""))
        )
        return self.message("request-id-noncanonical", HANDLED, datum, raw=True)

    def plan_id_unknown(self) -> CorpusMessage:
        """Plan ids that are UUIDs but no order's (sometimes hundreds, sometimes repeated)."""
        datum = self.fresh_create()
        count = self.rng.randint(200, 500) if self.rng.random() < 0.1 else self.rng.randint(1, 4)
        plans = [self.uuid() for _ in range(count)]
        if len(plans) > 1 and self.rng.random() < 0.2:
            plans[-1] = plans[0]
        datum["order_item_plan_ids"] = plans
        return self.message("plan-id-unknown", HANDLED, datum)

    def wrong_party(self) -> CorpusMessage:
        """A tenant_customer or accreditation unknown, another tenant's, or not a registry."""
        datum = self.fresh_create()
        field, value = self.rng.choice(
            (
                ("tenant_customer_id", self.uuid()),
                ("tenant_customer_id", OTHER_TENANT_CUSTOMER),
                ("tenant_customer_id", "00000000-0000-0000-0000-000000000000"),
                ("accreditation", "beta-registry"),
                ("accreditation", SSL_ACCREDITATION),
                ("accreditation", ""),
                ("accreditation", "no-such-registry"),
                ("accreditation", "ALPHA-REGISTRY"),
            )
        )
        datum[field] = value
        return self.message("wrong-party", HANDLED, datum)

    # --- numbers, dates, times ----------------------------------------------------------
    def number_field(self) -> tuple[dict[str, Any], str]:
        action, field = self.rng.choice(
            (
                ("provision_domain", "registration_period"),
                ("provision_domain_renew", "period"),
                ("provision_domain_transfer", "period"),
                ("provision_ssl", "validity_days"),
            )
        )
        return self.datum(action), field

    def period_extreme(self) -> CorpusMessage:
        datum, field = self.number_field()
        datum["payload"][1][field] = self.rng.choice(PERIODS)
        return self.message("period-extreme", HANDLED, datum)

    def int_overflow(self) -> CorpusMessage:
        """An int field holding a value outside 32 bits (fastavro reads 64-bit ints)."""
        datum, field = self.number_field()
        datum["payload"][1][field] = self.rng.choice(INT_OVERFLOWS)
        return self.message("int-overflow", HANDLED, datum, raw=True)

    def timestamp_extreme(self) -> CorpusMessage:
        datum = self.fresh_create()
        datum["requested_at"] = self.rng.choice(
            (MIN_MILLIS, MAX_MILLIS, MIN_MILLIS + 1, MAX_MILLIS - 1, 0, -1, 1)
        )
        return self.message("timestamp-extreme", HANDLED, datum)

    def date_extreme(self) -> CorpusMessage:
        datum = self.datum("provision_domain_renew")
        datum["payload"][1]["current_expiry_date"] = self.rng.choice(
            (MIN_DAYS, MAX_DAYS, MIN_DAYS + 1, MAX_DAYS - 1, 0, -1)
        )
        return self.message("date-extreme", HANDLED, datum)

    # --- hostile strings ----------------------------------------------------------------
    def hostile_strings(self, kind: str) -> CorpusMessage:
        """Hostile text in string fields; the first of a kind poisons every one of a create."""
        first = self.made[kind] == 1
        action = "provision_domain"
        if not first and self.rng.random() < 0.5:
            action = self.rng.choice(list(ACTIONS))
        datum = self.datum(action)
        slots = self.slots(datum)
        if not first and self.rng.random() < 0.75:
            slots = self.rng.sample(slots, self.rng.randint(1, 3))
        for slot in slots:
            self.put(datum, slot, lambda base: self.hostile(kind, base))
        return self.message(kind, HANDLED, datum)

    def big_string(self) -> CorpusMessage:
        """One string of max_string_bytes/2..max_string_bytes; the message stays under the max."""
        datum = self.datum(self.rng.choice(list(ACTIONS)))
        slot = self.rng.choice(self.slots(datum, skip_key=True))
        marker = "\ue000big\ue000"
        self.put(datum, slot, lambda base: marker)
        headers = self.producer_headers()
        overhead = (
            len(self.key_of(datum))
            + len(self.codec.encode(REQUEST, datum))
            + sum(len(name.encode()) + len(value or b"") for name, value in headers)
            + 64
        )
        half = max(1, self.max_string_bytes // 2)
        size = self.rng.randint(half, self.max_string_bytes)
        size = max(half, min(size, self.max_string_bytes - overhead))
        unit = "".join(
            self.rng.choice(EVERY_HOSTILE) if self.rng.random() < 0.3 else self.token(8)
            for _ in range(256)
        )
        text = fit(unit * (size // len(unit.encode()) + 1), size)
        return self.message(
            "big-string", HANDLED, _substitute(datum, marker, text), headers=headers
        )

    # --- every action -------------------------------------------------------------------
    def action_payload(self, action: str) -> CorpusMessage:
        """A request of ``action`` whose payload fields are random or hostile."""
        datum = self.datum(action)
        record, payload = datum["payload"]
        for field in payload_schemas()[record]["fields"]:
            if self.rng.random() < 0.5:
                continue
            name = field["name"]
            shape, nullable, logical = _field_shape(field["type"])
            if nullable and self.rng.random() < 0.2:
                payload[name] = None
            elif shape == "string":
                base = payload.get(name)
                payload[name] = self.wild_string(base if isinstance(base, str) else self.handle())
            elif shape == "array:string":
                payload[name] = [
                    self.wild_string(self.item_base(name)) for _ in range(self.rng.randint(0, 15))
                ]
            elif logical == "date":
                payload[name] = self.rng.choice((MIN_DAYS, MAX_DAYS, 0, -1, 20_000))
            elif shape == "int":
                payload[name] = self.rng.choice((*PERIODS, 1, 2, 5, 10))
        return self.message(_ACTION_KINDS[action], HANDLED, datum)

    def item_base(self, field: str) -> str:
        if field == "addresses":
            return self.rng.choice(
                (
                    "192.0.2.1",
                    "2001:db8::53",
                    "999.1.1.1",
                    "::ffff:127.0.0.1",
                    "255.255.255.255",
                    "fe80::1%eth0",
                )
            )
        if field.endswith("_locks"):
            return self.rng.choice((*LOCKS, "serverHold", "pendingDelete"))
        return f"ns{self.rng.randint(1, 9)}.{self.domain('net')}"

    def restore_deep_json(self) -> CorpusMessage:
        """A restore_report nested up to 100 000 levels deep (the first of them: all the way)."""
        datum = self.datum("provision_domain_restore")
        first = self.made["restore-deep-json"] == 1
        deepest = first or self.rng.random() < 0.5
        levels = DEEP_JSON_LEVELS if deepest else self.rng.randint(1_000, 20_000)
        style = self.rng.randrange(3)
        if style == 0:  # never closed
            text = "[" * min(levels, self.max_string_bytes)
        elif style == 1:  # closed: valid JSON, only deep
            levels = min(levels, self.max_string_bytes // 2)
            text = "[" * levels + "]" * levels
        else:
            levels = min(levels, (self.max_string_bytes - 1) // 6)
            text = '{"a":' * levels + "1" + "}" * levels
        datum["payload"][1]["restore_report"] = text
        return self.message("restore-deep-json", HANDLED, datum)

    def restore_invalid_json(self) -> CorpusMessage:
        """A restore_report that is not JSON, not a JSON object, or not storable as jsonb."""
        datum = self.datum("provision_domain_restore")
        if not self.unparsable_report_given:  # every corpus has one that is not JSON at all
            text = self.rng.choice([t for t in INVALID_JSON if not _parses(t)])
            self.unparsable_report_given = True
        elif self.rng.random() < 0.8:
            text = self.rng.choice(INVALID_JSON)
        else:
            text = '{"reason": "' + self.hostile("control-chars", "raw controls") + '"}'
        datum["payload"][1]["restore_report"] = text
        return self.message("restore-invalid-json", HANDLED, datum)

    # --- keys and headers ---------------------------------------------------------------
    def hostile_key(self) -> CorpusMessage:
        datum = self.fresh_create()
        key = self.rng.choice(
            (
                None,
                b"",
                b"\x00" * self.rng.randint(1, 32),
                b"domain:\x00" + self.rng.randbytes(8),
                b"domain:\xff\xfe" + self.key_of(datum)[len("domain:") :],
                self.blob(1, self.short),
                f"domain:{self.domain('org')}".encode(),  # a lie: another object's key
                "domain:\u202emoc.\x07\x1b[31m".encode(),
            )
        )
        return self.message("hostile-key", HANDLED, datum, key=key)

    def header_name(self) -> str:
        """A header key: control characters, bidi, emoji, empty, long (never NUL)."""
        roll = self.rng.randrange(5)
        if roll == 0:
            return "".join(self.rng.choice(C0 + C1) for _ in range(self.rng.randint(1, 8)))
        if roll == 1:
            flavours = [f for f in FLAVOURS if f != "nul-in-string"]
            return self.hostile(self.rng.choice(flavours), "x-header")
        if roll == 2:
            return self.rng.choice(("", " ", "traceparent", "TraceParent", "content-type"))
        if roll == 3:
            return "h" + self.token(self.rng.randint(0, 200))
        return "x-\x1b[2J\r\n" + self.token(4)

    def header_value(self) -> bytes | None:
        roll = self.rng.randrange(6)
        if roll == 0:
            return None
        if roll == 1:
            return b""
        if roll == 2:
            return b"\x00" * self.rng.randint(1, 64)
        if roll == 3:
            return self.blob(1, 512)
        if roll == 4:
            return self.rng.choice(INVALID_UTF8) + b"value"
        return self.hostile(self.rng.choice(list(FLAVOURS)), "value").encode()

    def hostile_headers(self) -> CorpusMessage:
        headers = [
            (self.header_name(), self.header_value()) for _ in range(self.rng.randint(1, 12))
        ]
        if self.rng.random() < 0.5:
            headers += self.producer_headers()
        self.rng.shuffle(headers)
        return self.message("hostile-headers", HANDLED, self.fresh_create(), headers=headers)

    def hostile_traceparent(self) -> CorpusMessage:
        headers: list[tuple[str, bytes | None]] = [
            ("traceparent", self.rng.choice((*HOSTILE_TRACEPARENTS, None))),
            ("content-type", CONTENT_TYPE.encode()),
        ]
        if self.rng.random() < 0.3:  # two of them: which one counts?
            headers.append(("traceparent", self.traceparent().encode()))
            self.rng.shuffle(headers)
        return self.message("hostile-traceparent", HANDLED, self.fresh_create(), headers=headers)

    def many_headers(self) -> CorpusMessage:
        count = self.rng.randint(100, 1000)
        headers: list[tuple[str, bytes | None]] = [
            (f"h{i % 37}", self.rng.randbytes(self.rng.randint(0, 24))) for i in range(count)
        ]
        headers.insert(self.rng.randrange(count), ("traceparent", self.traceparent().encode()))
        return self.message("many-headers", HANDLED, self.fresh_create(), headers=headers)

    def big_header(self) -> CorpusMessage:
        size = min(self.rng.randint(16 * 1024, BIG_HEADER_BYTES), self.max_string_bytes)
        value = (
            self.rng.randbytes(size) if self.rng.random() < 0.5 else (b"\x00\x01x" * size)[:size]
        )
        headers = [*self.producer_headers(), (self.header_name(), value)]
        return self.message("big-header", HANDLED, self.fresh_create(), headers=headers)


def normalized(name: str) -> str:
    """A name as the database compares it: trimmed, lower case, no trailing dot."""
    return name.strip().lower().rstrip(".")


_ACTION_KINDS: Final = {
    "provision_domain_renew": "action-renew",
    "provision_domain_transfer": "action-transfer",
    "provision_domain_restore": "action-restore",
    "provision_domain_delete": "action-delete",
    "provision_domain_update": "action-update",
    "provision_domain_transfer_action": "action-transfer_action",
    "provision_contact": "action-contact",
    "provision_host": "action-host",
    "provision_ssl": "action-ssl",
    "provision_host_update": "action-host_update",
    "provision_host_delete": "action-host_delete",
    "provision_contact_update": "action-contact_update",
    "provision_contact_delete": "action-contact_delete",
}

Maker = Callable[[_Builder], CorpusMessage]


def _hostile_strings(kind: str) -> Maker:
    return lambda builder: builder.hostile_strings(kind)


def _action(action: str) -> Maker:
    return lambda builder: builder.action_payload(action)


# kind -> (relative weight, predicted expect, maker); "good" and "big-string" are counted apart
_TABLE: Final[dict[str, tuple[float, str, Maker]]] = {
    "random-bytes": (4.0, DEAD_LETTER, _Builder.random_bytes),
    "empty-value": (0.6, DEAD_LETTER, _Builder.empty_value),
    "null-value": (0.6, DEAD_LETTER, _Builder.null_value),
    "truncated-avro": (3.0, DEAD_LETTER, _Builder.truncated_avro),
    "bad-magic": (1.0, DEAD_LETTER, _Builder.bad_magic),
    "unknown-fingerprint": (1.0, DEAD_LETTER, _Builder.unknown_fingerprint),
    "outcome-record": (1.0, DEAD_LETTER, _Builder.outcome_record),
    "confluent-framing": (0.6, DEAD_LETTER, _Builder.confluent_framing),
    "json-value": (0.6, DEAD_LETTER, _Builder.json_value),
    "bit-flip": (3.0, EITHER, _Builder.bit_flip),
    "invalid-utf8": (2.0, DEAD_LETTER, _Builder.invalid_utf8),
    "length-bomb": (1.0, DEAD_LETTER, _Builder.length_bomb),
    "enum-out-of-range": (1.0, DEAD_LETTER, _Builder.enum_out_of_range),
    "union-out-of-range": (1.0, DEAD_LETTER, _Builder.union_out_of_range),
    "request-id-not-uuid": (1.0, DEAD_LETTER, _Builder.request_id_not_uuid),
    "tenant-not-uuid": (0.6, DEAD_LETTER, _Builder.tenant_not_uuid),
    "plan-id-nul": (0.8, DEAD_LETTER, _Builder.plan_id_nul),
    "plan-id-not-uuid": (0.8, DEAD_LETTER, _Builder.plan_id_not_uuid),
    "timestamp-out-of-range": (0.8, DEAD_LETTER, _Builder.timestamp_out_of_range),
    "date-out-of-range": (0.8, DEAD_LETTER, _Builder.date_out_of_range),
    "trailing-garbage": (1.0, HANDLED, _Builder.trailing_garbage),
    "overlong-varint": (0.8, HANDLED, _Builder.overlong_varint),
    "enum-negative-index": (0.8, HANDLED, _Builder.enum_negative_index),
    "union-negative-index": (0.8, HANDLED, _Builder.union_negative_index),
    "action-mismatch": (1.5, HANDLED, _Builder.action_mismatch),
    "request-id-noncanonical": (0.8, HANDLED, _Builder.request_id_noncanonical),
    "plan-id-unknown": (0.8, HANDLED, _Builder.plan_id_unknown),
    "wrong-party": (1.5, HANDLED, _Builder.wrong_party),
    "period-extreme": (1.5, HANDLED, _Builder.period_extreme),
    "int-overflow": (1.0, HANDLED, _Builder.int_overflow),
    "timestamp-extreme": (1.0, HANDLED, _Builder.timestamp_extreme),
    "date-extreme": (0.8, HANDLED, _Builder.date_extreme),
    "nul-in-string": (3.0, HANDLED, _hostile_strings("nul-in-string")),
    "control-chars": (2.0, HANDLED, _hostile_strings("control-chars")),
    "bidi-marks": (1.5, HANDLED, _hostile_strings("bidi-marks")),
    "emoji": (1.5, HANDLED, _hostile_strings("emoji")),
    "odd-unicode": (1.5, HANDLED, _hostile_strings("odd-unicode")),
    "long-string": (1.5, HANDLED, _hostile_strings("long-string")),
    **{kind: (1.2, HANDLED, _action(action)) for action, kind in _ACTION_KINDS.items()},
    "restore-deep-json": (0.4, HANDLED, _Builder.restore_deep_json),
    "restore-invalid-json": (1.0, HANDLED, _Builder.restore_invalid_json),
    "hostile-key": (1.0, HANDLED, _Builder.hostile_key),
    "hostile-headers": (1.5, HANDLED, _Builder.hostile_headers),
    "hostile-traceparent": (1.0, HANDLED, _Builder.hostile_traceparent),
    "many-headers": (0.5, HANDLED, _Builder.many_headers),
    "big-header": (0.4, HANDLED, _Builder.big_header),
}

#: Every kind generate() makes: good requests, their duplicates, big strings, and the rest.
KINDS: Final = ("good", "duplicate", "big-string", *_TABLE)
#: The kinds whose messages never decode, and those whose messages always do (bit-flip: either).
DEAD_LETTER_KINDS: Final = frozenset(k for k, (_, e, _) in _TABLE.items() if e == DEAD_LETTER)
HANDLED_KINDS: Final = frozenset(k for k, (_, e, _) in _TABLE.items() if e == HANDLED) | {
    "big-string"
}

_LABEL: Final = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def _good_name(decoded: Mapping[str, Any], where: str) -> str:
    """Check a good request against what the database validates; return its name."""
    payload = decoded["payload"]
    problems = []
    if decoded["action"] != "provision_domain" or "registration_period" not in payload:
        problems.append("not a domain create")
    if str(decoded["tenant_customer_id"]) != TENANT_CUSTOMER:
        problems.append("another tenant_customer")
    if decoded["accreditation"] != ACCREDITATION or decoded["order_item_plan_ids"]:
        problems.append("another accreditation, or plan ids")
    name = payload.get("name", "")
    labels = name.split(".")
    if len(labels) != 2 or labels[1] != "com" or not _LABEL.match(labels[0]):
        problems.append(f"name {name!r} is not a lowercase LDH name under .com")
    if payload.get("registration_period") not in (None, *range(1, 11)):
        problems.append("registration_period outside 1..10")
    pw = payload.get("pw")
    if pw is not None and not (6 <= len(pw) <= 64 and pw.isascii() and pw.isprintable()):
        problems.append("pw is not 6..64 printable characters")
    if " " in (pw or "") or any(payload.get(c) for c in CONTACT_FIELDS):
        problems.append("pw with a space, or contacts")
    servers = payload.get("nameservers", [])
    if len(set(servers)) != len(servers) or len(servers) > 13:
        problems.append("nameservers repeated or too many")
    if not all(all(_LABEL.match(label) for label in s.split(".")) for s in servers):
        problems.append("a nameserver is not a host name")
    if problems:
        raise CorpusError(f"{where} is labelled good but: {'; '.join(problems)}")
    return str(name)


CONTACT_FIELDS: Final = ("registrant", "admin_contact", "tech_contact", "billing_contact")


def _decoded_as_labelled(where: str, message: CorpusMessage) -> dict[str, Any] | None:
    """The decoded request, None if undecodable; raise if that contradicts the labels."""
    if message.expect not in EXPECTS:
        raise CorpusError(f"{where}: unknown expect {message.expect!r}")
    if (message.expect == RECORDED) != (message.kind in ("good", "duplicate")):
        raise CorpusError(f"{where}: only good messages and their duplicates are recorded")
    decoded = try_decode(message.value)
    if decoded is None:
        if message.expect != DEAD_LETTER or message.request_id is not None:
            raise CorpusError(f"{where} does not decode but is labelled {message.expect}")
        return None
    if message.expect == DEAD_LETTER:
        raise CorpusError(f"{where} decodes but is labelled dead-letter")
    if message.request_id != str(decoded["request_id"]):
        raise CorpusError(f"{where}: request_id {message.request_id} != {decoded['request_id']}")
    return decoded


def _names_apart(others: list[dict[str, Any]], good_names: set[str]) -> None:
    """No string of another message names a good domain, or a host under one."""
    for decoded in others:
        for text in strings_in(decoded):
            labels = normalized(text).split(".")
            for start in range(len(labels) - 1):
                if ".".join(labels[start:]) in good_names:
                    raise CorpusError(f"a hostile message uses the good name {text[:80]!r}")


def verify(messages: list[CorpusMessage]) -> None:
    """Decode every message once; raise CorpusError where a label or a uniqueness rule fails.

    - ``dead-letter`` exactly when the codec refuses the value, with no request_id;
    - otherwise request_id is the decoded one, unique but for duplicates, which
      repeat an earlier good message's key and value;
    - good messages are valid domain creates with names no other message uses
      (not even as the parent of a host name).
    """
    originals: dict[str, CorpusMessage] = {}
    good_names: set[str] = set()
    others: list[dict[str, Any]] = []
    for position, message in enumerate(messages):
        where = f"message {position} ({message.kind})"
        decoded = _decoded_as_labelled(where, message)
        if decoded is None:
            continue
        request_id = str(decoded["request_id"])
        if message.kind == "duplicate":
            original = originals.get(request_id)
            if original is None or original.kind != "good":
                raise CorpusError(f"{where} does not repeat an earlier good message")
            if (original.key, original.value) != (message.key, message.value):
                raise CorpusError(f"{where} differs from the message it repeats")
            continue
        if request_id in originals:
            raise CorpusError(f"{where}: request_id {request_id} is used twice")
        originals[request_id] = message
        if message.kind != "good":
            others.append(decoded)
            continue
        name = _good_name(decoded, where)
        if name in good_names:
            raise CorpusError(f"{where}: name {name} is used twice")
        good_names.add(name)
    _names_apart(others, good_names)


def generate(
    seed: int, count: int = 1200, *, max_string_bytes: int = 1_000_000, big_strings: int = 4
) -> list[CorpusMessage]:
    """``count`` messages for the actions topic, the same for the same arguments.

    About 40 % good requests (and 2 % of those again as exact duplicates), the rest
    one of each other kind (when ``count`` allows) and then kinds drawn by weight,
    in random order; ``big_strings`` of them carry a string of up to
    ``max_string_bytes``. Raises CorpusError if a message is labelled wrongly.
    """
    if count < 0 or big_strings < 0:
        raise ValueError("count and big_strings must not be negative")
    if max_string_bytes < 256:
        raise ValueError("max_string_bytes must be at least 256")
    builder = _Builder(seed, max_string_bytes)
    rng = builder.rng
    good = round(count * rng.uniform(*GOOD_SHARE))
    duplicates = round(good * DUPLICATE_SHARE)
    bad = count - good - duplicates
    big = min(big_strings, bad)
    rest = bad - big
    plan = ["good"] * good + ["big-string"] * big
    kinds = list(_TABLE)
    if rest >= len(kinds):
        plan += kinds
        rest -= len(kinds)
    plan += rng.choices(kinds, weights=[_TABLE[kind][0] for kind in kinds], k=rest)
    rng.shuffle(plan)
    messages = [builder.make(kind) for kind in plan]
    for _ in range(duplicates):
        original = rng.choice([i for i, message in enumerate(messages) if message.kind == "good"])
        copy = replace(
            messages[original], kind="duplicate", headers=list(messages[original].headers)
        )
        messages.insert(rng.randint(original + 1, len(messages)), copy)
    verify(messages)
    return messages


__all__ = [
    "DEAD_LETTER",
    "DEAD_LETTER_KINDS",
    "EXPECTS",
    "HANDLED",
    "HANDLED_KINDS",
    "INVALID_JSON",
    "KINDS",
    "RECORDED",
    "Branch",
    "CorpusError",
    "CorpusMessage",
    "EnumIndex",
    "Raw",
    "encode_raw",
    "generate",
    "payload_schemas",
    "raw_request",
    "strings_in",
    "try_decode",
    "verify",
    "zigzag",
]
