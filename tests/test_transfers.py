"""Pending transfers, the registry's new auth code, and the end of redemption (issue 16).

The sandbox's poll queues and decisions on their own, then the whole pipeline on
the real services: orders whose transfer goes pending and is approved or
rejected, the new auth code stored (and usable for the next transfer out) but
published nowhere, and a domain whose redemption ends registered again.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from executors.backends.base import (
    DomainInfo,
    ObjectNotFound,
    StatusProhibits,
    TransferMessage,
)
from executors.backends.sandbox import SandboxBackend
from executors.registry_poll import resolution as executor_resolution
from executors.worker import Worker
from producers.orders import Item, Plan, order_status, place_order
from producers.requests import RequestProducer
from provisioning import cli
from provisioning.settings import Settings
from tests.conftest import TopicFactory, unique_name
from tests.db.helpers import ALICE, CAROL, Conn, fetch_all, fetch_one, scalar
from tests.services import Services
from tests.test_pipeline import Components, start_pipeline, wait_final

US = "alpha-registry"
THEM = "other-registrar"


def _ref() -> str:
    return str(uuid.uuid4())


def _wait(condition: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not in time: {what}")


def _seed(sandbox: SandboxBackend, name: str, code: str) -> DomainInfo:
    return sandbox.seed_foreign_domain(name, THEM, code, datetime.now(UTC) + timedelta(days=200))


# --- the sandbox: pending transfers and the poll queues ------------------------------


@pytest.mark.postgres
def test_a_pending_transfer_is_decided_and_announced_in_both_poll_queues(
    provisioning_db: str,
) -> None:
    suffix = uuid.uuid4().hex[:8]
    approved, rejected, cancelled, auto = (
        f"{kind}-{suffix}.com" for kind in ("yes", "no", "never", "auto")
    )
    with SandboxBackend(provisioning_db, transfer_pending_seconds=3600) as sandbox:
        for name in (approved, rejected, cancelled, auto):
            _seed(sandbox, name, "Old-Code-1")
        client_ref = _ref()
        pending = sandbox.transfer_domain(
            registrar=US, client_ref=client_ref, name=approved, auth_info="Old-Code-1", period=1
        )
        assert pending.pending
        assert "pendingTransfer" in pending.statuses
        assert pending.auth_info is None
        # a retry returns the same answer; a second request is refused while it waits
        assert (
            sandbox.transfer_domain(
                registrar=US, client_ref=client_ref, name=approved, auth_info="Old-Code-1", period=1
            )
            == pending
        )
        with pytest.raises(StatusProhibits, match="pending transfer") as refused:
            sandbox.transfer_domain(
                registrar=US, client_ref=_ref(), name=approved, auth_info="Old-Code-1", period=1
            )
        assert refused.value.code == 2300
        for name in (rejected, cancelled):
            sandbox.transfer_domain(
                registrar=US, client_ref=_ref(), name=name, auth_info="Old-Code-1", period=1
            )

        assert sandbox.decide_transfer(approved, "approve") == "clientApproved"
        assert sandbox.decide_transfer(rejected, "reject") == "clientRejected"
        assert sandbox.decide_transfer(cancelled, "cancel") == "clientCancelled"
        with pytest.raises(ObjectNotFound):
            sandbox.decide_transfer(approved, "reject")

        ours = sandbox.poll_transfers(registrar=US)
        assert [(m.name, m.status) for m in ours] == [
            (approved, "pending"),
            (rejected, "pending"),
            (cancelled, "pending"),
            (approved, "clientApproved"),
            (rejected, "clientRejected"),
            (cancelled, "clientCancelled"),
        ]
        done = ours[3]
        assert done.approved
        assert done.domain is not None
        assert done.domain.auth_info not in (None, "Old-Code-1")
        theirs = sandbox.poll_transfers(registrar=THEM)
        assert [m.status for m in theirs][3:] == [m.status for m in ours][3:]
        assert all(m.domain is None for m in theirs)  # the loser learns no new code

        for message in ours:
            sandbox.ack_transfer_message(registrar=US, message_id=message.id)
        sandbox.ack_transfer_message(registrar=US, message_id=ours[0].id)  # idempotent
        assert sandbox.poll_transfers(registrar=US) == []

        # nobody decides: the server approves once the delay is over
        sandbox.transfer_pending_seconds = 0.2
        sandbox.transfer_domain(
            registrar=US, client_ref=_ref(), name=auto, auth_info="Old-Code-1", period=1
        )
        time.sleep(0.3)
        statuses = [m.status for m in sandbox.poll_transfers(registrar=US) if m.name == auto]
        assert statuses == ["pending", "serverApproved"]
        # what the executors make of the messages
        final = sandbox.poll_transfers(registrar=US)[-1]
        resolution = executor_resolution(final)
        assert resolution is not None
        assert resolution[0] == "approved"
        assert resolution[1]["auth_info"] == final.domain.auth_info if final.domain else False


@pytest.mark.postgres
def test_the_operator_decides_a_pending_transfer_from_the_command_line(
    provisioning_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}.com"
    with SandboxBackend(provisioning_db, transfer_pending_seconds=3600) as sandbox:
        _seed(sandbox, name, "Old-Code-3")
        sandbox.transfer_domain(
            registrar=US, client_ref=_ref(), name=name, auth_info="Old-Code-3", period=1
        )
    monkeypatch.setenv("PROVISIONING_DATABASE_URL", provisioning_db)
    assert cli.main(["sandbox", "transfer", "reject", name]) == 0
    assert capsys.readouterr().out == f"transfer of {name}: clientRejected\n"
    assert cli.main(["sandbox", "transfer", "approve", name]) == 1  # nothing pending any more
    assert "has no pending transfer" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        cli.main(["sandbox", "transfer", "maybe", name])
    assert usage.value.code == 2


@pytest.mark.postgres
def test_an_immediate_transfer_returns_the_registrys_new_auth_code(provisioning_db: str) -> None:
    name = f"now-{uuid.uuid4().hex[:8]}.com"
    with SandboxBackend(provisioning_db) as sandbox:
        _seed(sandbox, name, "Old-Code-2")
        moved = sandbox.transfer_domain(
            registrar=US, client_ref=_ref(), name=name, auth_info="Old-Code-2", period=1
        )
        assert not moved.pending
        assert moved.auth_info is not None
        assert moved.auth_info != "Old-Code-2"
        assert "auth_info" not in moved.to_result()  # a secret only when asked for
        assert moved.to_result(secrets=True)["auth_info"] == moved.auth_info


class _BrokenPoll(SandboxBackend):
    """A registry whose poll queue fails with a bug, not a BackendError."""

    def poll_transfers(self, *, registrar: str) -> list[TransferMessage]:
        raise RuntimeError(f"poll of {registrar} broke")


@pytest.mark.postgres
def test_a_failing_poll_is_logged_and_the_executor_runs_on(provisioning_db: str) -> None:
    settings = Settings(
        database_url=provisioning_db,
        executor_poll_seconds=0.1,
        executor_registry_poll_seconds=0.1,
    )
    with _BrokenPoll(provisioning_db) as backend:
        stats = Worker(settings, backend).run(until_idle=0.5)
    assert stats.counts["poll_errors"] >= 2  # every registry accreditation, every round


# --- the pipeline ----------------------------------------------------------------------


@pytest.fixture
def settings(services: Services, provisioning_db: str, make_topic: TopicFactory) -> Settings:
    return Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,
        topic_orders=make_topic(partitions=2, prefix="orders"),
        topic_actions=make_topic(partitions=2, prefix="actions"),
        topic_outcomes=make_topic(partitions=2, prefix="outcomes"),
        group_ingest=unique_name("ingest"),
        group_order_service=unique_name("orders"),
        executor_poll_seconds=0.2,
        executor_backoff_seconds=0.1,
        executor_registry_poll_seconds=0.3,
        kafka_session_timeout_ms=6000,
    )


@pytest.fixture
def sandbox(provisioning_db: str) -> Iterator[SandboxBackend]:
    with SandboxBackend(provisioning_db, transfer_pending_seconds=3600) as backend:
        yield backend


@pytest.fixture
def pipeline(settings: Settings, sandbox: SandboxBackend) -> Iterator[Components]:
    components = start_pipeline(settings, sandbox)
    yield components
    components.stop_all()


def _transfer_order(db: Conn, name: str, code: str) -> Any:
    item = Item(
        "domain",
        "transfer_in",
        name,
        [Plan("provision_domain_transfer", {"name": name, "pw": code})],
    )
    return place_order(db, tenant_customer_id=ALICE, accreditation=US, items=[item])


def _outcomes(db: Conn, request_id: uuid.UUID) -> list[dict[str, Any]]:
    return fetch_all(
        db,
        "SELECT status, result_message, result_data, sent_date FROM outbox"
        " WHERE request_id = %(r)s ORDER BY id",
        {"r": request_id},
    )


def _provision_status(db: Conn, request_id: uuid.UUID) -> str | None:
    """The transfer's provision status; None before ingest recorded it."""
    rows = fetch_all(
        db,
        "SELECT s.name FROM provision_domain_transfer p"
        " JOIN provision_status s ON s.id = p.status_id WHERE p.request_id = %(r)s",
        {"r": request_id},
    )
    return str(rows[0]["name"]) if rows else None


def _send(
    settings: Settings, action: str, tenant: uuid.UUID, accreditation: str, **payload: Any
) -> uuid.UUID:
    request = {
        "action": action,
        "tenant_customer_id": tenant,
        "accreditation": accreditation,
        "payload": payload,
    }
    with RequestProducer(settings) as producer:
        request_id = uuid.UUID(producer.send(request))
        producer.flush()
    return request_id


def _final_outcome(db: Conn, request_id: uuid.UUID, timeout: float = 60.0) -> tuple[str, str]:
    """(status, result_message) of the request's final outcome, once it is written."""

    def final() -> tuple[str, str] | None:
        rows = [r for r in _outcomes(db, request_id) if r["status"] in ("completed", "failed")]
        return (str(rows[0]["status"]), str(rows[0]["result_message"])) if rows else None

    found: tuple[str, str] = _wait(final, f"the final outcome of {request_id}", timeout)
    return found


@pytest.mark.kafka
@pytest.mark.slow
def test_pending_transfers_approved_and_rejected_with_their_orders_following(
    db: Conn,
    settings: Settings,
    sandbox: SandboxBackend,
    pipeline: Components,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    suffix = uuid.uuid4().hex[:8]
    yes, no = f"yes-{suffix}.com", f"no-{suffix}.com"
    old_code = "Old-Code-Known-1"
    _seed(sandbox, yes, old_code)
    _seed(sandbox, no, old_code)
    orders = {name: _transfer_order(db, name, old_code) for name in (yes, no)}
    requests = {name: order.request_ids[0] for name, order in orders.items()}

    # the registry answers "pending": the provisions wait, an outcome says so, the
    # orders keep waiting
    def published(request_id: uuid.UUID) -> Callable[[], bool]:
        return lambda: any(o["sent_date"] for o in _outcomes(db, request_id))

    for name, request_id in requests.items():
        _wait(published(request_id), f"the pending_action outcome of {name} published")
        assert [o["status"] for o in _outcomes(db, request_id)] == ["pending_action"]
        assert _provision_status(db, request_id) == "pending_action"
        assert order_status(db, orders[name].order_id)["status"] == "processing"
    pending = _outcomes(db, requests[yes])[0]
    assert pending["result_data"]["pending"] is True

    # the losing registrar decides; the executors read it from the poll queue
    assert sandbox.decide_transfer(yes, "approve") == "clientApproved"
    assert sandbox.decide_transfer(no, "reject") == "clientRejected"
    statuses = wait_final(db, [orders[yes].order_id, orders[no].order_id], timeout=60)
    assert statuses == {str(orders[yes].order_id): "successful", str(orders[no].order_id): "failed"}
    assert [o["status"] for o in _outcomes(db, requests[yes])] == ["pending_action", "completed"]
    assert [o["status"] for o in _outcomes(db, requests[no])] == ["pending_action", "failed"]
    rejected = order_status(db, orders[no].order_id)["plans"][0]
    assert "clientRejected" in rejected["result_message"]
    assert scalar(db, "SELECT count(*) FROM domain WHERE name = %(n)s", {"n": no}) == 0

    # the domain row holds the registry's new code, not the one used ...
    held = fetch_one(db, "SELECT * FROM domain WHERE name = %(n)s", {"n": yes})
    registry_code = scalar(
        db, "SELECT auth_info FROM sandbox.domain WHERE name = %(n)s", {"n": yes}
    )
    assert held["tenant_customer_id"] == ALICE
    assert held["auth_info"] == registry_code != old_code
    assert held["roid"] is not None
    assert held["ry_transfered_date"] is not None
    # ... published nowhere: outcomes, job results, provisions' results, the audit log
    places = {
        "outbox": str(fetch_all(db, "SELECT * FROM outbox")),
        "jobs": str(fetch_all(db, "SELECT result_message, result_data FROM job")),
        "provisions": str(fetch_all(db, "SELECT result_message, result_data FROM class.provision")),
        "audit log": str(fetch_all(db, "SELECT old_value, new_value FROM audit_trail_log")),
        "logs": "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records),
        "plans": str(
            fetch_all(db, "SELECT result_message, result_data FROM orders.order_item_plan")
        ),
    }
    assert {where: registry_code in text for where, text in places.items()} == dict.fromkeys(
        places, False
    )

    # the stored code is the one the next transfer out needs: to another registrar here
    sandbox.transfer_pending_seconds = 0
    away = _send(
        settings,
        "provision_domain_transfer",
        CAROL,
        "beta-registry",
        name=yes,
        pw=held["auth_info"],
    )
    assert _final_outcome(db, away)[0] == "completed"
    moved = fetch_one(db, "SELECT * FROM domain WHERE name = %(n)s", {"n": yes})
    assert moved["tenant_customer_id"] == CAROL
    assert moved["auth_info"] not in (held["auth_info"], None)
    assert moved["auth_info"] == scalar(
        db, "SELECT auth_info FROM sandbox.domain WHERE name = %(n)s", {"n": yes}
    )
    # alpha-registry's poll queue says it lost the domain: the row beta holds now stays
    assert (
        scalar(
            db, "SELECT count(*) FROM domain WHERE name = %(n)s AND status <> 'deleted'", {"n": yes}
        )
        == 1
    )

    # a registrar outside this database takes it away: beta-registry's poll queue says
    # so, and the domain leaves this database, its auth code forgotten
    sandbox.transfer_domain(
        registrar=THEM, client_ref=_ref(), name=yes, auth_info=moved["auth_info"], period=1
    )
    gone = _wait(
        lambda: next(
            iter(
                fetch_all(
                    db, "SELECT * FROM domain WHERE name = %(n)s AND status = 'deleted'", {"n": yes}
                )
            ),
            None,
        ),
        "the domain transferred away leaving this database",
    )
    assert gone["id"] == moved["id"]
    assert gone["auth_info"] is None
    assert gone["ry_transfered_date"] is not None
    assert gone["ry_transfered_date"] == gone["deleted_date"]
    assert scalar(db, "SELECT registrar FROM sandbox.domain WHERE name = %(n)s", {"n": yes}) == THEM


@pytest.mark.kafka
@pytest.mark.slow
def test_a_domain_whose_redemption_ends_can_be_registered_again_but_not_restored(
    db: Conn, settings: Settings, sandbox: SandboxBackend, pipeline: Components
) -> None:
    name = f"gone-{uuid.uuid4().hex[:8]}.com"

    def act(action: str, **payload: Any) -> tuple[str, str]:
        return _final_outcome(db, _send(settings, action, ALICE, US, name=name, **payload))

    assert act("provision_domain")[0] == "completed"
    status, message = act("provision_domain_restore")  # before the window: not deleted
    assert (status, "is not in redemption" in message) == ("failed", True)
    assert act("provision_domain_delete")[0] == "completed"
    assert scalar(db, "SELECT status FROM domain WHERE name = %(n)s", {"n": name}) == "redemption"
    status, message = act("provision_domain")
    assert (status, "already registered" in message) == ("failed", True)

    # the redemption period ends (at the registry, and as the domain row knows it)
    ended = sandbox.end_redemption_now(name)
    db.execute(
        "UPDATE domain SET redemption_end_date = %(e)s"
        " WHERE name = %(n)s AND status = 'redemption'",
        {"e": ended, "n": name},
    )
    status, message = act("provision_domain_restore")  # after the window
    assert status == "failed"
    assert "redemption period" in message or "not registered here" in message, message
    _wait(
        lambda: (
            scalar(
                db,
                "SELECT count(*) FROM domain WHERE name = %(n)s AND status <> 'deleted'",
                {"n": name},
            )
            == 0
        ),
        "the executors end the redemption",
    )
    assert act("provision_domain")[0] == "completed"  # the name is free again
    rows = fetch_all(
        db, "SELECT status FROM domain WHERE name = %(n)s ORDER BY created_date", {"n": name}
    )
    assert [r["status"] for r in rows] == ["deleted", "ok"]


@pytest.mark.kafka
@pytest.mark.slow
def test_transfer_cancel_and_reject_requests(
    db: Conn, settings: Settings, sandbox: SandboxBackend, pipeline: Components
) -> None:
    suffix = uuid.uuid4().hex[:8]
    incoming, ours = f"in-{suffix}.com", f"ours-{suffix}.com"

    def decide(name: str, op: str) -> uuid.UUID:
        return _send(settings, "provision_domain_transfer_action", ALICE, US, name=name, op=op)

    # cancel (gaining registrar): the transfer in waiting for approval, and its order, fail
    _seed(sandbox, incoming, "Old-Code-Known-2")
    order = _transfer_order(db, incoming, "Old-Code-Known-2")
    _wait(
        lambda: _provision_status(db, order.request_ids[0]) == "pending_action",
        "the transfer goes pending",
    )
    cancel = decide(incoming, "cancel")
    assert _final_outcome(db, cancel)[0] == "completed"
    assert wait_final(db, [order.order_id], timeout=60) == {str(order.order_id): "failed"}
    plan = order_status(db, order.order_id)["plans"][0]
    assert plan["result_message"] == f"transfer cancelled by request {cancel}"
    registrar = "SELECT registrar FROM sandbox.domain WHERE name = %(n)s"
    assert scalar(db, registrar, {"n": incoming}) == THEM
    again = decide(incoming, "cancel")
    status, message = _final_outcome(db, again)
    assert (status, "is pending" in message) == ("failed", True)  # nothing left to cancel

    # reject (losing registrar): another registrar asks for a domain held here
    assert _final_outcome(db, _send(settings, "provision_domain", ALICE, US, name=ours))[0] == (
        "completed"
    )
    code = scalar(db, "SELECT auth_info FROM domain WHERE name = %(n)s", {"n": ours})
    asked = sandbox.transfer_domain(
        registrar=THEM, client_ref=_ref(), name=ours, auth_info=code, period=1
    )
    assert asked.pending
    reject = decide(ours, "reject")
    assert _final_outcome(db, reject) == ("completed", "None")
    transfer = fetch_one(db, "SELECT status FROM sandbox.transfer WHERE name = %(n)s", {"n": ours})
    assert transfer["status"] == "clientRejected"
    assert scalar(db, registrar, {"n": ours}) == US
    status, message = _final_outcome(db, decide(ours, "reject"))
    assert (status, "no transfer" in message) == ("failed", True)  # the registry: none pending
