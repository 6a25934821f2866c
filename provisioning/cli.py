"""The ``provisioning`` command line.

Each command is a small function taking the parsed arguments; ``main`` turns any
:class:`~provisioning.errors.ProvisioningError` (and a PostgreSQL or Kafka error
that escaped one) into a one-line message on stderr and exit code 1, so an
operator sees what to fix instead of a traceback. Exit code 2 is argparse's: the
command line is wrong. Exit code 3 is a check that found something.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shlex
import sys
from collections.abc import Callable, Iterator, Sequence

import psycopg
from confluent_kafka import KafkaException

from provisioning import __version__
from provisioning.errors import (
    EXIT_FAILURE,
    EXIT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    ProvisioningError,
    UnreachableError,
    UsageError,
    one_line,
)

Command = Callable[[argparse.Namespace], int]

EXIT_CODES = f"""exit codes:
  {EXIT_OK}  done (and a check found nothing)
  {EXIT_FAILURE}  failed: one line on stderr says why (Kafka or PostgreSQL unreachable,
     a refusal such as a group that still has members, a bad setting)
  {EXIT_USAGE}  usage: the command line is wrong (an unknown flag, a bad value, a
     missing flag)
  {EXIT_FOUND}  a check found something: pending migrations (db status), parked rows
     (outbox list), consumer lag over --max-lag (status)

--json: db status, dlq list, offsets reset, order, outbox list, stack status, status
and config print JSON on stdout instead of text.
Commands that change things print their plan unless given --execute: offsets reset,
dlq redrive --all, outbox drop, order delete.
"""


def _print_json(data: object) -> None:
    print(json.dumps(data, indent=2, default=str))


def _stack_up(args: argparse.Namespace) -> int:
    from provisioning.localstack import LocalStack  # noqa: PLC0415 - keep --help fast

    stack = LocalStack.from_env()
    if args.with_registry:
        stack.with_registry = True
    if args.with_acme:
        stack.with_acme = True
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

    states = LocalStack.from_env().status()
    if args.json:
        _print_json(
            {
                name: {"running": state != "stopped", "state": state}
                for name, state in states.items()
            }
        )
        return EXIT_OK
    for name, state in states.items():
        print(f"{name:9} {state}")
    return EXIT_OK


def _stack_env(args: argparse.Namespace) -> int:
    from provisioning.localstack import LocalStack  # noqa: PLC0415

    for key, value in LocalStack.from_env().env().items():
        print(f"export {key}={shlex.quote(value)}")
    return 0


def _config(args: argparse.Namespace) -> int:
    from provisioning.settings import load_settings  # noqa: PLC0415

    rows = load_settings().describe()
    if args.json:
        _print_json({name: value or None for name, value, _ in rows})
        return EXIT_OK
    width = max(len(name) for name, _, _ in rows)
    for name, value, _ in rows:
        print(f"{name:{width}}  {value}")
    return 0


def _database_url() -> str:
    """Migrations run as the schema's owner."""
    from provisioning.settings import load_settings  # noqa: PLC0415

    return load_settings().admin_url()


def _completion(args: argparse.Namespace) -> int:
    import shtab  # noqa: PLC0415

    print(shtab.complete(build_parser(), shell=args.shell), end="")
    return EXIT_OK


def _where(url: str) -> str:
    """``user@host:port/dbname`` of a PostgreSQL URL, without its password."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the configured database"
    user, host = info.get("user") or "?", info.get("host") or "localhost"
    return f"{user}@{host}:{info.get('port') or 5432}/{info.get('dbname') or '?'}"


@contextlib.contextmanager
def _reaching_postgres(url: str) -> Iterator[None]:
    """A connection that fails is one line naming where, not a traceback."""
    try:
        yield
    except psycopg.OperationalError as exc:
        raise UnreachableError(
            f"cannot connect to PostgreSQL at {_where(url)}: {one_line(exc)}"
        ) from None


def _db_upgrade(args: argparse.Namespace) -> int:
    from provisioning.migrations import upgrade  # noqa: PLC0415

    url = _database_url()
    with _reaching_postgres(url):
        print(upgrade(url, seed=args.seed).summary())
    return EXIT_OK


def _db_status(args: argparse.Namespace) -> int:
    from provisioning.migrations import status  # noqa: PLC0415

    url = _database_url()
    with _reaching_postgres(url):
        rows = status(url)
    pending = [name for name, state in rows if state != "applied"]
    if args.json:
        _print_json(
            {
                "files": [{"name": name, "state": state} for name, state in rows],
                "applied": len(rows) - len(pending),
                "total": len(rows),
                "not_applied": pending,
            }
        )
    else:
        for name, state in rows:
            if args.all or state != "applied":
                print(f"{state:8} {name}")
        print(f"{len(rows) - len(pending)} of {len(rows)} files applied")
    return EXIT_FOUND if pending else EXIT_OK


def build_parser() -> argparse.ArgumentParser:  # noqa: PLR0915 - one block per command
    parser = argparse.ArgumentParser(
        prog="provisioning",
        description="Kafka-driven provisioning pipeline. Settings come from PROVISIONING_* "
        "environment variables (see `provisioning config`).",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
        description="Start Kafka (KRaft) and PostgreSQL on loopback, the schema registry "
        "with --with-registry or PROVISIONING_SCHEMA_REGISTRY=1, Pebble (ACME) with --with-acme "
        "or PROVISIONING_STACK_ACME=1; idempotent.",
    )
    for flag, text in (
        (
            "--with-registry",
            "also start a schema registry (Apicurio, Confluent-compatible API; "
            "same as PROVISIONING_SCHEMA_REGISTRY=1)",
        ),
        (
            "--with-acme",
            "also start Pebble, an ACME test CA, and serve alpha-ssl's certificates from it "
            "(PROVISIONING_BACKENDS; same as PROVISIONING_STACK_ACME=1; needs Go)",
        ),
    ):
        up.add_argument(flag, action="store_true", help=text)
    up.set_defaults(func=_stack_up)
    for name, func, text in (
        ("down", _stack_down, "stop what `stack up` started"),
        ("status", _stack_status, "show whether each service runs"),
        ("env", _stack_env, "print the settings that point the components at the stack"),
    ):
        action = stack_commands.add_parser(name, help=text, description=text)
        action.set_defaults(func=func)
        if name == "status":
            action.add_argument("--json", action="store_true", help="print one JSON object")

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
        "status", help="list files not yet applied (exit 3 when any)"
    )
    db_status.add_argument("--all", action="store_true", help="list applied files too")
    db_status.add_argument(
        "--json", action="store_true", help="print one JSON object (every file and its state)"
    )
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
    from executors import sandbox_registry, worker  # noqa: PLC0415
    from producers import order_cli, parked, relay  # noqa: PLC0415
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

    from executors.epp import server as epp_front  # noqa: PLC0415

    epp_front.add_arguments(
        commands.add_parser(
            "epp-front",
            help="serve the sandbox registry over EPP/TLS, with fault injection (tests, demos)",
            description=epp_front.__doc__,
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
    order_cli.add_arguments(
        commands.add_parser(
            "order",
            help="place an order of any kind (domain, renew, transfer, restore, delete, "
            "update, contact, ssl), or show one",
            description=order_cli.HELP,
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
    sandbox_registry.add_arguments(
        commands.add_parser(
            "sandbox",
            help="the sandbox registry's operator: decide a pending transfer",
            description=sandbox_registry.__doc__,
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

    completion = commands.add_parser(
        "completion",
        help="print a shell completion script: bash or zsh",
        description="Print a completion script for the shell (shtab). bash: "
        'eval "$(provisioning completion bash)" in ~/.bashrc, or save it in '
        "/etc/bash_completion.d/provisioning. zsh: save it as _provisioning in a "
        'directory of $fpath, e.g. provisioning completion zsh > "${fpath[1]}/_provisioning".',
    )
    completion.add_argument("shell", choices=["bash", "zsh"])
    completion.set_defaults(func=_completion)

    config = commands.add_parser("config", help="print the effective settings (secrets masked)")
    config.add_argument("--json", action="store_true", help="print one JSON object")
    config.set_defaults(func=_config)
    return parser


@contextlib.contextmanager
def _command_logging() -> Iterator[None]:
    """Logging while a command runs: as the components log (JSON unless stderr is a
    terminal, or PROVISIONING_LOG_FORMAT), at PROVISIONING_LOG_LEVEL or WARNING.

    librdkafka's lines (logger ``kafka``) are held back unless the level is DEBUG:
    an unreachable broker is then the command's one error line, not a stream of
    connection retries. A command that runs like a component (ingest, replay, ...)
    configures logging again when it starts, which lets them through
    (configure_logging). What was there before is put back afterwards."""
    from provisioning.observability import configure_logging  # noqa: PLC0415

    root, client_log = logging.getLogger(), logging.getLogger("kafka")
    handlers, level, client_level = list(root.handlers), root.level, client_log.level
    output = os.environ.get("PROVISIONING_LOG_FORMAT", "auto").lower()
    wanted = os.environ.get("PROVISIONING_LOG_LEVEL", "WARNING").upper()
    if wanted not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        wanted = "WARNING"  # the settings name the bad value when the command loads them
    configure_logging("cli", wanted, {"json": True, "text": False}.get(output))
    if wanted != "DEBUG":
        client_log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        for handler in handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(level)
        client_log.setLevel(client_level)


def _fail(message: str) -> int:
    print(f"provisioning: error: {message}", file=sys.stderr)
    return EXIT_FAILURE


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Command = args.func
    try:
        with _command_logging():
            return func(args)
    except UsageError as exc:
        print(f"provisioning: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ProvisioningError as exc:
        return _fail(str(exc))
    except psycopg.OperationalError as exc:  # one a command did not wrap
        return _fail(f"PostgreSQL: {one_line(exc)}")
    except KafkaException as exc:
        return _fail(f"Kafka: {one_line(exc)}")
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
