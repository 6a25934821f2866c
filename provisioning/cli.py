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


def _config(args: argparse.Namespace) -> int:
    from provisioning.settings import load_settings  # noqa: PLC0415

    rows = load_settings().describe()
    width = max(len(name) for name, _, _ in rows)
    for name, value, _ in rows:
        print(f"{name:{width}}  {value}")
    return 0


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
    for name, func, text in (
        ("up", _stack_up, "start Kafka (KRaft) and PostgreSQL on loopback; idempotent"),
        ("down", _stack_down, "stop what `stack up` started"),
        ("status", _stack_status, "show whether each service runs"),
    ):
        stack_commands.add_parser(name, help=text, description=text).set_defaults(func=func)

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
