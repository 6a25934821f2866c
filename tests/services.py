"""The real Kafka and PostgreSQL the tests run against.

testcontainers when a Docker engine answers (Apache Kafka 4.1.1 and PostgreSQL 15,
the images docker-compose.yml runs), the project's own local stack
otherwise (on free ports in a temporary directory, so a developer's ``make up``
stack is never touched). ``PROVISIONING_TEST_SERVICES=local|docker`` forces one.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import socket
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

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


# The images the local stack's versions match, as docker-compose.yml names them.
KAFKA_IMAGE = "apache/kafka:4.1.1"
POSTGRES_IMAGE = "postgres:15"


def _apache_kafka(image: str = KAFKA_IMAGE) -> Any:
    """A one-node KRaft broker of Apache Kafka's own image, for testcontainers.

    testcontainers' ``KafkaContainer`` starts Confluent's images only (it runs their
    ``/etc/confluent/docker`` scripts), so this configures ``apache/kafka`` the way
    docker-compose.yml does. The listener the host's clients use must advertise the
    host port Docker maps, which is known only once the container runs: the
    container waits for a start script, written then, that sets it and runs the
    image's own ``/etc/kafka/docker/run`` (as testcontainers-java does).
    """
    from testcontainers.core.container import DockerContainer  # noqa: PLC0415
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy  # noqa: PLC0415

    class ApacheKafkaContainer(DockerContainer):
        PORT = 9092  # PLAINTEXT: the host's clients; BROKER 9093 and CONTROLLER 9094 stay inside
        START_SCRIPT = "/tmp/testcontainers_start.sh"  # noqa: S108 - inside the container

        def __init__(self) -> None:
            super().__init__(image)
            self.with_exposed_ports(self.PORT)
            for name, value in {
                "CLUSTER_ID": "4L6g3nShT-eMCtK--X86sw",
                "KAFKA_NODE_ID": "1",
                "KAFKA_PROCESS_ROLES": "broker,controller",
                "KAFKA_LISTENERS": "PLAINTEXT://:9092,BROKER://:9093,CONTROLLER://:9094",
                "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": (
                    "PLAINTEXT:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT"
                ),
                "KAFKA_INTER_BROKER_LISTENER_NAME": "BROKER",
                "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
                "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9094",
                "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
                "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
                "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
                "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR": "1",
                "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR": "1",
                "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
            }.items():
                self.with_env(name, value)
            script = self.START_SCRIPT
            self.with_command(
                ["sh", "-c", f"while [ ! -f {script} ]; do sleep 0.1; done; exec bash {script}"]
            )

        def start(self) -> ApacheKafkaContainer:
            super().start()
            advertised = f"PLAINTEXT://{self.get_bootstrap_server()},BROKER://$(hostname):9093"
            self._put(
                f"#!/bin/bash\nexport KAFKA_ADVERTISED_LISTENERS={advertised}\n"
                "exec /etc/kafka/docker/run\n"
            )
            ready = LogMessageWaitStrategy(re.compile(r"Kafka Server started"))
            ready.with_startup_timeout(180)
            ready.wait_until_ready(self)
            return self

        def get_bootstrap_server(self) -> str:
            return f"{self.get_container_host_ip()}:{self.get_exposed_port(self.PORT)}"

        def _put(self, text: str) -> None:
            content = text.encode()
            info = tarfile.TarInfo(self.START_SCRIPT.rsplit("/", 1)[1])
            info.size, info.mode, info.mtime = len(content), 0o755, int(time.time())
            archive = io.BytesIO()
            with tarfile.open(fileobj=archive, mode="w") as tar:
                tar.addfile(info, io.BytesIO(content))
            self.get_wrapped_container().put_archive(
                self.START_SCRIPT.rsplit("/", 1)[0], archive.getvalue()
            )

    return ApacheKafkaContainer()


@contextlib.contextmanager
def _docker_services() -> Iterator[Services]:
    # testcontainers.community: the modules outside it are deprecated shims that warn
    from testcontainers.community.postgres import PostgresContainer  # noqa: PLC0415

    kafka = _apache_kafka()
    postgres = PostgresContainer(POSTGRES_IMAGE, username="postgres", password="postgres")
    with kafka, postgres:
        yield Services(
            kafka_bootstrap=kafka.get_bootstrap_server(),
            postgres_host=postgres.get_container_host_ip(),
            postgres_port=int(postgres.get_exposed_port(5432)),
            postgres_user="postgres",
            postgres_password="postgres",
            how="docker",
        )
