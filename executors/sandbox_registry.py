"""``provisioning sandbox``: act as the sandbox registry's operator or as another registrar.

A transfer requested while ``PROVISIONING_SANDBOX_TRANSFER_PENDING_SECONDS`` is
above 0 is answered "pending", as a real registry does: its provision waits in
``pending_action`` (its order too) until the transfer is decided, here or by
the sandbox approving it when that delay is over:

    provisioning sandbox transfer approve example.com   # the losing registrar agrees
    provisioning sandbox transfer reject example.com    # the losing registrar refuses
    provisioning sandbox transfer cancel example.com    # the gaining registrar withdraws

Each prints the transfer's final status (EPP trStatus: clientApproved,
clientRejected, clientCancelled; serverCancelled when an approved transfer can
no longer be carried out). The executors read it from the registrars' poll
queues within ``PROVISIONING_EXECUTOR_REGISTRY_POLL_SECONDS`` and complete or
fail the provision; its order follows.

The sandbox's database is ``PROVISIONING_SANDBOX_DATABASE_URL``, else the
provisioning database as its owner (``PROVISIONING_ADMIN_DATABASE_URL``).
"""

from __future__ import annotations

import argparse

from executors.backends.sandbox import TRANSFER_DECISIONS, SandboxBackend
from provisioning.settings import load_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    transfer = actions.add_parser(
        "transfer",
        help="decide a pending transfer: approve, reject (losing registrar), cancel (gaining)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    transfer.add_argument(
        "decision",
        choices=sorted(TRANSFER_DECISIONS),
        help="approve or reject as the losing registrar, cancel as the gaining one",
    )
    transfer.add_argument("name", help="the domain whose pending transfer to decide")
    transfer.set_defaults(func=decide_transfer)


def decide_transfer(args: argparse.Namespace) -> int:
    settings = load_settings().model_copy(update={"executor_concurrency": 1})  # one connection
    with SandboxBackend.from_settings(settings) as sandbox:
        status = sandbox.decide_transfer(args.name, args.decision)
    print(f"transfer of {args.name}: {status}")
    return 0


__all__ = ["add_arguments", "decide_transfer"]
