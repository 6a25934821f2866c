"""The local stack's own behaviour: clear errors on bad input, idempotent start, each
stack its own PostgreSQL cluster, and nothing left behind by a throwaway one."""

from __future__ import annotations

import json
import os
import pwd
import socket
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from provisioning.cli import main
from provisioning.errors import MissingToolError, PortInUseError, StackError
from provisioning.localstack import Kafka, LocalStack, Postgres, free_port, temporary_stack
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
    stack = LocalStack(home=tmp_path, postgres_port=free_port(), kafka_port=taken_port)
    with pytest.raises(PortInUseError) as caught:
        stack.up()
    assert "PROVISIONING_KAFKA_PORT" in str(caught.value)
    assert not stack.postgres.running()
    assert not stack.postgres.data.exists()  # not started and stopped: never started


def test_missing_java_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no java, no mvn
    monkeypatch.setenv("PROVISIONING_CACHE_DIR", str(tmp_path / "cache"))  # nothing cached
    kafka = Kafka(tmp_path / "kafka", port=free_port(), controller_port=free_port())
    with pytest.raises(MissingToolError, match="java"):
        kafka.start()


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


def _postgres_users_home() -> Path | None:
    """The postgres user's home when we are root (where closed stacks keep their cluster)."""
    if os.geteuid() != 0:
        return None
    return Path(pwd.getpwnam("postgres").pw_dir)


@pytest.mark.postgres
def test_a_throwaway_stack_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # $TMPDIR closed to other users (pytest's own directories are 0700): as root, the
    # cluster must live in the postgres user's home, outside the temporary directory
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with temporary_stack(with_kafka=False) as stack:
        state = [stack.home, stack.postgres.home]
        assert stack.postgres.running()
        pg_home = _postgres_users_home()
        if pg_home is not None:
            assert stack.postgres.home.is_relative_to(pg_home), stack.postgres.home
            assert (stack.postgres.home / "stack-dir").read_text() == f"{stack.home.resolve()}\n"
    assert not stack.postgres.running()
    assert [path for path in state if path.exists()] == []


@pytest.mark.postgres
@pytest.mark.slow
def test_two_stacks_on_the_same_port_never_share_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()

    def stack_in(directory: str) -> LocalStack:  # as `provisioning stack up` makes it
        monkeypatch.setenv("PROVISIONING_STACK_DIR", str(tmp_path / directory))
        monkeypatch.setenv("PROVISIONING_POSTGRES_PORT", str(port))
        return LocalStack.from_env()

    first, second = stack_in("first"), stack_in("second")
    try:
        first.up(with_kafka=False)
        with psycopg.connect(first.postgres.url, autocommit=True) as conn:
            conn.execute("CREATE TABLE only_in_first ()")
        first.down()
        assert first.postgres.data.exists()  # `stack down` keeps a stack's data

        second.up(with_kafka=False)  # the same port, another directory
        with psycopg.connect(second.postgres.url) as conn:
            assert conn.execute("SELECT to_regclass('only_in_first')").fetchone() == (None,)
        second.down()

        first.up(with_kafka=False)  # the first stack again: its own data
        with psycopg.connect(first.postgres.url) as conn:
            found = conn.execute("SELECT to_regclass('only_in_first')::text").fetchone()
        assert found == ("only_in_first",)
    finally:
        for stack in (first, second):
            stack.remove()
    assert [s.postgres.home for s in (first, second) if s.postgres.home.exists()] == []


# --------------------------------------------------------------------- the schema registry


def test_stack_env_names_the_registry_only_when_asked(tmp_path: Path) -> None:
    base = {"PROVISIONING_STACK_DIR": str(tmp_path), "PROVISIONING_SCHEMA_REGISTRY_PORT": "18181"}
    assert "PROVISIONING_SCHEMA_REGISTRY_URL" not in LocalStack.from_env(base).env()
    asked = LocalStack.from_env({**base, "PROVISIONING_SCHEMA_REGISTRY": "1"})
    assert asked.env()["PROVISIONING_SCHEMA_REGISTRY_URL"] == (
        "http://127.0.0.1:18181/apis/ccompat/v7"
    )


def test_a_bad_registry_flag_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(StackError, match="PROVISIONING_SCHEMA_REGISTRY: 'maybe'"):
        LocalStack.from_env(
            {"PROVISIONING_STACK_DIR": str(tmp_path), "PROVISIONING_SCHEMA_REGISTRY": "maybe"}
        )


def test_taken_registry_port_fails_before_anything_starts(tmp_path: Path, taken_port: int) -> None:
    stack = LocalStack(
        home=tmp_path,
        postgres_port=free_port(),
        kafka_port=free_port(),
        kafka_controller_port=free_port(),
        with_registry=True,
        registry_port=taken_port,
    )
    with pytest.raises(PortInUseError) as caught:
        stack.up()
    assert "PROVISIONING_SCHEMA_REGISTRY_PORT" in str(caught.value)
    assert not stack.postgres.data.exists()


@pytest.mark.postgres
@pytest.mark.kafka
@pytest.mark.slow
def test_stack_up_with_registry_serves_it_and_down_stops_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``provisioning stack up --with-registry``, as ``make up`` runs it: the registry
    answers with compatibility BACKWARD, ``stack env`` names it, ``stack down`` stops it."""
    monkeypatch.setenv("PROVISIONING_STACK_DIR", str(tmp_path / "stack"))
    for variable in ("KAFKA_PORT", "KAFKA_CONTROLLER_PORT", "POSTGRES_PORT"):
        monkeypatch.setenv(f"PROVISIONING_{variable}", str(free_port()))
    monkeypatch.setenv("PROVISIONING_SCHEMA_REGISTRY_PORT", str(free_port()))
    stack = LocalStack.from_env()
    try:
        assert main(["stack", "up", "--with-registry"]) == 0
        assert main(["stack", "env"]) == 0
        printed = capsys.readouterr().out
        url = stack.registry.url
        assert f"export PROVISIONING_SCHEMA_REGISTRY_URL={url}\n" in printed
        with urllib.request.urlopen(f"{url}/config", timeout=10) as response:  # noqa: S310
            assert json.loads(response.read()) == {"compatibilityLevel": "BACKWARD"}
        assert f"PROVISIONING_SCHEMA_REGISTRY_URL={url}" in (stack.home / "env").read_text()
        assert main(["stack", "down"]) == 0
        assert "schema registry" in capsys.readouterr().out
        assert stack.registry.pid() is None
        assert not stack.registry.ready()
    finally:
        stack.remove()
