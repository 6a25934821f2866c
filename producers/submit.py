"""Publish provision requests to Kafka, from a JSON Lines file or from flags.

Each line of --file is one request object (blank lines and lines starting with #
are skipped; - reads standard input):

  {"action": "provision_domain", "tenant_customer_id": "UUID",
   "accreditation": "alpha-registry", "payload": {"name": "example.com"}}

Every request is checked first: if any line is bad, each bad line is reported
and nothing is sent. Then all requests are sent and flushed, and one line per
request is printed: request_id, action, message key.

examples:
  provisioning submit --file requests.jsonl
  grep -v renew requests.jsonl | provisioning submit --file -
  provisioning submit --action provision_domain \\
      --tenant-customer 30000000-0000-4000-8000-000000000001 \\
      --accreditation alpha-registry --payload '{"name": "example.com"}'
  provisioning submit --orders --file order-requests.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from producers.requests import EncodedRequest, RequestProducer
from provisioning import kafka
from provisioning.errors import InvalidRequest, ProvisioningError, UsageError
from provisioning.progress import Progress
from provisioning.settings import load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", metavar="PATH", help="JSON Lines file of requests; - = stdin")
    source.add_argument("--action", help="one request: the action, e.g. provision_domain")
    one = parser.add_argument_group("one request (with --action)")
    one.add_argument("--tenant-customer", metavar="UUID", help="tenant_customer_id")
    one.add_argument("--accreditation", metavar="NAME", help="accreditation name")
    one.add_argument("--payload", metavar="JSON", help="the action's fields as a JSON object")
    one.add_argument("--request-id", metavar="UUID", help="idempotency key (default: new)")
    one.add_argument("--order-metadata", metavar="JSON", help="JSON object of strings")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--topic", help="topic to publish to (default: the actions topic)")
    target.add_argument("--orders", action="store_true", help="publish to the orders topic")
    parser.set_defaults(func=run)


def _json(text: str, prefix: str = "") -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"{prefix}not JSON: {exc.msg} at column {exc.colno}") from None


def _from_flags(args: argparse.Namespace) -> dict[str, Any]:
    missing = [
        flag
        for flag, value in (
            ("--tenant-customer", args.tenant_customer),
            ("--accreditation", args.accreditation),
            ("--payload", args.payload),
        )
        if value is None
    ]
    if missing:
        raise UsageError(f"--action needs {', '.join(missing)}")
    request: dict[str, Any] = {
        "action": args.action,
        "tenant_customer_id": args.tenant_customer,
        "accreditation": args.accreditation,
        "payload": _json(args.payload, "--payload: "),
    }
    if args.request_id:
        request["request_id"] = args.request_id
    if args.order_metadata:
        request["order_metadata"] = _json(args.order_metadata, "--order-metadata: ")
    return request


def _lines(path: str) -> Iterator[tuple[int, str]]:
    """(line number, text) of each request line; blank and # lines skipped."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProvisioningError(f"cannot read {path}: {exc}") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            yield number, line


def _encode_file(producer: RequestProducer, path: str, topic: str) -> list[EncodedRequest]:
    encoded: list[EncodedRequest] = []
    errors: list[str] = []
    for number, line in _lines(path):
        try:
            request = _json(line)
            if not isinstance(request, dict):
                raise InvalidRequest("a request must be a JSON object")
            encoded.append(producer.encode(request, topic=topic))
        except InvalidRequest as exc:
            errors.append(f"line {number}: {exc}")
    if errors:
        for error in errors:
            print(error, file=sys.stderr)
        raise InvalidRequest(f"{len(errors)} bad line(s) in {path}; nothing was sent")
    return encoded


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    topic = args.topic or (settings.topic_orders if args.orders else settings.topic_actions)
    with RequestProducer(settings) as producer:
        if args.file is not None:
            messages = _encode_file(producer, args.file, topic)
        else:
            messages = [producer.encode(_from_flags(args), topic=topic)]
        # a broker that does not answer is one line after 10 s, not a flush timing out
        admin = kafka.admin(settings)
        kafka.require_reachable(admin, settings)
        with Progress("submit", len(messages), unit="requests") as bar:
            for message in messages:
                producer.produce(message)
                bar.advance()
            producer.flush()
    for message in messages:
        print(f"{message.request_id}  {message.action}  {message.key}")
    print(f"{len(messages)} request(s) sent to {topic}")
    return 0


__all__ = ["add_arguments", "run"]
