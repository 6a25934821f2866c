"""Executors against the real PostgreSQL and the sandbox backend."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from executors.backends.base import Backend
from executors.backends.sandbox import SandboxBackend
from executors.handlers import HANDLERS, Job
from executors.worker import Result, Worker, WorkerStats
from provisioning.settings import Settings
from tests.db.helpers import (
    ALPHA_REGISTRY,
    Conn,
    fetch_all,
    fetch_one,
    insert_provision,
    scalar,
)

pytestmark = [pytest.mark.postgres]

ROOT = Path(__file__).resolve().parent.parent


def settings_for(url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": url,
        "executor_poll_seconds": 0.2,
        "executor_backoff_seconds": 0.05,
        "executor_concurrency": 4,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def sandbox(provisioning_db: str) -> Iterator[SandboxBackend]:
    backend = SandboxBackend(provisioning_db)
    yield backend
    backend.close()


def run_until_idle(url: str, backend: Backend, **options: Any) -> WorkerStats:
    return Worker(settings_for(url), backend, **options).run(until_idle=0.5)


def status_of(db: Conn, table: str, provision_id: uuid.UUID) -> tuple[str, str | None]:
    row = fetch_one(
        db,
        f"SELECT s.name, p.result_message FROM {table} p"  # noqa: S608 - a fixed table name
        " JOIN provision_status s ON s.id = p.status_id WHERE p.id = %(id)s",
        {"id": provision_id},
    )
    return row["name"], row["result_message"]


def test_every_job_type_has_a_handler(db: Conn) -> None:
    types = {row["name"] for row in fetch_all(db, "SELECT name FROM job_type")}
    assert types == set(HANDLERS)


def test_every_job_type_runs_end_to_end_on_the_sandbox(
    db: Conn, provisioning_db: str, sandbox: SandboxBackend
) -> None:
    def run(table: str, **params: Any) -> uuid.UUID:
        row = insert_provision(db, table, **params)
        run_until_idle(provisioning_db, sandbox)
        status, message = status_of(db, table, row["id"])
        assert (status, message) == ("completed", None), table
        return uuid.UUID(str(row["id"]))

    run(
        "provision_contact",
        handle="owner-1",
        name="Owner One",
        email="owner@example.net",
        city="Springfield",
        country_code="US",
    )
    run("provision_host", name="ns1.nameservers.info")
    run("provision_host", name="ns2.nameservers.info")
    run(
        "provision_domain",
        name="journey.com",
        registration_period=2,
        registrant="owner-1",
        nameservers=["ns1.nameservers.info", "ns2.nameservers.info"],
    )
    domain = fetch_one(db, "SELECT * FROM domain WHERE name = 'journey.com'")
    assert domain["roid"].endswith("-SANDBOX")
    expiry = domain["ry_expiry_date"]

    run("provision_domain_renew", name="journey.com", period=3)
    renewed = fetch_one(db, "SELECT * FROM domain WHERE name = 'journey.com'")
    assert renewed["ry_expiry_date"].year == expiry.year + 3

    run("provision_domain_update", name="journey.com", nameservers=["ns1.nameservers.info"])
    updated = fetch_one(db, "SELECT * FROM domain WHERE name = 'journey.com'")
    assert list(updated["nameservers"]) == ["ns1.nameservers.info"]

    run("provision_domain_delete", name="journey.com")
    assert scalar(db, "SELECT status FROM domain WHERE name = 'journey.com'") == "redemption"
    run("provision_domain_restore", name="journey.com")
    assert scalar(db, "SELECT status FROM domain WHERE name = 'journey.com'") == "ok"

    sandbox.seed_foreign_domain(
        "incoming.com",
        "other-registrar",
        "Tr4nsfer!Code",
        datetime.now(UTC) + timedelta(days=200),
    )
    run("provision_domain_transfer", name="incoming.com", pw="Tr4nsfer!Code")
    moved = fetch_one(db, "SELECT * FROM domain WHERE name = 'incoming.com'")
    assert moved["roid"]

    ssl = run("provision_ssl", common_name="www.journey.com", sans=["journey.com"])
    certificate = fetch_one(
        db,
        "SELECT c.* FROM certificate c JOIN provision_ssl p ON p.certificate_id = c.id"
        " WHERE p.id = %(id)s",
        {"id": ssl},
    )
    assert certificate["pem"].startswith("-----BEGIN CERTIFICATE-----")
    assert scalar(db, "SELECT count(*) FROM outbox WHERE status = 'completed'") == 10


def test_a_refusal_by_the_backend_fails_the_provision_with_its_reason(
    db: Conn, provisioning_db: str, sandbox: SandboxBackend
) -> None:
    sandbox.seed_foreign_domain(
        "taken-elsewhere.com", "other-registrar", "x", datetime.now(UTC) + timedelta(days=90)
    )
    row = insert_provision(db, "provision_domain", name="taken-elsewhere.com")
    stats = run_until_idle(provisioning_db, sandbox)
    status, message = status_of(db, "provision_domain", row["id"])
    assert status == "failed"
    assert message is not None
    assert "ObjectExists" in message
    assert stats.counts["failed"] == 1
    assert scalar(db, "SELECT attempts FROM job WHERE id = %(id)s", {"id": row["job_id"]}) == 1


class BackoffRecordingWorker(Worker):
    """A worker that reads, after each failure it reports, the backoff the database set."""

    backoffs: list[float]

    def _record(self, job: Job, result: Result) -> None:
        super()._record(job, result)
        row = (
            self.connection()
            .execute(
                "SELECT extract(epoch FROM start_date - updated_date) AS backoff FROM job"
                " WHERE id = %(id)s AND status_id = tc_id_from_name('job_status', 'queued')",
                {"id": job.id},
            )
            .fetchone()
        )
        if row is not None:  # re-queued for a retry
            self.backoffs.append(float(row["backoff"]))


def test_a_raising_handler_is_retried_with_backoff_then_fails_with_its_message(
    db: Conn, provisioning_db: str, sandbox: SandboxBackend
) -> None:
    calls: list[tuple[int, float]] = []

    def broken(job: Job, backend: Backend) -> dict[str, Any]:
        calls.append((job.attempts, time.monotonic()))
        raise RuntimeError("registry connection reset")

    row = insert_provision(db, "provision_domain", name="flaky.com")
    worker = BackoffRecordingWorker(
        settings_for(provisioning_db), sandbox, handlers={"provision_domain": broken}
    )
    worker.backoffs = []
    stats = worker.run(until_idle=0.5)

    job = fetch_one(
        db,
        "SELECT attempts, max_attempts, result_message FROM job WHERE id = %(id)s",
        {"id": row["job_id"]},
    )
    assert [attempt for attempt, _ in calls] == list(range(1, job["max_attempts"] + 1))
    # the backoff doubles from executor_backoff_seconds with each attempt (job_fail)...
    expected = [0.05 * 2**index for index in range(job["max_attempts"] - 1)]
    assert worker.backoffs == pytest.approx(expected)
    # ...and no attempt ran before the backoff of the one before it ended
    gaps = [later - earlier for (_, earlier), (_, later) in itertools.pairwise(calls)]
    assert all(gap >= backoff * 0.9 for gap, backoff in zip(gaps, expected, strict=True)), gaps
    assert stats.counts["retry"] == job["max_attempts"] - 1
    assert stats.counts["failed"] == 1
    status, message = status_of(db, "provision_domain", row["id"])
    assert status == "failed"
    assert message == "unexpected RuntimeError: registry connection reset"


def _executor(url: str, log: Path, **env: str) -> subprocess.Popen[bytes]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONING_")}
    values.update(
        {
            "PROVISIONING_DATABASE_URL": url,
            "PROVISIONING_EXECUTOR_POLL_SECONDS": "0.2",
            **env,
        }
    )
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "provisioning.cli", "executor"],
            env=values,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_for(db: Conn, sql: str, expected: object, timeout: float = 60.0, **params: Any) -> None:
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = scalar(db, sql, params)
        if value == expected:
            return
        time.sleep(0.1)
    raise AssertionError(f"{sql!r} stayed {value!r}, expected {expected!r}")


def blocked_by(db: Conn, pid: int, application_name: str) -> int:
    """How many sessions of ``application_name`` (a prefix) wait for a lock ``pid`` holds."""
    return int(
        scalar(
            db,
            "SELECT count(*) FROM pg_stat_activity WHERE %(pid)s = ANY(pg_blocking_pids(pid))"
            " AND starts_with(application_name, %(app)s)",
            {"pid": pid, "app": application_name},
        )
    )


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.slow
def test_an_executor_killed_after_the_backend_acted_and_before_reporting_has_one_effect(
    db: Conn,
    provisioning_db: str,
    sandbox: SandboxBackend,  # its schema installed, to be watched from the start
    processes: list[subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    """Killed between the registry's commit and the job's report, the executor loses its
    lease; the job runs again, and the registry answers the rerun with the first run's
    recorded result instead of registering the name twice."""
    row = insert_provision(db, "provision_domain", name="survivor.com")
    job_id, client_ref = row["job_id"], str(row["id"])
    lease = {"PROVISIONING_EXECUTOR_LEASE_SECONDS": "2"}
    with psycopg.connect(provisioning_db) as holder:
        # Completing the job writes its outcome row: while this transaction holds the
        # outbox, the executor's report of the job cannot commit, whatever came before it.
        holder.execute("LOCK TABLE outbox IN SHARE MODE")
        first = _executor(provisioning_db, tmp_path / "first.log", **lease)
        processes.append(first)
        # the backend acted: the sandbox committed the registration and its result...
        wait_for(
            db,
            "SELECT count(*) FROM sandbox.transaction"
            " WHERE client_ref = %(ref)s AND result IS NOT NULL",
            1,
            ref=client_ref,
        )
        # ...and the executor is reporting it: its completion waits for the outbox
        wait_until(
            lambda: blocked_by(db, holder.info.backend_pid, "provisioning-executor:") == 1,
            "the executor's report to wait for the outbox",
        )
        job = fetch_one(
            db, "SELECT attempts, lease_owner FROM job WHERE id = %(id)s", {"id": job_id}
        )
        assert job["attempts"] == 1
        assert status_of(db, "provision_domain", row["id"])[0] == "processing"
        recorded = scalar(
            db, "SELECT result FROM sandbox.transaction WHERE client_ref = %(r)s", {"r": client_ref}
        )
        first.send_signal(signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
        # A dead client's session runs its last statement to the end before the server
        # notices the closed socket: end the dead executor's sessions, as its host going
        # away would, so that its report cannot commit once the outbox is free.
        scalar(
            db,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE starts_with(application_name, %(app)s)",
            {"app": f"provisioning-executor:{job['lease_owner']}"},
        )
        wait_for(
            db,
            "SELECT count(*) FROM pg_stat_activity WHERE starts_with(application_name, %(app)s)",
            0,
            app=f"provisioning-executor:{job['lease_owner']}",
        )
        holder.rollback()

    processes.append(_executor(provisioning_db, tmp_path / "second.log", **lease))
    wait_for(
        db,
        "SELECT s.is_final FROM provision_domain p JOIN provision_status s ON s.id = p.status_id"
        " WHERE p.id = %(id)s",
        True,
        timeout=30,
        id=row["id"],
    )
    assert status_of(db, "provision_domain", row["id"]) == ("completed", None)
    done = fetch_one(
        db,
        "SELECT attempts, lease_owner, result_data FROM job WHERE id = %(id)s",
        {"id": job_id},
    )
    assert done["attempts"] == 2
    assert done["lease_owner"] not in (None, job["lease_owner"])
    # one registration at the backend, one transaction for the client_ref...
    assert scalar(db, "SELECT count(*) FROM sandbox.domain WHERE name = 'survivor.com'") == 1
    assert scalar(db, "SELECT count(*) FROM sandbox.transaction") == 1
    # ...and the rerun was answered with what the first run recorded
    assert done["result_data"] == recorded
    assert scalar(db, "SELECT roid FROM domain WHERE name = 'survivor.com'") == recorded["roid"]
    assert scalar(db, "SELECT count(*) FROM outbox") == 1


class ReclaimCountingWorker(Worker):
    """A worker that counts its passes looking for expired leases."""

    reclaim_passes = 0

    def _reclaim(self) -> None:
        super()._reclaim()
        self.reclaim_passes += 1


def test_a_job_running_longer_than_its_lease_is_kept_by_its_heartbeats(
    db: Conn, provisioning_db: str, sandbox: SandboxBackend
) -> None:
    lease = 1.5
    started, release = threading.Event(), threading.Event()
    runs: list[str] = []

    def holding(job: Job, backend: Backend) -> dict[str, Any]:
        runs.append("holder")
        started.set()
        assert release.wait(120)
        return {"roid": f"D-{job.id}"}

    def other(job: Job, backend: Backend) -> dict[str, Any]:
        runs.append("other")
        return {"roid": f"D-{job.id}"}

    row = insert_provision(db, "provision_domain", name="long-runner.com")
    settings = settings_for(provisioning_db, executor_lease_seconds=lease)
    holder = Worker(settings, sandbox, handlers={"provision_domain": holding})
    watcher = ReclaimCountingWorker(settings, sandbox, handlers={"provision_domain": other})
    threads = [threading.Thread(target=w.run) for w in (holder, watcher)]
    try:
        threads[0].start()
        assert started.wait(30)
        threads[1].start()  # another executor, reclaiming expired leases every poll
        claimed = scalar(
            db, "SELECT claimed_date FROM job WHERE id = %(id)s", {"id": row["job_id"]}
        )
        # the job runs past three times its lease (by the database's clock)...
        wait_for(
            db,
            "SELECT now() > %(claimed)s + 3 * %(lease)s * INTERVAL '1 second'",
            True,
            claimed=claimed,
            lease=lease,
        )
        # ...and the other executor looked for expired leases after that, twice
        passes = watcher.reclaim_passes
        wait_until(lambda: watcher.reclaim_passes >= passes + 2, "two more reclaim passes")
        job = fetch_one(
            db,
            "SELECT attempts, lease_owner, lease_expires_at > now() AS held,"
            " lease_expires_at > claimed_date + %(lease)s * INTERVAL '1 second' AS extended"
            " FROM job WHERE id = %(id)s",
            {"id": row["job_id"], "lease": lease},
        )
        assert job == {"attempts": 1, "lease_owner": holder.owner, "held": True, "extended": True}
        release.set()
        wait_for(
            db,
            "SELECT status_id = tc_id_from_name('provision_status', 'completed')"
            " FROM provision_domain WHERE id = %(id)s",
            True,
            id=row["id"],
        )
    finally:
        release.set()
        for worker in (holder, watcher):
            worker.stop()
        for thread in threads:
            if thread.ident is not None:  # started
                thread.join(30)
    assert runs == ["holder"]  # one run, never reclaimed nor taken by the other executor
    assert scalar(db, "SELECT attempts FROM job WHERE id = %(id)s", {"id": row["job_id"]}) == 1
    assert holder.stats.counts["completed"] == 1
    assert holder.stats.counts["reclaimed"] + watcher.stats.counts["reclaimed"] == 0


@pytest.mark.slow
def test_two_executor_processes_run_a_thousand_jobs_exactly_once(
    db: Conn, provisioning_db: str, processes: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    with psycopg.connect(provisioning_db) as conn:
        conn.execute(  # a thousand domain creates, as ingest would write them
            "INSERT INTO provision_domain (request_id, tenant_customer_id, accreditation_id, name)"
            " SELECT gen_random_uuid(), '30000000-0000-4000-8000-000000000001',"
            " accreditation_id_from_name(%(acc)s), 'bulk-' || i || '.com'"
            " FROM generate_series(1, 1000) AS i",
            {"acc": ALPHA_REGISTRY},
        )
    processes += [_executor(provisioning_db, tmp_path / f"exec-{i}.log") for i in range(2)]
    wait_for(
        db,
        "SELECT count(*) FROM provision_domain p JOIN provision_status s"
        " ON s.id = p.status_id WHERE s.name = 'completed'",
        1000,
        timeout=120,
    )
    for proc in processes:
        proc.send_signal(signal.SIGTERM)
    for proc in processes:
        assert proc.wait(30) == 0
    attempts = Counter(row["attempts"] for row in fetch_all(db, "SELECT attempts FROM job"))
    assert attempts == Counter({1: 1000})  # every job ran once
    owners = {row["lease_owner"] for row in fetch_all(db, "SELECT lease_owner FROM job")}
    assert len(owners) == 2  # both executors took a share
    assert scalar(db, "SELECT count(*) FROM sandbox.transaction") == 1000
    assert scalar(db, "SELECT count(*) FROM sandbox.domain") == 1000


def test_sigterm_lets_jobs_in_flight_finish(
    db: Conn, provisioning_db: str, sandbox: SandboxBackend
) -> None:
    started, release = threading.Event(), threading.Event()

    def held(job: Job, backend: Backend) -> dict[str, Any]:
        started.set()
        assert release.wait(30)
        return {"roid": f"D-{job.data['name']}"}

    row = insert_provision(db, "provision_domain", name="draining.com")
    worker = Worker(
        settings_for(provisioning_db), sandbox, handlers={**HANDLERS, "provision_domain": held}
    )
    runner = threading.Thread(target=worker.run)
    runner.start()
    try:
        assert started.wait(10)
        worker.stop()  # what SIGTERM does, while the job is in flight
        assert status_of(db, "provision_domain", row["id"])[0] == "processing"
    finally:
        release.set()
        runner.join(10)
    assert not runner.is_alive()
    status, _ = status_of(db, "provision_domain", row["id"])
    assert status == "completed"
    assert worker.stats.counts["completed"] == 1


def test_a_result_the_database_refuses_fails_the_job_and_the_executor_goes_on(
    db: Conn, provisioning_db: str, sandbox: SandboxBackend
) -> None:
    """A backend's answer PostgreSQL cannot store (a NUL in JSON) is the job's problem."""

    def answers_with_nul(job: Job, backend: Backend) -> dict[str, Any]:
        return {"registry_message": "ok\x00 but not storable"}

    broken = insert_provision(db, "provision_host", name="ns1.refused.info")
    handlers = {**HANDLERS, "provision_host": answers_with_nul}
    stats = run_until_idle(provisioning_db, sandbox, handlers=handlers)
    status, message = status_of(db, "provision_host", broken["id"])
    assert status == "failed"
    assert message is not None
    assert "could not be recorded" in message
    assert stats.counts["failed"] == 1
    # and it keeps running the others
    fine = insert_provision(db, "provision_host", name="ns2.fine.info")
    run_until_idle(provisioning_db, sandbox)
    assert status_of(db, "provision_host", fine["id"]) == ("completed", None)


def test_jobs_finishing_together_complete_in_one_statement_and_a_refused_one_alone(
    db: Conn, provisioning_db: str, sandbox: SandboxBackend
) -> None:
    """Batch completion; when the database refuses one result, the others still complete."""
    names = [f"ns{i}.batch.info" for i in range(12)]

    def answers(job: Job, backend: Backend) -> dict[str, Any]:
        if job.data["name"] == names[5]:
            return {"registry_message": "not\x00storable"}
        return {"roid": f"H-{job.data['name']}"}

    rows = [insert_provision(db, "provision_host", name=name) for name in names]
    handlers = {**HANDLERS, "provision_host": answers}
    stats = run_until_idle(provisioning_db, sandbox, handlers=handlers)

    statuses = [status_of(db, "provision_host", row["id"])[0] for row in rows]
    assert statuses == ["completed"] * 5 + ["failed"] + ["completed"] * 6
    assert stats.counts["completed"] == 11
    assert stats.counts["failed"] == 1


def test_results_in_hand_are_completed_in_one_statement(
    db: Conn, provisioning_db: str, sandbox: SandboxBackend
) -> None:
    rows = [insert_provision(db, "provision_host", name=f"ns{i}.together.info") for i in range(3)]
    worker = Worker(settings_for(provisioning_db), sandbox)
    jobs = worker._claim(10)
    assert len(jobs) == 3
    worker._report_all([(job, Result("complete", {"roid": f"H-{job.id}"})) for job in jobs])
    assert worker.stats.counts["batched_completions"] == 3
    assert worker.stats.counts["completed"] == 3
    assert [status_of(db, "provision_host", row["id"]) for row in rows] == [("completed", None)] * 3
    worker.drop_connection()


def test_a_busy_queue_completes_in_batches_bigger_than_the_concurrency(
    db: Conn, provisioning_db: str, sandbox: SandboxBackend
) -> None:
    """River's batch completer: results are held while claims keep coming back full."""
    rows = [insert_provision(db, "provision_host", name=f"ns{i}.busy.info") for i in range(80)]

    def answers(job: Job, backend: Backend) -> dict[str, Any]:
        return {"roid": f"H-{job.data['name']}"}

    settings = settings_for(
        provisioning_db, executor_complete_batch=20, executor_complete_delay_seconds=10
    )
    handlers = {**HANDLERS, "provision_host": answers}
    stats = Worker(settings, sandbox, handlers=handlers).run(until_idle=0.5)

    assert stats.counts["completed"] == 80
    # 4 handlers at a time, yet most statements completed 20 jobs (the last ones,
    # fewer; a lone result goes through job_complete)
    singles = 80 - stats.counts["batched_completions"]
    assert stats.counts["completion_statements"] + singles <= 80 // 20 + 2, dict(stats.counts)
    statuses = {status_of(db, "provision_host", row["id"]) for row in rows}
    assert statuses == {("completed", None)}


def test_a_queue_that_runs_dry_completes_at_once_without_waiting_for_a_batch(
    db: Conn, provisioning_db: str, sandbox: SandboxBackend
) -> None:
    """Light load: the claim comes back short, so a result is written with no hold, even
    while another handler is still running (so "nothing running" is not what sends it)."""
    release = threading.Event()

    def answers(job: Job, backend: Backend) -> dict[str, Any]:
        if job.data["name"].startswith("slow"):
            assert release.wait(30), "the slow handler was never released"
        return {"roid": f"H-{job.data['name']}"}

    settings = settings_for(
        provisioning_db, executor_complete_batch=100, executor_complete_delay_seconds=10
    )
    worker = Worker(settings, sandbox, handlers={**HANDLERS, "provision_host": answers})
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        slow = insert_provision(db, "provision_host", name="slow.alone.info")
        deadline = time.monotonic() + 8
        while status_of(db, "provision_host", slow["id"])[0] != "processing":
            assert time.monotonic() < deadline, "the slow job was not claimed"
            time.sleep(0.05)
        quick = insert_provision(db, "provision_host", name="ns1.alone.info")
        deadline = time.monotonic() + 8  # below the 10 s hold it must not wait for
        while status_of(db, "provision_host", quick["id"])[0] != "completed":
            assert time.monotonic() < deadline, "the completion was held"
            time.sleep(0.05)
        assert status_of(db, "provision_host", slow["id"])[0] == "processing"
    finally:
        release.set()
        worker.stop()
        thread.join(timeout=30)
    assert worker.stats.counts["completed"] == 2
