"""The ``provisioning`` command line.

Each command is a small function taking the parsed arguments; ``main`` turns any
:class:`~provisioning.errors.ProvisioningError` into a one-line message on
stderr and exit code 2, so an operator sees what to fix instead of a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from provisioning import __version__
from provisioning.errors import ProvisioningError

Command = Callable[[argparse.Namespace], int]


def _stack_up(args: argparse.Namespace) -> int:
    from provisioning.localstack import LocalStack  # noqa: PLC0415 - keep --help fast

    stack = LocalStack.from_env()
    if args.with_registry:
        stack.with_registry = True
    print(f"starting the local stack in {stack.home} ...", flush=True)
    stack.up()
    for name, state in stack.status().items():
        print(f"  {name:9} {state}")
    print(f"settings for the components: source {stack.home / 'env'}")
    return 0


def _stack_down(args: argparse.Namespace) -> int:
    from provisioning.localstack import LocalStack  # noqa: PLC0415

    stopped = LocalStack.from_env().down()
    print("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))
    return 0


def _stack_status(args: argparse.Namespace) -> int:
    from provisioning.localstack import LocalStack  # noqa: PLC0415

    for name, state in LocalStack.from_env().status().items():
        print(f"{name:9} {state}")
    return 0


def _stack_env(args: argparse.Namespace) -> int:
    from provisioning.localstack import LocalStack  # noqa: PLC0415

    for key, value in LocalStack.from_env().env().items():
        print(f"export {key}={value}")
    return 0


def _config(args: argparse.Namespace) -> int:
    from provisioning.settings import load_settings  # noqa: PLC0415

    rows = load_settings().describe()
    width = max(len(name) for name, _, _ in rows)
    for name, value, _ in rows:
        print(f"{name:{width}}  {value}")
    return 0


def _database_url() -> str:
    """Migrations run as the schema's owner."""
    from provisioning.settings import load_settings  # noqa: PLC0415

    return load_settings().admin_url()


def _db_upgrade(args: argparse.Namespace) -> int:
    from provisioning.migrations import upgrade  # noqa: PLC0415

    print(upgrade(_database_url(), seed=args.seed).summary())
    return 0


def _db_status(args: argparse.Namespace) -> int:
    from provisioning.migrations import status  # noqa: PLC0415

    rows = status(_database_url())
    pending = [name for name, state in rows if state != "applied"]
    for name, state in rows:
        if args.all or state != "applied":
            print(f"{state:8} {name}")
    print(f"{len(rows) - len(pending)} of {len(rows)} files applied")
    return 1 if pending else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="provisioning",
        description="Kafka-driven provisioning pipeline. Settings come from PROVISIONING_* "
        "environment variables (see `provisioning config`).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    stack = commands.add_parser(
        "stack", help="start/stop the local Kafka + PostgreSQL stack (no Docker needed)"
    )
    stack_commands = stack.add_subparsers(title="actions", metavar="ACTION", required=True)
    up = stack_commands.add_parser(
        "up",
        help="start Kafka (KRaft) and PostgreSQL on loopback; idempotent",
        description="Start Kafka (KRaft) and PostgreSQL on loopback, and the schema registry "
        "with --with-registry or PROVISIONING_SCHEMA_REGISTRY=1; idempotent.",
    )
    up.add_argument(
        "--with-registry",
        action="store_true",
        help="also start a schema registry (Apicurio, Confluent-compatible API; "
        "same as PROVISIONING_SCHEMA_REGISTRY=1)",
    )
    up.set_defaults(func=_stack_up)
    for name, func, text in (
        ("down", _stack_down, "stop what `stack up` started"),
        ("status", _stack_status, "show whether each service runs"),
        ("env", _stack_env, "print the settings that point the components at the stack"),
    ):
        stack_commands.add_parser(name, help=text, description=text).set_defaults(func=func)

    db = commands.add_parser("db", help="the provisioning database's schema")
    db_commands = db.add_subparsers(title="actions", metavar="ACTION", required=True)
    upgrade = db_commands.add_parser(
        "upgrade",
        help="apply pending migrations and changed stored procedures; idempotent",
        description="Apply pending versioned migrations, then every stored procedure, trigger "
        "and role file that changed. Safe to run from several processes at once.",
    )
    upgrade.add_argument("--seed", action="store_true", help="also load the demo reference data")
    upgrade.set_defaults(func=_db_upgrade)
    db_status = db_commands.add_parser(
        "status", help="list files not yet applied (exit 1 when any)"
    )
    db_status.add_argument("--all", action="store_true", help="list applied files too")
    db_status.set_defaults(func=_db_status)

    from consumers import ingest  # noqa: PLC0415 - the command modules declare their own flags
    from producers import submit  # noqa: PLC0415

    submit.add_arguments(
        commands.add_parser(
            "submit",
            help="publish provision requests from a JSON Lines file or from flags",
            description=submit.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    ingest.add_arguments(
        commands.add_parser(
            "ingest",
            help="consume the order and action topics into provision rows (a consumer group)",
            description=ingest.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )

    from consumers import dlq, offsets, order_service, replay  # noqa: PLC0415
    from executors import worker  # noqa: PLC0415
    from producers import orders, parked, relay  # noqa: PLC0415
    from provisioning import demo, status  # noqa: PLC0415
    from provisioning import run as run_all  # noqa: PLC0415

    worker.add_arguments(
        commands.add_parser(
            "executor",
            help="run jobs against the backend (several processes share the work)",
            description=worker.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )

    order_service.add_arguments(
        commands.add_parser(
            "order-service",
            help="apply outcomes to order_item_plan rows (a consumer group)",
            description=order_service.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    relay.add_arguments(
        commands.add_parser(
            "relay",
            help="publish the outboxes (outcomes, order requests) to Kafka",
            description=relay.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    parked.add_arguments(
        commands.add_parser(
            "outbox",
            help="outbox rows the relay parked: list, retry, drop",
            description=parked.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    orders.add_arguments(
        commands.add_parser(
            "order",
            help="place an order (recorded with its requests in one transaction), or show one",
            description=orders.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )

    replay.add_arguments(
        commands.add_parser(
            "replay",
            help="re-read a time range of a request topic through ingest (no group, no commits)",
            description=replay.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    offsets.add_arguments(
        commands.add_parser(
            "offsets",
            help="move a stopped consumer group's committed offsets to a point in time",
            description=offsets.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    dlq.add_arguments(
        commands.add_parser(
            "dlq",
            help="list, show and redrive dead-lettered messages",
            description=dlq.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    status.add_arguments(
        commands.add_parser(
            "status",
            help="lag per group and partition, outbox backlog, jobs, provisions, orders",
            description=status.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    run_all.add_arguments(
        commands.add_parser(
            "run",
            help="run every component, each its own process, restarted if it dies",
            description=run_all.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    demo.add_arguments(
        commands.add_parser(
            "demo",
            help="the whole pipeline end to end with a mix of work, then a summary",
            description=demo.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )

    from schemas import export as schema_export  # noqa: PLC0415

    schema_commands = commands.add_parser(
        "schemas", help="the Avro schemas: export them for producers in other languages"
    ).add_subparsers(title="actions", metavar="ACTION", required=True)
    schema_export.add_arguments(
        schema_commands.add_parser(
            "export",
            help="write self-contained schemas and their fingerprints (manifest.json) to DIR",
            description=schema_export.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )

    commands.add_parser(
        "config", help="print the effective settings (secrets masked)"
    ).set_defaults(func=_config)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Command = args.func
    try:
        return func(args)
    except ProvisioningError as exc:
        print(f"provisioning: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
