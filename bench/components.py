"""What the benchmarks that run ``provisioning run`` share: settings on fresh topics and
groups, the environment of the component processes, waiting for orders to be
final, and the peak RSS of each component process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from bench.harness import Services
from provisioning.run import COMPONENTS
from provisioning.settings import Settings
from provisioning.sqlfiles import named_blocks
from provisioning.topics import ensure_topics

SQL = named_blocks(Path(__file__).with_name("components.sql"))
ALICE = "30000000-0000-4000-8000-000000000001"  # db/seed/demo.sql: tenant alpha, alice
ROOT = Path(__file__).resolve().parent.parent


def pipeline_settings(services: Services, url: str) -> Settings:
    tag = uuid.uuid4().hex[:8]
    settings = Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=url,
        topic_orders=f"bench.latency.orders.{tag}",
        topic_actions=f"bench.latency.actions.{tag}",
        topic_outcomes=f"bench.latency.outcomes.{tag}",
        group_ingest=f"bench-latency-ingest-{tag}",
        group_order_service=f"bench-latency-order-service-{tag}",
    )
    ensure_topics(settings, partitions=4)
    return settings


def component_env(settings: Settings) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONING_")}
    return {
        **keep,
        "PROVISIONING_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
        "PROVISIONING_DATABASE_URL": settings.database_url.get_secret_value(),
        "PROVISIONING_TOPIC_ORDERS": settings.topic_orders,
        "PROVISIONING_TOPIC_ACTIONS": settings.topic_actions,
        "PROVISIONING_TOPIC_OUTCOMES": settings.topic_outcomes,
        "PROVISIONING_GROUP_INGEST": settings.group_ingest,
        "PROVISIONING_GROUP_ORDER_SERVICE": settings.group_order_service,
        "PROVISIONING_KAFKA_GROUP_INSTANCE_ID": f"bench-{uuid.uuid4().hex[:8]}",
        "PROVISIONING_LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
    }


def wait_final(conn: psycopg.Connection[Any], run: str, timeout: float) -> float:
    """Seconds until every order of ``run`` is final (polled every 20 ms)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        row = conn.execute(SQL["unfinished"], {"run": run}).fetchone()
        if row is not None and row[0] == 0:
            return time.monotonic() - started
        time.sleep(0.02)
    raise RuntimeError(f"orders of run {run} not final after {timeout:.0f} s")


def peak_rss(supervisor: subprocess.Popen[bytes]) -> dict[str, int]:
    """Peak RSS (VmHWM, MiB) of each child of ``supervisor``, by command line."""
    found: dict[str, int] = {}
    children = Path(f"/proc/{supervisor.pid}/task/{supervisor.pid}/children")
    for pid in children.read_text().split():
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        name = command[3].decode() if len(command) > 3 else pid
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        if match:
            found[f"{name}[{pid}]"] = int(match.group(1)) // 1024
    return found


@contextmanager
def running(
    settings: Settings, *components: str, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """``provisioning run`` with one process of each of ``components`` (the others 0),
    its output to ``log`` (or nowhere); stopped with SIGTERM (then SIGKILL) at the end."""
    flags = [f"--{name}={1 if name in components else 0}" for name in COMPONENTS]
    with log.open("wb") if log else open(os.devnull, "wb") as out:
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "provisioning.cli", "run", *flags],
            env=component_env(settings),
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield supervisor
    finally:
        supervisor.terminate()
        try:
            supervisor.wait(60)
        except subprocess.TimeoutExpired:
            supervisor.kill()
            supervisor.wait(10)
