"""Validation of EPP frames against the RFC schemas in ``executors/epp/xsd``.

``all.xsd`` imports epp-1.0 and eppcom-1.0 (RFC 5730), domain-1.0 (RFC 5731),
host-1.0 (RFC 5732), contact-1.0 (RFC 5733) and rgp-1.0 (RFC 3915), so one
validator checks a whole frame with its object mappings and extension.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

from lxml import etree

XSD_DIR = Path(__file__).resolve().parent / "xsd"

_lock = threading.Lock()  # an XMLSchema keeps its error log: one validation at a time


class InvalidFrame(ValueError):
    """A frame the EPP schemas reject."""


@functools.cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_DIR / "all.xsd")))


def problems(frame: bytes) -> list[str]:
    """Why ``frame`` is not a valid EPP message (empty: it is)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        document = etree.fromstring(frame, parser)
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed: {exc}"]
    schema = _schema()
    with _lock:
        if schema.validate(document):
            return []
        return str(schema.error_log).splitlines() or ["invalid"]


def validate(frame: bytes) -> None:
    """Raise :class:`InvalidFrame` when the schemas reject ``frame``."""
    found = problems(frame)
    if found:
        raise InvalidFrame("; ".join(found))


__all__ = ["XSD_DIR", "InvalidFrame", "problems", "validate"]
