"""The real Kafka and PostgreSQL the tests run against.

testcontainers when a Docker engine answers, the project's own local stack
otherwise (on free ports in a temporary directory, so a developer's ``make up``
stack is never touched). ``PROVISIONING_TEST_SERVICES=local|docker`` forces one.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass

from provisioning.localstack import LocalStack, temporary_stack


@dataclass(frozen=True)
class Services:
    kafka_bootstrap: str
    postgres_host: str
    postgres_port: int
    postgres_user: str
    postgres_password: str
    how: str  # "local" or "docker"
    stack: LocalStack | None = None

    def postgres_url(self, database: str) -> str:
        auth = self.postgres_user
        if self.postgres_password:
            auth += ":" + self.postgres_password
        return f"postgresql://{auth}@{self.postgres_host}:{self.postgres_port}/{database}"


def docker_engine_answers() -> bool:
    """True when a Docker engine answers ``GET /_ping`` on ``$DOCKER_HOST`` or its socket."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        if host.startswith("unix://"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            address: str | tuple[str, int] = host.removeprefix("unix://")
        elif host.startswith("tcp://"):
            name, _, port = host.removeprefix("tcp://").rpartition(":")
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            address = (name, int(port))
        else:
            return False
        with sock:
            sock.settimeout(3)
            sock.connect(address)
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return b" 200 " in sock.recv(256)
    except (OSError, ValueError):
        return False


def _wanted() -> str:
    choice = os.environ.get("PROVISIONING_TEST_SERVICES", "auto")
    if choice == "auto":
        return "docker" if docker_engine_answers() else "local"
    if choice not in {"local", "docker"}:
        raise ValueError(f"PROVISIONING_TEST_SERVICES: {choice!r} is not auto, local or docker")
    return choice


@contextlib.contextmanager
def running_services() -> Iterator[Services]:
    if _wanted() == "docker":
        with _docker_services() as services:
            yield services
    else:
        with _local_services() as services:
            yield services


@contextlib.contextmanager
def _local_services() -> Iterator[Services]:
    with temporary_stack() as stack:
        yield Services(
            kafka_bootstrap=stack.kafka.bootstrap,
            postgres_host="127.0.0.1",
            postgres_port=stack.postgres_port,
            postgres_user="postgres",
            postgres_password="",
            how="local",
            stack=stack,
        )


@contextlib.contextmanager
def _docker_services() -> Iterator[Services]:
    from testcontainers.kafka import KafkaContainer  # noqa: PLC0415
    from testcontainers.postgres import PostgresContainer  # noqa: PLC0415

    kafka = KafkaContainer("confluentinc/cp-kafka:7.7.1").with_kraft()
    postgres = PostgresContainer("postgres:15", username="postgres", password="postgres")
    with kafka, postgres:
        yield Services(
            kafka_bootstrap=kafka.get_bootstrap_server(),
            postgres_host=postgres.get_container_host_ip(),
            postgres_port=int(postgres.get_exposed_port(5432)),
            postgres_user="postgres",
            postgres_password="postgres",
            how="docker",
        )
