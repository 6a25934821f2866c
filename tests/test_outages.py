"""A database outage in the middle of the work: what the executor keeps, and what
/healthz says about a consumer that cannot get on.

The outage is real: the test database stops accepting connections
(``ALTER DATABASE … ALLOW_CONNECTIONS false``) and every session on it is
terminated, as when PostgreSQL restarts; then it is allowed again.
"""

from __future__ import annotations

import contextlib
import http.client
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql

from consumers.ingest import ingest_loop
from executors.backends.base import Backend
from executors.backends.sandbox import SandboxBackend
from executors.handlers import HANDLERS, Job
from executors.worker import Worker, WorkerStats
from producers.requests import RequestProducer
from provisioning.observability import Liveness, serve
from provisioning.settings import Settings
from tests.builders import domain_create
from tests.conftest import TopicFactory, unique_name
from tests.db.helpers import insert_provision
from tests.services import Services

pytestmark = [pytest.mark.postgres]


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@contextlib.contextmanager
def database_down(services: Services, url: str, keep: int | None = None) -> Iterator[None]:
    """The database of ``url`` refuses connections and loses its sessions (but ``keep``'s,
    a backend pid) until the block ends."""
    name = sql.Identifier(url.rsplit("/", 1)[1])
    with psycopg.connect(services.postgres_url("postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(name))
        try:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> %s AND pid <> pg_backend_pid()",
                (url.rsplit("/", 1)[1], keep or 0),
            )
            yield
        finally:
            admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(name))


# ---------------------------------------------------------------------- executor


def test_a_result_that_finished_while_the_database_was_down_is_reported_once_it_is_back(
    services: Services, provisioning_db: str
) -> None:
    """docs/executors.md, "Crashes and shutdown": "Database unavailable: the loop
    reconnects and keeps its unreported results until it can report them"."""
    with psycopg.connect(provisioning_db, autocommit=True) as conn:
        row = insert_provision(conn, "provision_domain", name="through-the-outage.com")
    backend_done, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def register_then_hold(job: Job, backend: Backend) -> dict[str, Any]:
        calls.append(job.attempts)
        result = HANDLERS["provision_domain"](job, backend)  # the real backend call
        backend_done.set()
        release.wait(60)  # returns its result only once the database is down
        return result

    settings = Settings(
        database_url=provisioning_db,  # pydantic coerces to SecretStr
        executor_poll_seconds=0.2,
        executor_concurrency=2,
    )
    sandbox = SandboxBackend(provisioning_db)
    worker = Worker(
        settings, sandbox, handlers={**HANDLERS, "provision_domain": register_then_hold}
    )
    stats: list[WorkerStats] = []
    runner = threading.Thread(target=lambda: stats.append(worker.run(until_idle=0.5)))
    runner.start()
    try:
        assert backend_done.wait(60), "the job was never run"
        # a session opened before the outage, spared by it, to watch the job
        with psycopg.connect(provisioning_db, autocommit=True) as watcher:
            job_status = (
                "SELECT s.name FROM job j JOIN job_status s ON s.id = j.status_id WHERE j.id = %s"
            )
            with database_down(services, provisioning_db, keep=watcher.info.backend_pid):
                release.set()
                failed_before = worker.reconnects
                # two more failed passes: the second began after the handler had returned,
                # so the executor held the result and could not report it
                wait_until(
                    lambda: worker.reconnects >= failed_before + 2,
                    "the executor to meet the outage",
                )
                assert watcher.execute(job_status, (row["job_id"],)).fetchone() == ("processing",)
            runner.join(120)
            assert not runner.is_alive()
            assert watcher.execute(job_status, (row["job_id"],)).fetchone() == ("completed",)
            attempts, result = watcher.execute(
                "SELECT attempts, result_data FROM job WHERE id = %s", (row["job_id"],)
            ).fetchone() or (None, None)
            domain = watcher.execute(
                "SELECT s.name FROM provision_domain p JOIN provision_status s"
                " ON s.id = p.status_id WHERE p.id = %s",
                (row["id"],),
            ).fetchone()
            outcomes = watcher.execute("SELECT status FROM outbox").fetchall()
    finally:
        release.set()
        worker.stop()
        runner.join(30)
        sandbox.close()

    assert calls == [1]  # run once: the result was kept, not lost and run again
    assert attempts == 1
    assert result is not None
    assert str(result["roid"]).endswith("-SANDBOX")
    assert domain == ("completed",)
    assert outcomes == [("completed",)]
    (counts,) = stats
    assert counts.counts["completed"] == 1


# ---------------------------------------------------------------------- /healthz


def healthz(port: int) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


@pytest.mark.kafka
def test_healthz_turns_503_while_the_consumer_loop_is_stuck_and_200_once_it_turns_again(
    services: Services, provisioning_db: str, make_topic: TopicFactory
) -> None:
    """docs/operations.md, "Health endpoints": "/healthz answers 503 when the component's
    main loop has not turned for 60 s (a consumer stuck on an unreachable database …)".
    The limit is 60 s in production; this loop's is 3 s."""
    settings = Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,  # pydantic coerces to SecretStr
        topic_actions=make_topic(prefix="actions"),
        group_ingest=unique_name("ingest"),
    )
    loop = ingest_loop(settings, [settings.topic_actions], poll_timeout=0.25)
    loop.liveness = Liveness(max_age=3.0)
    server = serve(0, "ingest", loop.liveness)  # what `provisioning ingest` serves
    port = server.server_port
    runner = threading.Thread(target=loop.run)
    runner.start()

    def recorded() -> int:
        with psycopg.connect(provisioning_db) as conn:
            (count,) = conn.execute("SELECT count(*) FROM provision_domain").fetchone() or (0,)
        return int(count)

    try:
        with RequestProducer(settings) as producer:
            producer.send(domain_create("before-the-outage.com"), topic=settings.topic_actions)
        wait_until(lambda: recorded() == 1, "the first request to be recorded")
        assert healthz(port) == (200, "ok\n")

        with database_down(services, provisioning_db):
            with RequestProducer(settings) as producer:
                producer.send(domain_create("during-the-outage.com"), topic=settings.topic_actions)
            wait_until(lambda: healthz(port)[0] == 503, "/healthz to answer 503")
            status, body = healthz(port)
            assert status == 503
            assert body.startswith("ingest: RuntimeError: main loop silent for "), body
            assert loop.reconnects >= 1  # stuck retrying the database, as it should be

        wait_until(lambda: recorded() == 2, "the request to be recorded after the outage")
        wait_until(lambda: healthz(port) == (200, "ok\n"), "/healthz to answer 200 again")
    finally:
        loop.stop()
        runner.join(30)
        server.shutdown()
        server.server_close()
    assert not runner.is_alive()
