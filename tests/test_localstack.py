"""The local stack's own behaviour: clear errors on bad input, idempotent start."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioning.errors import MissingToolError, PortInUseError
from provisioning.localstack import Kafka, LocalStack, Postgres
from tests.services import Services


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_taken_postgres_port_names_port_and_variable(tmp_path: Path, taken_port: int) -> None:
    stack = LocalStack(home=tmp_path, postgres_port=taken_port, kafka_port=taken_port + 1)
    with pytest.raises(PortInUseError) as caught:
        stack.up()
    assert str(taken_port) in str(caught.value)
    assert "PROVISIONING_POSTGRES_PORT" in str(caught.value)
    assert not (tmp_path / "postgres" / "postgres-data").exists()  # nothing half-started


def test_taken_kafka_port_fails_before_anything_starts(tmp_path: Path, taken_port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as free:
        free.bind(("127.0.0.1", 0))
        pg_port = int(free.getsockname()[1])
    stack = LocalStack(home=tmp_path, postgres_port=pg_port, kafka_port=taken_port)
    with pytest.raises(PortInUseError) as caught:
        stack.up()
    assert "PROVISIONING_KAFKA_PORT" in str(caught.value)
    assert not stack.postgres.running()


def test_missing_java_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no java, no mvn
    monkeypatch.setenv("PROVISIONING_CACHE_DIR", str(tmp_path / "cache"))  # nothing cached
    kafka = Kafka(tmp_path / "kafka", port=1, controller_port=2)
    kafka.port = _free()
    kafka.controller_port = _free()
    with pytest.raises(MissingToolError, match="java"):
        kafka.start()


def _free() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.kafka
@pytest.mark.postgres
def test_up_is_idempotent(services: Services) -> None:
    if services.stack is None:
        pytest.skip("the services come from Docker, not the local stack")
    kafka_pid = services.stack.kafka.pid()
    services.stack.up()  # a second start changes nothing
    assert services.stack.kafka.pid() == kafka_pid
    assert services.stack.postgres.running()


def test_postgres_url_uses_the_configured_port(tmp_path: Path) -> None:
    assert Postgres(tmp_path, port=6543).url.endswith("127.0.0.1:6543/provisioning")
