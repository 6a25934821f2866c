"""The ``provisioning`` command line's conventions: exit codes, --json, one-line errors,
and librdkafka's log lines as Python log records.

The unreachable services are real: a closed port on loopback, where nothing listens.
"""

from __future__ import annotations

import io
import json
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioning import cli, kafka
from provisioning.observability import configure_logging
from provisioning.settings import Settings
from tests.conftest import DatabaseFactory

FAST = 3.0  # seconds to wait for an unreachable Kafka (the commands wait 10)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def run(argv: list[str], capfd: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``provisioning ARGV``; stdout and stderr at the file descriptors, so that anything
    librdkafka writes itself (``%3|...|FAIL|...``) is caught too."""
    capfd.readouterr()
    code = cli.main(argv)
    out, err = capfd.readouterr()
    return code, out, err


# ---------------------------------------------------------------------- no services


def test_the_exit_codes_are_listed_in_the_top_level_help() -> None:
    text = cli.build_parser().format_help()
    epilog = text[text.index("exit codes:") :]
    for code, meaning in (
        ("0", "done"),
        ("1", "failed"),
        ("2", "usage"),
        ("3", "a check found something"),
    ):
        assert f"  {code}  {meaning}" in epilog, epilog
    assert "--execute" in epilog
    assert "--json" in epilog


def test_a_usage_error_is_2_and_a_failure_is_1(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["db", "status", "--no-such-flag"])
    assert exit_.value.code == 2
    # a setting with a bad value: the command fails (1), it was not misused
    monkeypatch.setenv("PROVISIONING_KAFKA_SESSION_TIMEOUT_MS", "soon")
    code, _, err = run(["config"], capfd)
    assert code == 1
    assert err.startswith("provisioning: error: invalid configuration:")
    assert "PROVISIONING_KAFKA_SESSION_TIMEOUT_MS" in err


def test_config_and_stack_status_print_json(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("PROVISIONING_DATABASE_URL", "postgresql://app:s3cret@db.example/p")
    monkeypatch.setenv("PROVISIONING_TOPIC_ORDERS", "my.orders")
    code, out, _ = run(["config", "--json"], capfd)
    assert code == 0
    config = json.loads(out)
    assert config["PROVISIONING_TOPIC_ORDERS"] == "my.orders"
    assert "s3cret" not in out  # masked as in the text form
    assert config["PROVISIONING_DATABASE_URL"] == "**********"
    assert config["PROVISIONING_METRICS_PORT"] is None

    monkeypatch.setenv("PROVISIONING_STACK_DIR", str(tmp_path / "stack"))
    code, out, _ = run(["stack", "status", "--json"], capfd)
    assert code == 0
    assert json.loads(out) == {
        "kafka": {"running": False, "state": "stopped"},
        "postgres": {"running": False, "state": "stopped"},
    }


# ---------------------------------------------------------------------- unreachable


def test_an_unreachable_database_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    port = closed_port()
    monkeypatch.setenv("PROVISIONING_DATABASE_URL", f"postgresql://owner@127.0.0.1:{port}/prov")
    for argv in (["db", "status"], ["db", "status", "--json"], ["outbox", "list"]):
        code, out, err = run(argv, capfd)
        assert code == 1, argv
        assert out == ""
        (line,) = err.splitlines()  # one line, no traceback
        assert line.startswith("provisioning: error: "), line
    code, _, err = run(["db", "status"], capfd)
    assert err.startswith(
        f"provisioning: error: cannot connect to PostgreSQL at owner@127.0.0.1:{port}/prov: "
    )
    assert "refused" in err


@pytest.fixture
def unreachable_kafka(monkeypatch: pytest.MonkeyPatch) -> str:
    bootstrap = f"127.0.0.1:{closed_port()}"
    monkeypatch.setenv("PROVISIONING_KAFKA_BOOTSTRAP_SERVERS", bootstrap)
    monkeypatch.setenv("PROVISIONING_DATABASE_URL", f"postgresql://x@127.0.0.1:{closed_port()}/p")
    monkeypatch.setattr(kafka, "CONNECT_TIMEOUT", FAST)
    return bootstrap


@pytest.mark.parametrize(
    "argv",
    [
        ["offsets", "reset", "--group", "g", "--to-latest"],
        ["offsets", "reset", "--group", "g", "--to-latest", "--execute", "--json"],
        ["dlq", "list"],
        ["dlq", "show", "some.dlq", "0", "0"],
        ["dlq", "redrive", "some.dlq", "--all"],
        [
            "submit",
            "--action",
            "provision_domain",
            "--tenant-customer",
            "30000000-0000-4000-8000-000000000001",
            "--accreditation",
            "alpha-registry",
            "--payload",
            '{"name": "unreachable.com"}',
        ],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_an_unreachable_kafka_is_one_line(
    argv: list[str], unreachable_kafka: str, capfd: pytest.CaptureFixture[str]
) -> None:
    started = time.monotonic()
    code, out, err = run(argv, capfd)
    assert code == 1
    assert out == ""
    (line,) = err.splitlines()  # neither a traceback nor librdkafka's own %3|...|FAIL| lines
    assert line.startswith(f"provisioning: error: cannot reach Kafka at {unreachable_kafka} ")
    assert time.monotonic() - started < FAST + 10


# ---------------------------------------------------------------------- client logs


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """The root logger writing JSON lines to a buffer, as a component's does; undone after."""
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    configure_logging("test", "DEBUG", json_output=True, stream=stream)
    yield stream
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def test_librdkafka_lines_are_log_records(
    json_log: io.StringIO, capfd: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(kafka_bootstrap_servers=f"127.0.0.1:{closed_port()}")
    consumer = kafka.reader(settings)
    try:
        deadline = time.monotonic() + 20
        while "FAIL" not in json_log.getvalue() and time.monotonic() < deadline:
            consumer.poll(0.2)  # serves the client's queued log lines
    finally:
        consumer.close()
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    failures = [line for line in lines if line["logger"] == "kafka" and "FAIL" in line["message"]]
    assert failures, lines
    assert failures[0]["level"] == "ERROR"
    assert "Connection refused" in failures[0]["message"] or "Connect to" in failures[0]["message"]
    assert "%3|" not in capfd.readouterr().err  # librdkafka wrote nothing itself


def test_an_operator_command_logs_the_client_lines_only_at_debug(
    unreachable_kafka: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PROVISIONING_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("PROVISIONING_LOG_FORMAT", "json")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        code, _, err = run(["dlq", "list"], capfd)
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
    assert code == 1
    *logged, last = err.splitlines()
    assert last.startswith(f"provisioning: error: cannot reach Kafka at {unreachable_kafka} ")
    records = [json.loads(line) for line in logged]  # every other line is a JSON record
    assert any(r["logger"] == "kafka" and r["component"] == "cli" for r in records), records


@pytest.mark.postgres
def test_db_status_exit_3_when_files_are_pending_and_json(
    make_database: DatabaseFactory,
    provisioning_db: str,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PROVISIONING_DATABASE_URL", make_database())  # empty: all pending
    code, out, _ = run(["db", "status", "--json"], capfd)
    assert code == 3
    status = json.loads(out)
    assert status["applied"] == 0
    assert status["not_applied"] == [f["name"] for f in status["files"]]
    assert status["total"] == len(status["files"]) > 0
    code, out, _ = run(["db", "status"], capfd)
    assert code == 3
    assert out.splitlines()[-1] == f"0 of {status['total']} files applied"

    monkeypatch.setenv("PROVISIONING_DATABASE_URL", provisioning_db)  # migrated
    code, out, _ = run(["db", "status", "--json"], capfd)
    assert code == 0
    done = json.loads(out)
    assert (done["applied"], done["not_applied"]) == (done["total"], [])
    assert {f["state"] for f in done["files"]} == {"applied"}
