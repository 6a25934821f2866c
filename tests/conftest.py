"""Session-scoped real services and per-test fresh names on them.

The services start before the first test runs (``pytest_runtestloop``), not inside the
first test that asks for them: pytest-timeout's per-test limit counts a test's fixture
set-up, and a cold start (Maven fetching the Kafka jars or the schema registry, apt-get
installing PostgreSQL) can take longer than any test may. The start-up has its own
limit instead, ``PROVISIONING_TEST_STARTUP_TIMEOUT`` seconds (default 900).

The schema registry (Apicurio, a local Java process whichever way Kafka and PostgreSQL
run) starts only when a collected test asks for it (the ``schema_registry`` fixture,
the ``registry`` marker), and is stopped and removed at the end of the session.
Pebble and pebble-challtestsrv (the ACME test CA, ``provisioning/pebble.py``: built
with ``go install`` into the cache on first use) likewise, for the ``pebble`` fixture
and the ``acme`` marker.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Generic, TypeVar

import psycopg
import pytest
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # re-export untyped
    AdminClient,
    NewTopic,
)

from provisioning.errors import StackError
from provisioning.localstack import SchemaRegistry, temporary_registry
from provisioning.pebble import Pebble, running_pebble
from provisioning.settings import Settings
from tests.services import Services, running_services


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-schema",
        action="store_true",
        help="rewrite db/schema.sql from what the migrations build (tests/db/test_migrations.py)",
    )


T = TypeVar("T")


class _Session(Generic[T]):
    """A session's service: started once, before the tests, stopped at exit."""

    def __init__(
        self,
        start: Callable[[], contextlib.AbstractContextManager[T]],
        describe: Callable[[T], str],
    ) -> None:
        self._start = start
        self._describe = describe
        self._exit = contextlib.ExitStack()
        self._running: T | None = None
        self._failure: BaseException | None = None

    def start(self, config: pytest.Config, *, own_limit: bool = True) -> None:
        if self._running is not None or self._failure is not None:
            return
        config.add_cleanup(self._exit.close)
        started = time.monotonic()
        try:
            with _time_limit() if own_limit else contextlib.nullcontext():
                self._running = self._exit.enter_context(self._start())
        except Exception as exc:  # noqa: BLE001 - every test that needs them reports it
            self._failure = exc
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None and self._running is not None:
            reporter.write_line(
                f"{self._describe(self._running)}, started in {time.monotonic() - started:.1f} s"
            )

    def get(self, config: pytest.Config) -> T:
        # only when no collected test needed them (getfixturevalue): inside that test's
        # own timeout, whose SIGALRM must not be taken over
        self.start(config, own_limit=False)
        if self._failure is not None:
            raise self._failure
        assert self._running is not None
        return self._running


def _describe_services(running: Services) -> str:
    return (
        f"services ({running.how}): Kafka {running.kafka_bootstrap}, "
        f"PostgreSQL port {running.postgres_port}"
    )


_SESSION = _Session(running_services, _describe_services)
_REGISTRY = _Session(temporary_registry, lambda registry: f"schema registry: {registry.url}")
_PEBBLE = _Session(running_pebble, lambda pebble: f"pebble: {pebble.directory_url}")


@contextlib.contextmanager
def _time_limit() -> Iterator[None]:
    """StackError in the main thread after PROVISIONING_TEST_STARTUP_TIMEOUT seconds."""
    limit = float(os.environ.get("PROVISIONING_TEST_STARTUP_TIMEOUT", "900"))

    def too_slow(_signum: int, _frame: FrameType | None) -> None:
        raise StackError(
            f"the test services did not start within {limit:.0f} s "
            "(PROVISIONING_TEST_STARTUP_TIMEOUT)"
        )

    previous = signal.signal(signal.SIGALRM, too_slow)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    """Start the services before the first test, if any collected test needs them."""
    if session.config.option.collectonly or session.testsfailed:
        return
    if any("services" in getattr(item, "fixturenames", ()) for item in session.items):
        _SESSION.start(session.config)
    if any(
        "schema_registry" in getattr(item, "fixturenames", ())
        or item.get_closest_marker("registry")
        for item in session.items
    ):
        _REGISTRY.start(session.config)
    if any(
        "pebble" in getattr(item, "fixturenames", ()) or item.get_closest_marker("acme")
        for item in session.items
    ):
        _PEBBLE.start(session.config)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's PROVISIONING_* variables never leak into a test."""
    for name in list(os.environ):
        if name.startswith("PROVISIONING_") and name != "PROVISIONING_CACHE_DIR":
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def services(pytestconfig: pytest.Config) -> Services:
    return _SESSION.get(pytestconfig)


@pytest.fixture(scope="session")
def schema_registry(pytestconfig: pytest.Config) -> SchemaRegistry:
    """The session's schema registry (compatibility BACKWARD); each test uses its own
    topics, so its own subjects."""
    return _REGISTRY.get(pytestconfig)


@pytest.fixture(scope="session")
def pebble(pytestconfig: pytest.Config) -> Pebble:
    """The session's Pebble and pebble-challtestsrv; each test uses its own names."""
    return _PEBBLE.get(pytestconfig)


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
