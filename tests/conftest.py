"""Session-scoped real services and per-test fresh names on them."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # re-export untyped
    AdminClient,
    NewTopic,
)

from provisioning.settings import Settings
from tests.services import Services, running_services


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's PROVISIONING_* variables never leak into a test."""
    for name in list(os.environ):
        if name.startswith("PROVISIONING_") and name != "PROVISIONING_CACHE_DIR":
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def services() -> Iterator[Services]:
    with running_services() as running:
        yield running


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def kafka_admin(services: Services) -> AdminClient:
    return AdminClient({"bootstrap.servers": services.kafka_bootstrap})


TopicFactory = Callable[..., str]


@pytest.fixture
def make_topic(kafka_admin: AdminClient) -> TopicFactory:
    """Create a fresh topic with ``partitions`` partitions; returns its name."""

    def create(partitions: int = 1, prefix: str = "test") -> str:
        name = unique_name(prefix).replace("_", ".")
        futures = kafka_admin.create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=1)],
            operation_timeout=30,
        )
        futures[name].result(timeout=30)
        return name

    return create


@pytest.fixture
def group_id() -> str:
    return unique_name("group")


DatabaseFactory = Callable[[], str]


@pytest.fixture
def make_database(services: Services) -> Iterator[DatabaseFactory]:
    """Create an empty, uniquely named database; returns its URL. Dropped after the test."""
    created: list[str] = []
    admin_url = services.postgres_url("postgres")

    def create() -> str:
        name = unique_name("test")
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return services.postgres_url(name)

    yield create
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(make_database: DatabaseFactory) -> str:
    return make_database()


@pytest.fixture
def settings(services: Services, database_url: str) -> Settings:
    return Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=database_url,  # pydantic coerces to SecretStr
    )


@pytest.fixture(scope="session")
def schema_template(services: Services) -> str:
    """A database migrated and seeded once per session; tests get clones of it."""
    from provisioning.migrations import upgrade  # noqa: PLC0415 - only DB tests need it

    name = unique_name("template")
    with psycopg.connect(services.postgres_url("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    upgrade(services.postgres_url(name), seed=True)
    return name


@pytest.fixture
def provisioning_db(services: Services, schema_template: str) -> Iterator[str]:
    """URL of a fresh clone of the migrated, seeded database; dropped after the test."""
    name = unique_name("test")
    admin_url = services.postgres_url("postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{schema_template}"')
    yield services.postgres_url(name)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def db(provisioning_db: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """An autocommit connection to a fresh provisioning database."""
    with psycopg.connect(provisioning_db, autocommit=True) as conn:
        yield conn


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Child processes a test starts: any still running at its end is killed."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
