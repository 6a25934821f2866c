"""Provision requests: the action table, the message key, and building a valid request.

A request's ``action`` is the provision table that records it; its ``payload`` is
that action's own Avro record. A request is written as a plain mapping:

    {"action": "provision_domain",
     "tenant_customer_id": "30000000-0000-4000-8000-000000000001",
     "accreditation": "alpha-registry",
     "payload": {"name": "example.com", "registration_period": 2},
     "request_id": "...",            # optional: generated when missing
     "order_item_plan_ids": [...],   # optional: set by the order service
     "order_metadata": {"order_id": "..."}}  # optional
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from provisioning.errors import InvalidRequest
from schemas.registry import NAMESPACE


@dataclass(frozen=True)
class Action:
    """One kind of request: the table that records it and how its object is keyed."""

    table: str  # the provision table, also the Avro enum symbol
    record: str  # the payload's Avro record name
    object_kind: str  # domain, contact, host, ssl
    key_field: str  # the payload field that names the object

    @property
    def record_full_name(self) -> str:
        return f"{NAMESPACE}.{self.record}"


ACTIONS: dict[str, Action] = {
    action.table: action
    for action in (
        Action("provision_domain", "DomainCreate", "domain", "name"),
        Action("provision_domain_renew", "DomainRenew", "domain", "name"),
        Action("provision_domain_transfer", "DomainTransfer", "domain", "name"),
        Action("provision_domain_restore", "DomainRestore", "domain", "name"),
        Action("provision_domain_delete", "DomainDelete", "domain", "name"),
        Action("provision_domain_update", "DomainUpdate", "domain", "name"),
        Action("provision_contact", "ContactCreate", "contact", "handle"),
        Action("provision_host", "HostCreate", "host", "name"),
        Action("provision_ssl", "SslCertificate", "ssl", "common_name"),
        Action("provision_domain_transfer_action", "DomainTransferAction", "domain", "name"),
        Action("provision_host_update", "HostUpdate", "host", "name"),
        Action("provision_host_delete", "HostDelete", "host", "name"),
        Action("provision_contact_update", "ContactUpdate", "contact", "handle"),
        Action("provision_contact_delete", "ContactDelete", "contact", "handle"),
    )
}

REQUEST = "ProvisionRequest"
OUTCOME = "ProvisionOutcome"
ORDER_STATUS = "OrderStatus"


def action_of(name: object) -> Action:
    if not isinstance(name, str) or name not in ACTIONS:
        raise InvalidRequest(f"action {name!r} is not one of: {', '.join(ACTIONS)}")
    return ACTIONS[name]


def object_key(action: Action, payload: Mapping[str, Any], request_id: object) -> str:
    """The Kafka message key: ``<kind>:<name>``, so one object's requests share a partition.

    Names are case-folded and lose a trailing dot, as the database normalizes them;
    a contact without a handle (the registry generates one) is keyed by its request.
    """
    value = payload.get(action.key_field)
    if value is None or value == "":
        return f"{action.object_kind}:{request_id}"
    text = str(value)
    if action.object_kind != "contact":
        text = text.strip().rstrip(".").lower()
    return f"{action.object_kind}:{text}"


def _uuid(value: object, field: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise InvalidRequest(f"{field}: {value!r} is not a UUID") from None


def build_request(request: Mapping[str, Any]) -> dict[str, Any]:
    """A complete ``ProvisionRequest`` datum from a request mapping; defaults filled in.

    Raises InvalidRequest naming the field when the request cannot be a valid message
    (the database validates the rest: names, periods, ownership).
    """
    action = action_of(request.get("action"))
    payload = request.get("payload")
    if not isinstance(payload, Mapping):
        raise InvalidRequest(f"payload must be an object with the fields of {action.record}")
    for field in ("tenant_customer_id", "accreditation"):
        if not request.get(field):
            raise InvalidRequest(f"{field} is required")
    metadata = request.get("order_metadata") or {}
    if not isinstance(metadata, Mapping):
        raise InvalidRequest("order_metadata must be an object of strings")
    plans = request.get("order_item_plan_ids") or []
    if isinstance(plans, str) or not isinstance(plans, list | tuple):
        raise InvalidRequest("order_item_plan_ids must be a list of UUIDs")
    requested_at = request.get("requested_at") or datetime.now(UTC)
    if not isinstance(requested_at, datetime):
        try:
            requested_at = datetime.fromisoformat(str(requested_at))
        except ValueError:
            raise InvalidRequest(
                f"requested_at: {requested_at!r} is not an ISO 8601 time"
            ) from None
    return {
        "request_id": _uuid(request.get("request_id") or uuid.uuid4(), "request_id"),
        "tenant_customer_id": _uuid(request["tenant_customer_id"], "tenant_customer_id"),
        "accreditation": str(request["accreditation"]),
        "action": action.table,
        "payload": dict(payload),
        "order_item_plan_ids": [_uuid(p, "order_item_plan_ids") for p in plans],
        "order_metadata": {str(k): str(v) for k, v in metadata.items()},
        "requested_at": requested_at,
    }


def to_avro(datum: Mapping[str, Any]) -> dict[str, Any]:
    """The datum as fastavro writes it: the payload tagged with its record's name."""
    action = ACTIONS[datum["action"]]
    return {**datum, "payload": (action.record_full_name, dict(datum["payload"]))}


__all__ = [
    "ACTIONS",
    "ORDER_STATUS",
    "OUTCOME",
    "REQUEST",
    "Action",
    "action_of",
    "build_request",
    "object_key",
    "to_avro",
]
