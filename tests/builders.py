"""Requests the tests send, built one way."""

from __future__ import annotations

from typing import Any

ALICE = "30000000-0000-4000-8000-000000000001"  # db/seed/demo.sql: tenant alpha, alice


def domain_create(name: str, **extra: Any) -> dict[str, Any]:
    """A domain create for alice at alpha-registry; ``extra`` adds or replaces envelope fields."""
    return {
        "action": "provision_domain",
        "tenant_customer_id": ALICE,
        "accreditation": "alpha-registry",
        "payload": {"name": name},
        **extra,
    }
