"""``provisioning order``: place an order of any kind, or show one (the operators' help)."""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import psycopg

from producers.order_items import (
    CONTACT_ROLES,
    Contact,
    Item,
    contact_item,
    delete_item,
    domain_item,
    parse_nameserver,
    renew_item,
    restore_item,
    ssl_item,
    transfer_item,
    update_item,
)
from producers.orders import Availability, PlacedOrder, order_status, place_order
from provisioning.errors import EXIT_FAILURE, EXIT_OK, InvalidRequest, UsageError
from provisioning.settings import load_settings

HELP = """\
Place an order, or show one. An order is recorded in the orders schema with the
provision requests of its first stage, in one transaction; the relay publishes
them, and the order service requests each next stage when the one before
completed (`docs/orders.md`). When the order ends, one event goes to the
order-status topic (PROVISIONING_TOPIC_ORDER_STATUS).

Every kind prints `order <id>: ...` (with --json: one JSON object) and exits 0;
an order refused at placing (e.g. the domain is not available) is recorded
failed, printed with its reason, and exits 1. Follow it with
`provisioning order show <id>`.

Examples:
  provisioning order domain example.com --tenant-customer UUID --accreditation alpha-registry \\
      --nameserver ns1.example.com=192.0.2.1 --nameserver ns2.hosting.info --create-hosts
  provisioning order renew example.com --tenant-customer UUID --accreditation alpha-registry
  provisioning order show 2f1c...
"""

_COMMON = """
Options every kind takes:
  --tenant-customer UUID   whose order it is (tenant_customer id)
  --accreditation NAME     the registry (or, for ssl, the CA) to act at
  --json                   print the placed order as one JSON object
"""

# kind -> (one-line help, description with an example)
KINDS: dict[str, tuple[str, str]] = {
    "domain": (
        "register a domain (with its contact and name servers)",
        """Register a domain. The registrant contact (when given) and the out-of-zone
name servers (with --create-hosts) are created first, then the domain. Name
servers under the domain itself (ns1.example.com for example.com) need their
glue addresses: the domain is created without them, then the hosts with their
addresses, then an update adds them. The name is checked first: held in the
database, pending, or being registered by another order, the order fails at
once, before any contact or host is created (--check-registry also asks the
registry).

Example:
  provisioning order domain example.com --tenant-customer UUID \\
      --accreditation alpha-registry --period 2 \\
      --registrant-handle reg-1 --registrant-name "Registrant One" \\
      --registrant-email reg@example.net --registrant-city Springfield \\
      --registrant-country US \\
      --nameserver ns1.example.com=192.0.2.1,2001:db8::1 --nameserver ns2.hosting.info
""",
    ),
    "renew": (
        "renew a domain",
        """Renew a domain held by the tenant customer by --period years.

Example:
  provisioning order renew example.com --tenant-customer UUID \\
      --accreditation alpha-registry --period 1 --current-expiry 2027-03-01
""",
    ),
    "transfer": (
        "transfer a domain in from another registrar",
        """Transfer a domain in with its auth code. With a registrant, that contact
is created first and set as the domain's contacts once the transfer completed.
Give the auth code in a file (or - for stdin): on the command line it would be
visible to everyone who lists processes.

Example:
  printf '%s' "$AUTH_CODE" | provisioning order transfer example.com \\
      --tenant-customer UUID --accreditation alpha-registry --auth-code-file -
""",
    ),
    "restore": (
        "restore a deleted domain from redemption",
        """Restore a domain that was deleted and is still in its redemption period.
TLDs that ask for a restore report get it with --report.

Example:
  provisioning order restore example.com --tenant-customer UUID \\
      --accreditation alpha-registry
""",
    ),
    "delete": (
        "delete a domain (irreversible after redemption): needs --execute",
        """Delete a domain. It goes into redemption where the TLD has one (and can be
restored until it ends), else it is gone. Without --execute it only says what
it would order.

Example:
  provisioning order delete example.com --tenant-customer UUID \\
      --accreditation alpha-registry --execute
""",
    ),
    "update": (
        "change a domain's name servers, contacts, auth code or locks",
        """Change a domain. --nameserver (repeated) replaces the name server set; an
in-zone name server with addresses (ns1.example.com=192.0.2.1) is created first,
one without must exist already. --contact-handle sets the four contacts to an
existing contact; --add-lock/--remove-lock change the client locks.

Example:
  provisioning order update example.com --tenant-customer UUID \\
      --accreditation alpha-registry \\
      --nameserver ns1.example.com --nameserver ns3.example.com=192.0.2.3
""",
    ),
    "contact": (
        "create a contact at the registry",
        """Create a contact at the registry, for domains to name later.

Example:
  provisioning order contact --tenant-customer UUID --accreditation alpha-registry \\
      --handle jd-1 --name "Jane Doe" --email jane@example.net --city Springfield \\
      --country US --phone +1.5555550100
""",
    ),
    "ssl": (
        "issue an SSL certificate",
        """Issue a certificate for a name (and --san names) from a certificate
authority accreditation.

Example:
  provisioning order ssl www.example.com --tenant-customer UUID \\
      --accreditation alpha-ssl --san example.com --validity-days 90
""",
    ),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(title="kinds", metavar="KIND", required=True)

    def kind(name: str, func: Callable[[argparse.Namespace], Item]) -> argparse.ArgumentParser:
        text, description = KINDS[name]
        sub = kinds.add_parser(
            name,
            help=text,
            description=description + _COMMON,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sub.add_argument("--tenant-customer", required=True, metavar="UUID", help="whose order")
        sub.add_argument(
            "--accreditation", required=True, metavar="NAME", help="where to act (registry/CA)"
        )
        sub.add_argument("--json", action="store_true", help="print one JSON object")
        sub.set_defaults(func=_placer(func), kind=name)
        return sub

    domain = kind("domain", _domain)
    domain.add_argument("name", help="the domain name, e.g. example.com")
    domain.add_argument("--period", type=int, default=1, help="years (default 1)")
    _nameserver_options(domain)
    domain.add_argument(
        "--check-registry",
        action="store_true",
        help="also ask the registry (PROVISIONING_BACKEND) whether the name is available",
    )
    _contact_options(domain, "registrant", "registrant (created first when given)")

    renew = kind("renew", _renew)
    renew.add_argument("name", help="the domain name")
    renew.add_argument("--period", type=int, default=1, help="years to add (default 1)")
    renew.add_argument(
        "--current-expiry",
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="the expiry date you expect: refused if it differs (a renewal never counts twice)",
    )

    transfer = kind("transfer", _transfer)
    transfer.add_argument("name", help="the domain name")
    transfer.add_argument(
        "--auth-code-file",
        required=True,
        metavar="PATH",
        help="file holding the domain's auth code (- reads stdin)",
    )
    transfer.add_argument(
        "--period", type=int, default=1, help="years the transfer adds (default 1)"
    )
    _contact_options(transfer, "registrant", "registrant (created first, set after the transfer)")

    restore = kind("restore", _restore)
    restore.add_argument("name", help="the domain name")
    restore.add_argument("--report", help="the restore report (TLDs that require one)")

    delete = kind("delete", _delete)
    delete.add_argument("name", help="the domain name")
    delete.add_argument(
        "--execute", action="store_true", help="place the order (without: say what it would do)"
    )

    update = kind("update", _update)
    update.add_argument("name", help="the domain name")
    _nameserver_options(update)
    update.add_argument(
        "--contact-handle", metavar="HANDLE", help="set all four contacts to this contact"
    )
    update.add_argument(
        "--add-lock",
        action="append",
        default=[],
        metavar="LOCK",
        help="a client lock to set (repeat): clientTransferProhibited, clientUpdateProhibited, "
        "clientDeleteProhibited, clientRenewProhibited, clientHold",
    )
    update.add_argument(
        "--remove-lock", action="append", default=[], metavar="LOCK", help="a lock to remove"
    )
    update.add_argument(
        "--new-auth-code", action="store_true", help="have a new random auth code generated"
    )

    contact = kind("contact", _contact)
    _contact_options(contact, "", "the contact", required=True)

    ssl = kind("ssl", _ssl)
    ssl.add_argument("common_name", help="the certificate's name, e.g. www.example.com")
    ssl.add_argument("--san", action="append", default=[], help="another name (repeat)")
    ssl.add_argument("--validity-days", type=int, help="requested lifetime")
    ssl.add_argument("--key-type", help="e.g. ec-p256, rsa-2048 (the CA's default otherwise)")
    ssl.add_argument(
        "--csr-file", type=Path, metavar="PATH", help="a PEM CSR to certify (else a key is made)"
    )
    ssl.add_argument("--validation-method", help="e.g. dns-01")

    show = kinds.add_parser(
        "show",
        help="an order's status, items and plans (with each plan's reason)",
        description="Show an order's status, its items and each plan with its stage, status "
        "and reason.\n\nExample:\n  provisioning order show 2f1c0b6e-...\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    show.add_argument("order_id", help="the order's id, as placing it printed")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    show.set_defaults(func=_show)


def _nameserver_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--nameserver",
        action="append",
        default=[],
        metavar="HOST[=ADDR,...]",
        help="a name server (repeat); =addresses gives its glue, needed for a name server "
        "under the domain itself that does not exist yet",
    )
    parser.add_argument(
        "--create-hosts",
        action="store_true",
        help="create the out-of-zone name servers as host objects first",
    )


def _contact_options(
    parser: argparse.ArgumentParser, prefix: str, title: str, *, required: bool = False
) -> None:
    flag = f"--{prefix}-" if prefix else "--"
    group = parser.add_argument_group(title)
    group.add_argument(f"{flag}handle", required=required, help="the contact's handle")
    group.add_argument(f"{flag}name", required=required, help="full name")
    group.add_argument(f"{flag}email", required=required, help="email address")
    group.add_argument(f"{flag}city", required=required, help="city")
    group.add_argument(
        f"{flag}country", required=required, metavar="CC", help="ISO 3166-1 alpha-2 code"
    )
    group.add_argument(f"{flag}phone", help="+CC.NUMBER, e.g. +1.5555550100")


def _contact(args: argparse.Namespace) -> Item:
    contact = _contact_from(args, "")
    assert contact is not None  # argparse requires every field
    return contact_item(contact)


def _contact_from(args: argparse.Namespace, prefix: str) -> Contact | None:
    attr = f"{prefix}_" if prefix else ""
    names = ("handle", "name", "email", "city", "country")
    fields = [getattr(args, attr + name) for name in names]
    phone = getattr(args, attr + "phone")
    if not any(fields) and not phone:
        return None
    if not all(fields):
        flags = ", ".join(f"--{prefix + '-' if prefix else ''}{name}" for name in names)
        raise UsageError(f"a contact needs {flags}")
    handle, name, email, city, country = (str(value) for value in fields)
    return Contact(handle, name, email, city, country, {"phone": phone} if phone else {})


def _nameservers(args: argparse.Namespace) -> tuple[list[str], dict[str, list[str]]]:
    names, glue = [], {}
    for text in args.nameserver:
        name, addresses = parse_nameserver(text)
        names.append(name)
        if addresses:
            glue[name] = addresses
    return names, glue


def _domain(args: argparse.Namespace) -> Item:
    names, glue = _nameservers(args)
    return domain_item(
        args.name,
        period=args.period,
        registrant=_contact_from(args, "registrant"),
        nameservers=names,
        create_hosts=args.create_hosts,
        addresses=glue,
    )


def _renew(args: argparse.Namespace) -> Item:
    return renew_item(args.name, period=args.period, current_expiry_date=args.current_expiry)


def _transfer(args: argparse.Namespace) -> Item:
    source = args.auth_code_file
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
    except OSError as exc:
        raise InvalidRequest(f"--auth-code-file {source}: {exc.strerror}") from None
    return transfer_item(
        args.name,
        pw=text.strip(),
        period=args.period,
        registrant=_contact_from(args, "registrant"),
    )


def _restore(args: argparse.Namespace) -> Item:
    return restore_item(args.name, report=args.report)


def _delete(args: argparse.Namespace) -> Item:
    return delete_item(args.name)


def _update(args: argparse.Namespace) -> Item:
    names, glue = _nameservers(args)
    handle = args.contact_handle
    return update_item(
        args.name,
        nameservers=names or None,
        addresses=glue,
        create_hosts=args.create_hosts,
        contacts=dict.fromkeys(CONTACT_ROLES, handle) if handle else None,
        pw=_new_auth_code() if args.new_auth_code else None,
        add_locks=args.add_lock,
        remove_locks=args.remove_lock,
    )


def _new_auth_code() -> str:
    return secrets.token_urlsafe(16)  # 22 printable characters, as provision_check_pw wants


def _ssl(args: argparse.Namespace) -> Item:
    try:
        csr = args.csr_file.read_text() if args.csr_file else None
    except OSError as exc:
        raise InvalidRequest(f"--csr-file {args.csr_file}: {exc.strerror}") from None
    return ssl_item(
        args.common_name,
        sans=args.san,
        validity_days=args.validity_days,
        key_type=args.key_type,
        csr_pem=csr,
        validation_method=args.validation_method,
    )


def _placer(build: Callable[[argparse.Namespace], Item]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        item = build(args)
        if args.kind == "delete" and not args.execute:
            print(
                f"would order the deletion of {item.object_name} for tenant customer "
                f"{args.tenant_customer} at {args.accreditation}; run again with --execute"
            )
            return EXIT_OK
        settings = load_settings()
        with ExitStack() as stack:
            check: Availability | None = None
            if getattr(args, "check_registry", False):
                from executors.backends import backend_from_settings  # noqa: PLC0415

                backend = backend_from_settings(settings)
                close = getattr(backend, "close", None)
                if close is not None:
                    stack.callback(close)
                check = backend.check_availability
            conn = stack.enter_context(psycopg.connect(settings.admin_url()))
            order = place_order(
                conn,
                tenant_customer_id=args.tenant_customer,
                accreditation=args.accreditation,
                items=[item],
                check_availability=check,
            )
        return _report(order, item, as_json=args.json)

    return run


def _report(order: PlacedOrder, item: Item, *, as_json: bool) -> int:
    code = EXIT_OK if order.status != "failed" else EXIT_FAILURE
    if as_json:
        print(
            json.dumps(
                {
                    "order_id": str(order.order_id),
                    "status": order.status,
                    "reason": order.reason,
                    "item": {
                        "product": item.product,
                        "action": item.action,
                        "object_name": item.object_name,
                    },
                    "plans": [
                        {"plan_id": str(plan_id), "action": plan.action, "stage": plan.stage}
                        for plan_id, plan in zip(order.plan_ids, item.plans, strict=True)
                    ],
                    "requested_now": order.released,
                }
            )
        )
        return code
    if order.status == "failed":
        print(
            f"provisioning: error: order {order.order_id} failed at placing: {order.reason}",
            file=sys.stderr,
        )
        return code
    stages = max(plan.stage for plan in item.plans)
    print(
        f"order {order.order_id}: {item.action} {item.product} {item.object_name}, "
        f"{len(order.plan_ids)} plan(s) in {stages} stage(s), {order.released} requested now"
    )
    return code


def _show(args: argparse.Namespace) -> int:
    try:
        uuid.UUID(args.order_id)
    except ValueError:
        raise UsageError(f"order id {args.order_id!r} is not a UUID") from None
    with psycopg.connect(load_settings().admin_url()) as conn:
        status = order_status(conn, args.order_id)
    if args.json:
        print(json.dumps(status, default=str))
        return EXIT_OK
    print(f"order {status['id']}: {status['status']}")
    for item in status["items"]:
        print(f"  item {item['product']} {item['action']} {item['object_name']}: {item['status']}")
    for plan in status["plans"]:
        reason = f" - {plan['result_message']}" if plan["result_message"] else ""
        print(f"    plan stage {plan['stage']} {plan['action']}: {plan['status']}{reason}")
    event = status["event"]
    if event is None:
        print("  order-status event: not yet (the order has not ended, or a plan still runs)")
    elif event["sent_date"] is None:
        print(f"  order-status event {event['event_id']}: written, waiting for the relay")
    else:
        print(f"  order-status event {event['event_id']}: published {event['sent_date']}")
    return EXIT_OK


__all__ = ["HELP", "KINDS", "add_arguments"]
