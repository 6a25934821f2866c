"""`make demo`, run as a user would, on a stack of its own."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioning.localstack import LocalStack, free_port

pytestmark = [pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def demo_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    tmp_path.chmod(0o755)  # PostgreSQL runs as the postgres user when we are root
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONING_")}
    env.update(
        {
            "PROVISIONING_STACK_DIR": str(tmp_path / "stack"),
            "PROVISIONING_KAFKA_PORT": str(free_port()),
            "PROVISIONING_KAFKA_CONTROLLER_PORT": str(free_port()),
            "PROVISIONING_POSTGRES_PORT": str(free_port()),
        }
    )
    yield env
    subprocess.run(["make", "down"], cwd=ROOT, env=env, capture_output=True, check=False)
    # `make down` keeps the data for the next `make up`; this stack has no next time
    # (its PostgreSQL cluster may be in the postgres user's home, outside tmp_path)
    LocalStack.from_env(env).remove()


def test_make_demo_runs_the_pipeline_end_to_end_and_summarises(demo_env: dict[str, str]) -> None:
    result = subprocess.run(
        ["make", "demo", "DEMO_ORDERS=7"],
        cwd=ROOT,
        env=demo_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout
    assert result.returncode == 0, output[-3000:] + result.stderr[-3000:]
    summary = output[output.index("\nsummary") :]

    def count(label: str) -> int:
        match = re.search(rf"^\s+{re.escape(label)}\s+(\d+)$", summary, re.MULTILINE)
        assert match, f"no {label!r} in:\n{summary}"
        return int(match.group(1))

    # 7 orders: every 7th from the 4th fails validation, from the 6th the registry refuses
    assert count("successful") == 5
    assert count("failed") == 2
    assert count("provision_domain completed") == 5
    assert count("provision_domain rejected") == 1  # the bad name, refused by validation
    assert count("provision_domain failed") == 1  # registered elsewhere, refused by the sandbox
    assert count("provision_contact completed") == 6  # 5 registrants and the support contact
    assert count("provision_host completed") == 10
    assert count("provision_ssl completed") == 1
    assert count("DLQ messages (this run)") == 1
    assert "orders final 7/7" in output
