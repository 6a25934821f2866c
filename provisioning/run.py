"""Run every component of the pipeline, each its own process, until Ctrl-C or SIGTERM.

Starts ingest, the executor, the relay and the order-service consumer (as many
copies of each as asked) as child processes with the same settings, restarts a
child that dies (with a growing delay, reset once it has run for a minute), and
on Ctrl-C/SIGTERM asks every child to drain and stop, waiting up to
--stop-timeout seconds before killing the stragglers.

Each consumer child (ingest, order-service) is a static member of its group:
its group.instance.id is <prefix>-<component>-<copy>, the prefix being
PROVISIONING_KAFKA_GROUP_INSTANCE_ID or else this host's name. A child that
dies and is restarted takes its partitions back at once instead of leaving them
idle for the session timeout. Two `provisioning run` of the same groups on one
host need different prefixes.

Examples:
  provisioning run
  provisioning run --ingest 2 --executor 3
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from provisioning.observability import configure_logging
from provisioning.settings import load_settings

log = logging.getLogger(__name__)

COMPONENTS = ("ingest", "executor", "relay", "order-service")
CONSUMERS = frozenset({"ingest", "order-service"})  # members of a consumer group
INSTANCE_ID = "PROVISIONING_KAFKA_GROUP_INSTANCE_ID"
RESTART_DELAY_MAX = 30.0
HEALTHY_AFTER = 60.0


@dataclass
class Child:
    """One component process and its restart bookkeeping."""

    component: str
    copy: int
    args: list[str]
    env: Mapping[str, str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    next_start: float = 0.0
    delay: float = 1.0

    @property
    def name(self) -> str:
        return f"{self.component}-{self.copy}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "provisioning.cli", *self.args],
            env=dict(self.env),
            stdin=subprocess.DEVNULL,
        )
        self.started_at = time.monotonic()
        log.info("started %s (pid %d)", self.name, self.process.pid)

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Supervisor:
    children: list[Child]
    stop_timeout: float = 30.0
    _stop: threading.Event = field(default_factory=threading.Event)

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> int:
        for child in self.children:
            child.start()
        while not self._stop.wait(0.5):
            now = time.monotonic()
            for child in self.children:
                if child.running():
                    if now - child.started_at > HEALTHY_AFTER:
                        child.delay = 1.0
                    continue
                if child.next_start == 0.0:
                    code = child.process.returncode if child.process else None
                    child.next_start = now + child.delay
                    log.warning(
                        "%s exited with %s; restarting in %.0fs", child.name, code, child.delay
                    )
                    child.delay = min(child.delay * 2, RESTART_DELAY_MAX)
                elif now >= child.next_start:
                    child.next_start = 0.0
                    child.restarts += 1
                    child.start()
        return self._shutdown()

    def _shutdown(self) -> int:
        log.info("stopping %d component(s)", len(self.children))
        for child in self.children:
            if child.running() and child.process is not None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        failed = 0
        for child in self.children:
            if child.process is None:
                continue
            try:
                code = child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("%s did not stop within %.0fs; killing it", child.name, self.stop_timeout)
                child.process.kill()
                code = child.process.wait()
            if code not in (0, -signal.SIGTERM):
                failed += 1
        return 1 if failed else 0


def supervisor(
    counts: Mapping[str, int], env: Mapping[str, str] | None = None, stop_timeout: float = 30.0
) -> Supervisor:
    """A supervisor of ``counts[component]`` copies of each component."""
    base = dict(os.environ if env is None else env)
    plan = [(c, n) for c in COMPONENTS for n in range(1, counts.get(c, 1) + 1)]
    first_port = int(base.get("PROVISIONING_METRICS_PORT") or 0)
    prefix = base.get(INSTANCE_ID) or socket.gethostname()
    children = []
    for index, (component, copy) in enumerate(plan):
        child_env = dict(base)
        if first_port:  # consecutive ports, one per child, in the order of COMPONENTS
            child_env["PROVISIONING_METRICS_PORT"] = str(first_port + index)
        if component in CONSUMERS:  # a stable identity across restarts: static membership
            child_env[INSTANCE_ID] = f"{prefix}-{component}-{copy}"
        children.append(Child(component, copy, [component], child_env))
    return Supervisor(children, stop_timeout)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for component in COMPONENTS:
        parser.add_argument(
            f"--{component}",
            type=int,
            default=1,
            metavar="N",
            help=f"copies of {component} (default 1; 0 for none)",
        )
    parser.add_argument(
        "--stop-timeout", type=float, default=30.0, help="seconds to wait for a clean stop"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings()  # a bad setting fails here, once, not in every child
    configure_logging(
        "run", settings.log_level, {"auto": None, "json": True, "text": False}[settings.log_format]
    )
    counts = {c: getattr(args, c.replace("-", "_")) for c in COMPONENTS}
    sup = supervisor(counts, stop_timeout=args.stop_timeout)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: sup.stop())
    return sup.run()


__all__ = ["COMPONENTS", "CONSUMERS", "Supervisor", "add_arguments", "run", "supervisor"]
