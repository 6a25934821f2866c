"""`provisioning run`: every component its own process, restarted if it dies, stopped cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from provisioning.localstack import free_port
from provisioning.run import COMPONENTS
from tests.services import Services

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent


def components_of(pid: int) -> dict[str, int]:
    """The component name of each child process of ``pid`` (Linux /proc)."""
    found: dict[str, int] = {}
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in map(int, children):
        try:
            argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except FileNotFoundError:
            continue
        if b"provisioning.cli" in argv:
            found[argv[argv.index(b"provisioning.cli") + 1].decode()] = child
    return found


def _answers(url: str) -> bool:
    try:
        return get(url)[0] == 200
    except OSError:
        return False


def wait_for(condition: object, log: Path | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.2)
    tail = log.read_text()[-4000:] if log is not None and log.exists() else ""
    raise AssertionError(f"condition not met in time\n{tail}")


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_run_restarts_a_dead_component_and_stops_all_on_sigterm(
    services: Services, provisioning_db: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONING_")}
    first_port = free_port(len(COMPONENTS))
    env.update(
        {
            "PROVISIONING_KAFKA_BOOTSTRAP_SERVERS": services.kafka_bootstrap,
            "PROVISIONING_DATABASE_URL": provisioning_db,
            "PROVISIONING_METRICS_PORT": str(first_port),
        }
    )
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        run = subprocess.Popen(
            [sys.executable, "-m", "provisioning.cli", "run", "--stop-timeout", "20"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: set(components_of(run.pid)) == set(COMPONENTS), log)
        first = components_of(run.pid)
        # each child serves /healthz and /metrics on its own port, in COMPONENTS order
        for index, component in enumerate(COMPONENTS):
            base = f"http://127.0.0.1:{first_port + index}"
            wait_for(lambda base=base: _answers(base + "/healthz"), log)
            assert get(base + "/healthz") == (200, "ok\n"), component
            status, metrics = get(base + "/metrics")
            assert status == 200
            assert "provisioning_" in metrics, component
        os.kill(first["executor"], signal.SIGKILL)
        wait_for(
            lambda: components_of(run.pid).get("executor", first["executor"]) != first["executor"],
            log,
        )
        again = components_of(run.pid)
        assert set(again) == set(COMPONENTS)
        assert again["ingest"] == first["ingest"]  # the others kept running

        run.send_signal(signal.SIGTERM)
        assert run.wait(60) == 0, log.read_text()[-3000:]
        for pid in again.values():
            assert (
                not Path(f"/proc/{pid}").exists()
                or b"zombie" in Path(f"/proc/{pid}/status").read_bytes().lower()
            )
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(10)
    text = log.read_text()
    assert "executor-1 exited with -9; restarting" in text
