"""The EPP backend against the EPP front of the sandbox, over real TLS on loopback.

One front (``executors/epp/server.py``) serves the whole session, on its own
sandbox database; every frame the client sends is validated against the RFC
schemas by the client's frame hook, and every frame the front receives or
sends by the front (a test fails when the front recorded an invalid one).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from psycopg.rows import dict_row

from executors import registry_poll
from executors.backends import backend_from_settings
from executors.backends.base import (
    TRANSFER_STATUSES,
    BackendError,
    DomainInfo,
    NotAuthorized,
    ObjectExists,
    ObjectNotFound,
    PolicyError,
    StatusProhibits,
    TransferMessage,
    TransientBackendError,
)
from executors.backends.epp import EppBackend, add_years
from executors.backends.routing import RoutingBackend
from executors.backends.sandbox import SandboxBackend
from executors.epp import frames, schema
from executors.epp.server import EppFront, Faults, _Connection, _trn_data
from executors.registry_poll import resolution
from producers.orders import Contact, Item, Plan, domain_item, order_status, place_order
from provisioning.settings import EppServer, Settings
from tests.conftest import unique_name
from tests.db.helpers import ALICE, Conn, fetch_all, scalar
from tests.services import Services
from tests.test_pipeline import (  # noqa: F401 - the pipeline's settings fixture
    ROOT,
    Components,
    settings,
    start_pipeline,
    wait_final,
)

pytestmark = [pytest.mark.postgres]

USERS = {"alpha-registry": "alpha-pw-1", "beta-registry": "beta-pw-12"}
REGISTRAR = "alpha-registry"


def label() -> str:
    return f"e{uuid.uuid4().hex[:14]}"


@pytest.fixture(scope="session")
def front_db(services: Services, schema_template: str) -> Iterator[str]:
    """The sandbox database the front serves, for the whole session."""
    name = unique_name("epp")
    admin_url = services.postgres_url("postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{schema_template}"')
    yield services.postgres_url(name)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def epp_front(front_db: str) -> Iterator[EppFront]:
    sandbox = SandboxBackend(front_db)
    front = EppFront(sandbox, front_db, USERS, validate=True).start()
    yield front
    front.stop()
    sandbox.close()


@pytest.fixture(scope="session")
def ca_file(epp_front: EppFront, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("epp") / "front-ca.pem"
    path.write_text(epp_front.certificate_pem)
    return str(path)


@pytest.fixture
def front(epp_front: EppFront) -> Iterator[EppFront]:
    """The session's front with no faults; the test fails if any frame was invalid."""
    epp_front.reset_faults()
    epp_front.invalid_frames.clear()
    yield epp_front
    epp_front.reset_faults()
    assert epp_front.invalid_frames == []


def server(front: EppFront, ca_file: str, client_id: str = REGISTRAR, **extra: object) -> EppServer:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": front.port,
        "client_id": client_id,
        "password": USERS.get(client_id, "wrong-pw-1"),
        "ca_file": ca_file,
        "sessions": 2,
        "timeout_seconds": 5.0,
    }
    values.update(extra)
    return EppServer.model_validate(values)


def validating_backend(servers: dict[str, EppServer]) -> EppBackend:
    """Every frame the client sends goes through the RFC schemas first."""
    return EppBackend(servers, frame_hook=schema.validate)


@pytest.fixture
def epp(front: EppFront, ca_file: str) -> Iterator[EppBackend]:
    backend = validating_backend(
        {
            REGISTRAR: server(front, ca_file),
            "beta-registry": server(front, ca_file, "beta-registry"),
        }
    )
    yield backend
    backend.close()


def contact(handle: str) -> dict[str, object]:
    return {
        "handle": handle,
        "name": "Ann Example",
        "organization": "Example Ltd",
        "email": "ann@example.net",
        "phone": "+1.5555550100",
        "fax": None,
        "address": {
            "street": ["1 Main Street"],
            "city": "Springfield",
            "state_province": "IL",
            "postal_code": "62701",
            "country_code": "US",
        },
        "auth_info": None,
    }


def create(epp: EppBackend, name: str, **extra: object) -> DomainInfo:
    values: dict[str, object] = {
        "registrar": REGISTRAR,
        "client_ref": str(uuid.uuid4()),
        "name": name,
        "period": 1,
        "auth_info": "Secret-1234",
        "contacts": {},
        "nameservers": [],
    }
    values.update(extra)
    return epp.create_domain(**values)  # type: ignore[arg-type]


# --------------------------------------------------------------------- frames


@hypothesis_settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=400),
        st.text(max_size=400).map(str.encode),
        st.builds(
            lambda code, body, tail: (
                f'<epp xmlns="{frames.EPP}"><response><result code="{code}">'
                f"<msg>{body}</msg></result>{tail}</response></epp>"
            ).encode(),
            st.one_of(st.integers(-5, 99999).map(str), st.text(max_size=6)),
            st.text(max_size=30),
            st.sampled_from(["", "<trID><svTRID>abc</svTRID></trID>", "<resData/>", "<x"]),
        ),
    )
)
def test_any_answer_parses_or_is_a_protocol_error(data: bytes) -> None:
    for parse in (frames.parse_response, frames.parse_greeting):
        try:
            parsed = parse(data)
        except frames.ProtocolError as exc:
            error: frames.ProtocolError | None = exc
        else:
            error = None
            assert parsed is not None
        assert error is None or error.retryable


def test_a_response_names_its_error_class() -> None:
    def response(code: int) -> frames.Response:
        return frames.Response(code, "msg", "c-1", "s-1")

    cases = {
        2201: NotAuthorized,
        2302: ObjectExists,
        2303: ObjectNotFound,
        2306: PolicyError,
        2005: PolicyError,
        2400: TransientBackendError,
        2502: TransientBackendError,
    }
    for code, kind in cases.items():
        error = frames.error_for(response(code), "x")
        assert type(error) is kind
        assert error.code == code
    other = frames.error_for(response(2308), "x")
    assert type(other) is BackendError
    assert other.code == 2308
    assert not other.retryable


_LABELS = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
_HANDLES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{2,15}", fullmatch=True)


@hypothesis_settings(max_examples=100)
@given(
    _LABELS,
    st.integers(1, 10),
    st.lists(_LABELS, max_size=4),
    st.dictionaries(st.sampled_from(["admin", "tech", "billing"]), _HANDLES),
    st.text(st.characters(min_codepoint=33, max_codepoint=0x2FFF), min_size=1, max_size=30),
)
def test_the_commands_the_client_builds_are_schema_valid(
    name: str, period: int, hosts: list[str], contacts: dict[str, str], auth: str
) -> None:
    schema.validate(
        frames.domain_create(
            f"{name}.com",
            str(uuid.uuid4()),
            period=period,
            auth_info=auth,
            registrant="owner-1",
            contacts=contacts,
            nameservers=[f"ns.{h}.net" for h in hosts],
        )
    )
    changes = frames.DomainChanges(
        add_ns=[f"ns.{h}.org" for h in hosts],
        rem_contacts=list(contacts.items()),
        add_statuses=["clientHold"],
        registrant="",
        auth_info=auth,
    )
    schema.validate(frames.domain_update(f"{name}.com", "cl-1", changes=changes))
    schema.validate(frames.domain_update(f"{name}.com", "cl-1", restore=True))


_JUNK_COMMANDS = st.builds(
    lambda verb, obj, child, text: (
        f'<epp xmlns="{frames.EPP}"><command><{verb}>'
        f'<{obj}:{verb} xmlns:{obj}="urn:ietf:params:xml:ns:{obj}-1.0">'
        f"<{obj}:{child}>{text}</{obj}:{child}></{obj}:{verb}></{verb}>"
        "<clTRID>junk-1</clTRID></command></epp>"
    ).encode(),
    st.sampled_from(["check", "create", "info", "renew", "transfer", "delete", "update", "poll"]),
    st.sampled_from(["domain", "contact", "host", "other"]),
    st.sampled_from(["name", "id", "period", "curExpDate", "addr"]),
    st.text(st.characters(min_codepoint=48, max_codepoint=122), max_size=20),
)


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.one_of(st.binary(max_size=200), _JUNK_COMMANDS))
def test_the_front_answers_any_frame_with_a_valid_response(front: EppFront, data: bytes) -> None:
    answer, _ = front._handle(data, _Connection(registrar=REGISTRAR))
    assert answer is not None
    schema.validate(answer)
    front.invalid_frames.clear()  # the junk itself is invalid, on purpose


def test_an_invalid_frame_is_caught_by_the_schemas() -> None:
    frame = frames.login("x", "short", "cl-1")  # clID and pw below their minimum lengths
    with pytest.raises(schema.InvalidFrame):
        schema.validate(frame)


_CLIDS = st.from_regex(r"[a-z][a-z0-9-]{2,15}", fullmatch=True)
_MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1), timezones=st.just(UTC)
)


@hypothesis_settings(max_examples=50)
@given(
    st.integers(0, 10**6),
    st.integers(1, 10**9).map(str),
    _MOMENTS,
    st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF), max_size=40),
    _LABELS,
    st.sampled_from(sorted(TRANSFER_STATUSES)),
    _CLIDS,
    _CLIDS,
)
def test_a_poll_answer_is_read_back_as_its_queue_and_transfer(  # noqa: PLR0917
    count: int, msg_id: str, moment: datetime, text: str, name: str, status: str,
    gaining: str, losing: str,
) -> None:  # fmt: skip
    """What the front builds for a poll message is schema-valid, and the client's
    parsers read back the msgQ and the trnData it carries."""
    built = _trn_data(f"{name}.com", status, gaining, moment, losing, moment, moment)
    root = frames.epp_root()
    response = frames.sub(root, frames.EPP, "response")
    result = frames.sub(response, frames.EPP, "result", code="1301")
    frames.sub(result, frames.EPP, "msg", "ack to dequeue")
    msgq = frames.sub(response, frames.EPP, "msgQ", count=str(count), id=msg_id)
    frames.sub(msgq, frames.EPP, "qDate", frames.timestamp(moment))
    frames.sub(msgq, frames.EPP, "msg", text)
    built(response)
    trid = frames.sub(response, frames.EPP, "trID")
    frames.sub(trid, frames.EPP, "svTRID", "sv-123")
    data = frames.serialize(root)
    schema.validate(data)
    answer = frames.parse_response(data)
    assert answer.queue == frames.MessageQueue(count, msg_id, moment, text.strip())
    transfer = frames.transfer_data(answer, "poll")
    assert (transfer.name, transfer.status, transfer.gaining, transfer.losing) == (
        f"{name}.com", status, gaining, losing,
    )  # fmt: skip
    assert transfer.requested == transfer.action == transfer.expiry == moment
    for op in ("query", "cancel", "reject", "approve"):
        schema.validate(frames.domain_transfer_op(f"{name}.com", "cl-123", op))
    schema.validate(frames.poll("req", "cl-123"))
    schema.validate(frames.poll("ack", "cl-123", message_id=msg_id))


# ------------------------------------------------------------ backend vs front


def test_contact_hosts_domain_and_their_life_over_epp(epp: EppBackend, front: EppFront) -> None:
    handle = f"c-{uuid.uuid4().hex[:10]}"
    made = epp.create_contact(
        registrar=REGISTRAR, client_ref=str(uuid.uuid4()), contact=contact(handle)
    )
    assert made.handle == handle
    assert made.roid.endswith("-SANDBOX")
    zone = label()
    hosts = [f"ns1.{zone}.net", f"ns2.{zone}.net"]
    for host in hosts:
        info = epp.create_host(
            registrar=REGISTRAR,
            client_ref=str(uuid.uuid4()),
            name=host,
            addresses=["192.0.2.1", "2001:db8::1"],
        )
        assert info.name == host
    name = f"{label()}.com"
    assert epp.check_availability([name]) == {name: True}
    domain = create(
        epp, name, period=2, contacts={"registrant": handle, "admin": handle}, nameservers=hosts
    )
    assert domain.roid.endswith("-SANDBOX")
    assert domain.registrant == handle
    assert domain.admin_contact == handle
    assert sorted(domain.nameservers) == hosts
    assert epp.check_availability([name, name.upper()]) == {name: False, name.upper(): False}

    expiry = domain.expiry_date.date()
    renewed = epp.renew_domain(
        registrar=REGISTRAR,
        client_ref=str(uuid.uuid4()),
        name=name,
        period=1,
        current_expiry_date=expiry,
    )
    assert renewed.expiry_date.date() == add_years(expiry, 1)

    updated = epp.update_domain(
        registrar=REGISTRAR,
        client_ref=str(uuid.uuid4()),
        name=name,
        changes={
            "nameservers": hosts[:1],
            "contacts": {"admin": None, "tech": handle},
            "add_locks": ["clientTransferProhibited"],
        },
    )
    assert updated.nameservers == hosts[:1]
    assert updated.admin_contact is None
    assert updated.tech_contact == handle
    assert "clientTransferProhibited" in updated.statuses

    deleted = epp.delete_domain(registrar=REGISTRAR, client_ref=str(uuid.uuid4()), name=name)
    assert not deleted.purged
    assert deleted.redemption_end_date is not None
    assert deleted.redemption_end_date > datetime.now(UTC) + timedelta(days=29)
    restored = epp.restore_domain(
        registrar=REGISTRAR, client_ref=str(uuid.uuid4()), name=name, report=None
    )
    assert "pendingDelete" not in restored.statuses

    final = f"{label()}.net"  # .net has no redemption: a delete is final
    create(epp, final)
    assert epp.delete_domain(registrar=REGISTRAR, client_ref=str(uuid.uuid4()), name=final).purged
    assert front.answered["delete:domain 1000"] >= 1
    assert front.answered["delete:domain 1001"] >= 1


def test_refusals_arrive_as_their_error_classes(
    epp: EppBackend, front: EppFront, ca_file: str
) -> None:
    name = f"{label()}.com"
    create(epp, name)
    with pytest.raises(ObjectExists):
        create(epp, name, registrar="beta-registry")
    with pytest.raises(ObjectNotFound):
        epp.renew_domain(
            registrar=REGISTRAR, client_ref=str(uuid.uuid4()), name=f"{label()}.com", period=1,
            current_expiry_date=date.today(),
        )  # fmt: skip
    with pytest.raises(NotAuthorized):
        epp.transfer_domain(
            registrar="beta-registry",
            client_ref=str(uuid.uuid4()),
            name=name,
            auth_info="wrong",
            period=1,
        )
    with pytest.raises(PolicyError):  # a handle outside RFC 5730's clIDType never leaves
        create(epp, f"{label()}.com", contacts={"registrant": "x"})
    wrong = validating_backend({REGISTRAR: server(front, ca_file, password="not-the-pw")})
    try:
        with pytest.raises(BackendError) as refused:
            create(wrong, f"{label()}.com")
        assert refused.value.code == 2200
        assert not refused.value.retryable
    finally:
        wrong.close()


def test_a_transfer_completes_or_is_pending(epp: EppBackend, front: EppFront) -> None:
    name = f"{label()}.org"
    front.sandbox.seed_foreign_domain(
        name, "beta-registry", "Old-code-1", date.today() + timedelta(days=90)
    )
    moved = epp.transfer_domain(
        registrar=REGISTRAR,
        client_ref=str(uuid.uuid4()),
        name=name,
        auth_info="Old-code-1",
        period=1,
    )
    assert not moved.pending
    assert moved.auth_info
    assert moved.auth_info != "Old-code-1"
    assert moved.transfer_date is not None

    front.set_faults(transfer_pending=True)
    waiting = f"{label()}.org"
    front.sandbox.seed_foreign_domain(
        waiting, "beta-registry", "Old-code-2", date.today() + timedelta(days=90)
    )
    pending = epp.transfer_domain(
        registrar=REGISTRAR,
        client_ref=str(uuid.uuid4()),
        name=waiting,
        auth_info="Old-code-2",
        period=1,
    )
    assert pending.pending
    assert pending.auth_info is None
    assert front.answered["transfer:domain 1001"] >= 1
    with pytest.raises(ObjectExists):  # still the other registrar's
        create(epp, waiting)


@pytest.fixture
def pending(front: EppFront) -> Iterator[SandboxBackend]:
    """The front's sandbox keeps transfers pending (for an hour: the tests decide them)."""
    front.sandbox.transfer_pending_seconds = 3600
    yield front.sandbox
    front.sandbox.transfer_pending_seconds = 0


def read_queue(epp: EppBackend, registrar: str, limit: int = 50) -> list[TransferMessage]:
    """Every message of ``registrar``'s queue over EPP, each acknowledged once read."""
    read: list[TransferMessage] = []
    for _ in range(limit):
        head = epp.poll_transfers(registrar=registrar)
        if not head:
            return read
        assert len(head) == 1  # EPP shows the head of the queue only
        read.append(head[0])
        epp.ack_transfer_message(registrar=registrar, message_id=head[0].id)
    raise AssertionError(f"the queue of {registrar} does not empty")


def sandbox_code(front_db: str, name: str) -> str:
    with psycopg.connect(front_db) as conn:
        row = conn.execute(
            "SELECT auth_info FROM sandbox.domain WHERE name = %s", (name,)
        ).fetchone()
    assert row is not None
    return str(row[0])


def test_pending_transfers_decided_and_announced_over_epp(
    epp: EppBackend, front: EppFront, pending: SandboxBackend, front_db: str, provisioning_db: str
) -> None:
    """Alpha asks for two domains of beta's: 1001, pending. Beta rejects one over EPP,
    the operator approves the other; alpha's poll over EPP shows each message until it
    is acknowledged, the approval with the domain and its new auth code."""
    them = "beta-registry"
    yes, no = f"{label()}.com", f"{label()}.com"
    for name in (yes, no):
        pending.seed_foreign_domain(name, them, "Old-code-7", date.today() + timedelta(days=90))
    read_queue(epp, REGISTRAR)  # what earlier tests left
    read_queue(epp, them)
    answered = front.answered["transfer:domain 1001"]
    for name in (yes, no):
        asked = epp.transfer_domain(
            registrar=REGISTRAR,
            client_ref=str(uuid.uuid4()),
            name=name,
            auth_info="Old-code-7",
            period=1,
        )
        assert asked.pending
        assert asked.auth_info is None
    assert front.answered["transfer:domain 1001"] - answered == 2

    with pytest.raises(NotAuthorized):  # only the gaining registrar may cancel
        epp.transfer_domain_action(registrar=them, client_ref=str(uuid.uuid4()), name=no,
                                   op="cancel")  # fmt: skip
    rejected = epp.transfer_domain_action(
        registrar=them, client_ref=str(uuid.uuid4()), name=no, op="reject"
    )
    assert (rejected.name, rejected.status) == (no, "clientRejected")
    assert (rejected.gaining_registrar, rejected.losing_registrar) == (REGISTRAR, them)
    assert pending.decide_transfer(yes, "approve") == "clientApproved"

    head = epp.poll_transfers(registrar=REGISTRAR)
    assert epp.poll_transfers(registrar=REGISTRAR) == head  # shown until acknowledged
    messages = read_queue(epp, REGISTRAR)
    assert messages[0] == head[0]
    assert [(m.name, m.status) for m in messages] == [
        (yes, "pending"),
        (no, "pending"),
        (no, "clientRejected"),
        (yes, "clientApproved"),
    ]
    assert epp.poll_transfers(registrar=REGISTRAR) == []
    approval = messages[-1]
    assert approval.approved
    assert (approval.gaining_registrar, approval.losing_registrar) == (REGISTRAR, them)
    assert approval.domain is not None
    assert approval.domain.auth_info == sandbox_code(front_db, yes) != "Old-code-7"
    assert "auth" not in repr(approval)  # the code stays out of log lines
    assert all(m.domain is None for m in messages[:-1])
    assert all(m.message for m in messages)
    settled = resolution(approval)
    assert settled is not None
    assert settled[0] == "approved"
    assert settled[1]["auth_info"] == approval.domain.auth_info
    stale = front.answered["poll 2303"]
    epp.ack_transfer_message(registrar=REGISTRAR, message_id=messages[0].id)  # idempotent
    assert front.answered["poll 2303"] - stale == 1

    # the losing registrar is told too, with no code; the executors' registry poll
    # reads its queue, one message at a time over EPP, until it is empty
    first = epp.poll_transfers(registrar=them)
    assert [(m.status, m.domain) for m in first] == [("pending", None)]
    counts: Counter[str] = Counter()
    with psycopg.connect(provisioning_db, row_factory=dict_row) as conn:
        registry_poll.poll_transfers(conn, epp, them, counts)
    assert counts == Counter({"poll_messages": 4})
    assert epp.poll_transfers(registrar=them) == []


def test_a_pending_transfer_cancelled_over_epp_and_the_retry_reconciled(
    epp: EppBackend, front: EppFront, pending: SandboxBackend, front_db: str
) -> None:
    name = f"{label()}.org"
    pending.seed_foreign_domain(
        name, "beta-registry", "Old-code-8", date.today() + timedelta(days=90)
    )
    epp.transfer_domain(registrar=REGISTRAR, client_ref=str(uuid.uuid4()), name=name,
                        auth_info="Old-code-8", period=1)  # fmt: skip
    ref = str(uuid.uuid4())
    cancelled = epp.transfer_domain_action(registrar=REGISTRAR, client_ref=ref, name=name,
                                           op="cancel")  # fmt: skip
    assert cancelled.status == "clientCancelled"
    # the same clTRID again: the front answers from the sandbox's log ...
    again = epp.transfer_domain_action(registrar=REGISTRAR, client_ref=ref, name=name, op="cancel")
    assert again == cancelled
    # ... or, at a registry that does not deduplicate, 2301 and a transfer query
    front.set_faults(replay_by_trid=False)
    not_pending = front.answered["transfer:domain 2301"]
    retried = epp.transfer_domain_action(
        registrar=REGISTRAR, client_ref=ref, name=name, op="cancel"
    )
    assert front.answered["transfer:domain 2301"] - not_pending == 1
    assert (retried.status, retried.requested_date) == ("clientCancelled", cancelled.requested_date)
    with pytest.raises(StatusProhibits) as refused:  # nothing pending to reject
        epp.transfer_domain_action(
            registrar="beta-registry", client_ref=str(uuid.uuid4()), name=name, op="reject"
        )
    assert refused.value.code == 2301
    with psycopg.connect(front_db) as conn:
        row = conn.execute("SELECT registrar FROM sandbox.domain WHERE name = %s", (name,))
        assert row.fetchone() == ("beta-registry",)  # still theirs


def test_a_poll_message_that_is_not_a_readable_transfer_is_acked_and_skipped(
    epp: EppBackend, front: EppFront, front_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A message whose trnData the client cannot read (here a trStatus outside RFC
    5731) would hide every message behind it: it is acknowledged, logged, skipped."""
    read_queue(epp, REGISTRAR)
    now = datetime.now(UTC).isoformat()
    body = {
        "name": f"{label()}.com",
        "gaining_registrar": REGISTRAR,
        "losing_registrar": "beta-registry",
        "requested_date": now,
        "action_date": now,
    }
    with psycopg.connect(front_db) as conn:
        for status in ("somethingElse", "serverCancelled"):
            conn.execute(
                "INSERT INTO sandbox.message (registrar, body) VALUES (%s, %s)",
                (REGISTRAR, json.dumps({**body, "status": status})),
            )
    with caplog.at_level(logging.WARNING, logger="executors.backends.epp"):
        head = epp.poll_transfers(registrar=REGISTRAR)
    assert [m.status for m in head] == ["serverCancelled"]
    assert "acknowledged and skipped" in caplog.text
    assert [m.id for m in read_queue(epp, REGISTRAR)] == [head[0].id]
    assert front.invalid_frames  # the front was made to send a trStatus the schema rejects
    front.invalid_frames.clear()


class _StuckQueue:
    """A registry whose ack does not take: the same message, every time."""

    def __init__(self) -> None:
        self.polls = 0
        now = datetime.now(UTC)
        self.message = TransferMessage("7", "stuck.com", "pending", "x-reg", "y-reg", now, now)

    def poll_transfers(self, *, registrar: str) -> list[TransferMessage]:
        self.polls += 1
        return [self.message]

    def ack_transfer_message(self, *, registrar: str, message_id: str) -> None:
        pass


def test_the_registry_poll_stops_when_a_message_stays_after_its_ack() -> None:
    stuck, counts = _StuckQueue(), Counter[str]()
    registry_poll.poll_transfers(None, stuck, "x-reg", counts)  # type: ignore[arg-type]
    assert (stuck.polls, counts["poll_messages"]) == (2, 1)


def test_a_dropped_session_is_replaced_by_a_new_login(epp: EppBackend, front: EppFront) -> None:
    front.set_faults(drop_after=1)
    before = front.logins[REGISTRAR]
    names = [f"{label()}.com" for _ in range(4)]
    for name in names:
        assert epp.check_availability([name]) == {name: True}
    assert front.logins[REGISTRAR] - before >= 3


def test_a_2400_is_retryable_and_the_retry_acts_once(epp: EppBackend, front: EppFront) -> None:
    front.set_faults(fail_next=1)
    name = f"ns.{label()}.net"
    ref = str(uuid.uuid4())
    with pytest.raises(TransientBackendError) as failed:
        epp.create_host(registrar=REGISTRAR, client_ref=ref, name=name, addresses=["192.0.2.7"])
    assert failed.value.retryable
    assert failed.value.code == 2400
    first = epp.create_host(registrar=REGISTRAR, client_ref=ref, name=name, addresses=["192.0.2.7"])
    again = epp.create_host(registrar=REGISTRAR, client_ref=ref, name=name, addresses=["192.0.2.7"])
    assert first == again


def test_a_slow_answer_times_out_as_transient(front: EppFront, ca_file: str) -> None:
    backend = validating_backend({REGISTRAR: server(front, ca_file, timeout_seconds=0.4)})
    try:
        backend.check_availability([f"{label()}.com"])  # logged in
        front.set_faults(delay_seconds=1.0, delay_commands=("check:domain",))
        started = time.monotonic()
        with pytest.raises(TransientBackendError):
            backend.check_availability([f"{label()}.com"])
        assert time.monotonic() - started < 0.9
        front.reset_faults()
        name = f"{label()}.com"
        assert backend.check_availability([name]) == {name: True}  # a new session
    finally:
        backend.close()


def test_a_retried_create_is_reconciled_by_info(epp: EppBackend, front: EppFront) -> None:
    """Against a registry that does not deduplicate clTRIDs: the retry gets 2302,
    and domain:info shows the domain is ours with this request's auth code."""
    front.set_faults(replay_by_trid=False)
    name = f"{label()}.com"
    ref = str(uuid.uuid4())
    first = create(epp, name, client_ref=ref)
    retried = create(epp, name, client_ref=ref)
    assert retried == first
    assert front.answered["create:domain 2302"] >= 1
    with pytest.raises(ObjectExists):  # ours, but another request's auth code
        create(epp, name, auth_info="Other-code-9")
    handle = f"r-{uuid.uuid4().hex[:8]}"
    ref = str(uuid.uuid4())
    made = epp.create_contact(registrar=REGISTRAR, client_ref=ref, contact=contact(handle))
    assert epp.create_contact(registrar=REGISTRAR, client_ref=ref, contact=contact(handle)) == made


def test_idle_sessions_say_hello_and_close_logs_out(front: EppFront, ca_file: str) -> None:
    backend = validating_backend({REGISTRAR: server(front, ca_file, hello_seconds=0.2)})
    hellos, logouts = front.started["hello"], front.answered["logout 1500"]
    backend.check_availability([f"{label()}.com"])
    deadline = time.monotonic() + 5
    while front.started["hello"] - hellos < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    backend.close()
    assert front.started["hello"] - hellos >= 2
    assert front.answered["logout 1500"] - logouts == 1


def test_the_session_limit_is_respected(front: EppFront, ca_file: str) -> None:
    backend = validating_backend({REGISTRAR: server(front, ca_file, sessions=1)})
    front.set_faults(delay_seconds=0.2, delay_commands=("check:domain",))
    before = front.logins[REGISTRAR]
    errors: list[BaseException] = []

    def check() -> None:
        try:
            backend.check_availability([f"{label()}.com"])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=check) for _ in range(3)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    finally:
        backend.close()
    assert errors == []
    assert front.logins[REGISTRAR] - before == 1


def test_host_and_contact_changes_need_the_sandbox_to_have_them(
    epp: EppBackend, front: EppFront
) -> None:
    name = f"ns.{label()}.net"
    epp.create_host(
        registrar=REGISTRAR, client_ref=str(uuid.uuid4()), name=name, addresses=["192.0.2.9"]
    )
    if hasattr(front.sandbox, "update_host"):
        changed = epp.update_host(
            registrar=REGISTRAR, client_ref=str(uuid.uuid4()), name=name, addresses=["192.0.2.10"]
        )
        assert changed.name == name
    else:
        with pytest.raises(BackendError) as refused:
            epp.update_host(
                registrar=REGISTRAR,
                client_ref=str(uuid.uuid4()),
                name=name,
                addresses=["192.0.2.10"],
            )
        assert refused.value.code == 2101


def test_the_front_runs_as_a_command_with_faults_from_a_file(
    front_db: str, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    users, ca, faults = tmp_path / "users.json", tmp_path / "ca.pem", tmp_path / "faults.json"
    users.write_text(json.dumps({REGISTRAR: USERS[REGISTRAR]}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONING_")}
    env["PROVISIONING_DATABASE_URL"] = front_db
    command = [sys.executable, "-m", "provisioning.cli", "epp-front", "--port", "0"]
    command += ["--users-file", str(users), "--write-ca", str(ca), "--faults-file", str(faults)]
    command += ["--validate"]
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE)
    processes.append(proc)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    assert line.startswith("epp front on 127.0.0.1:"), line
    port = int(line.rsplit(":", 1)[1])
    config = EppServer(
        host="127.0.0.1", port=port, client_id=REGISTRAR, password=USERS[REGISTRAR], ca_file=str(ca)
    )
    backend = validating_backend({REGISTRAR: config})
    try:
        name = f"{label()}.com"
        assert backend.check_availability([name]) == {name: True}
        faults.write_text(json.dumps({"fail_next": 1}))
        with pytest.raises(TransientBackendError):
            backend.check_availability([name])
        assert backend.check_availability([name]) == {name: True}
    finally:
        backend.close()
    proc.terminate()
    assert proc.wait(10) == 0
    proc.stdout.close()


# ------------------------------------------------------------ whole pipeline

OWNER = Contact("epp-owner", "Pipe Owner", "owner@example.net", "Springfield", "US")


def epp_servers_json(front: EppFront, ca_file: str, timeout: float = 10.0) -> str:
    return json.dumps(
        {
            REGISTRAR: {
                "host": "127.0.0.1",
                "port": front.port,
                "client_id": REGISTRAR,
                "password": USERS[REGISTRAR],
                "ca_file": ca_file,
                "timeout_seconds": timeout,
            }
        }
    )


def domain_rows(front_db: str, name: str) -> int:
    with psycopg.connect(front_db) as conn:
        row = conn.execute(
            "SELECT count(*) FROM sandbox.domain WHERE name = %s", (name,)
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.kafka
@pytest.mark.slow
def test_an_order_ends_successful_over_epp(
    db: Conn,
    settings: Settings,  # noqa: F811 - the pipeline's fixture
    front: EppFront,
    ca_file: str,
    front_db: str,
) -> None:
    name, zone = f"{label()}.com", label()
    backend = EppBackend(
        {REGISTRAR: server(front, ca_file)},
        ca=SandboxBackend(front_db),
        frame_hook=schema.validate,
    )
    components = start_pipeline(settings, backend)
    try:
        item = domain_item(
            name,
            period=2,
            registrant=OWNER,
            nameservers=[f"ns1.{zone}.info", f"ns2.{zone}.info"],
            create_hosts=True,
        )
        order = place_order(db, tenant_customer_id=ALICE, accreditation=REGISTRAR, items=[item])
        final = wait_final(db, [order.order_id])
        assert final == {str(order.order_id): "successful"}, str(
            order_status(db, order.order_id)["plans"]
        )
    finally:
        components.stop_all()
        backend.close()
    domain = fetch_all(db, "SELECT * FROM domain WHERE name = %(n)s", {"n": name})[0]
    assert domain["roid"].endswith("-SANDBOX")
    assert domain_rows(front_db, name) == 1


@pytest.mark.kafka
@pytest.mark.slow
def test_a_transfer_order_over_epp_waits_for_the_approval_read_from_the_poll_queue(  # noqa: PLR0917
    db: Conn,
    settings: Settings,  # noqa: F811 - the pipeline's fixture
    front: EppFront,
    pending: SandboxBackend,
    ca_file: str,
    front_db: str,
) -> None:
    """The registry answers 1001; the provision waits; the operator approves; the
    executors' registry poll reads the approval over EPP (and the new auth code by
    domain:info) and the order ends successful with that code stored."""
    name = f"{label()}.com"
    pending.seed_foreign_domain(
        name, "beta-registry", "Old-code-9", date.today() + timedelta(days=90)
    )
    backend = EppBackend(
        {REGISTRAR: server(front, ca_file)}, ca=SandboxBackend(front_db), frame_hook=schema.validate
    )
    components = start_pipeline(
        settings.model_copy(update={"executor_registry_poll_seconds": 0.3}), backend
    )
    try:
        plan = Plan("provision_domain_transfer", {"name": name, "pw": "Old-code-9"})
        order = place_order(
            db,
            tenant_customer_id=ALICE,
            accreditation=REGISTRAR,
            items=[Item("domain", "transfer_in", name, [plan])],
        )
        status = (
            "SELECT s.name FROM provision_domain_transfer p JOIN provision_status s"
            " ON s.id = p.status_id WHERE p.name = %(n)s"
        )
        deadline = time.monotonic() + 30
        while fetch_all(db, status, {"n": name}) != [{"name": "pending_action"}]:
            assert time.monotonic() < deadline, order_status(db, order.order_id)
            time.sleep(0.1)
        assert order_status(db, order.order_id)["status"] == "processing"
        polled = front.answered["poll 1301"]
        assert pending.decide_transfer(name, "approve") == "clientApproved"
        final = wait_final(db, [order.order_id], timeout=60)
        assert final == {str(order.order_id): "successful"}, str(
            order_status(db, order.order_id)["plans"]
        )
    finally:
        components.stop_all()
        backend.close()
    assert front.answered["poll 1301"] > polled
    domain = fetch_all(db, "SELECT * FROM domain WHERE name = %(n)s", {"n": name})[0]
    assert domain["auth_info"] == sandbox_code(front_db, name) != "Old-code-9"
    assert domain["tenant_customer_id"] == ALICE
    published = str(fetch_all(db, "SELECT status, result_message, result_data FROM outbox"))
    assert "pending" in published
    assert domain["auth_info"] not in published  # stored, never published


def _executor(
    config: Settings, front: EppFront, ca_file: str, front_db: str, log: Path
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVISIONING_")}
    env.update(
        {
            "PROVISIONING_BACKEND": "epp",
            "PROVISIONING_EPP_SERVERS": epp_servers_json(front, ca_file),
            "PROVISIONING_DATABASE_URL": config.database_url.get_secret_value(),
            "PROVISIONING_SANDBOX_DATABASE_URL": front_db,
            "PROVISIONING_EXECUTOR_LEASE_SECONDS": "2",
            "PROVISIONING_EXECUTOR_POLL_SECONDS": "0.2",
            "PROVISIONING_EXECUTOR_BACKOFF_SECONDS": "0.1",
            "PROVISIONING_KAFKA_BOOTSTRAP_SERVERS": config.kafka_bootstrap_servers,
        }
    )
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "provisioning.cli", "executor"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


@pytest.mark.kafka
@pytest.mark.slow
@pytest.mark.parametrize("replay_by_trid", [True, False], ids=["trid-replay", "reconciled"])
def test_an_executor_killed_mid_create_leaves_one_effect_at_the_registry(  # noqa: PLR0917
    replay_by_trid: bool,
    db: Conn,
    settings: Settings,  # noqa: F811 - the pipeline's fixture
    front: EppFront,
    ca_file: str,
    front_db: str,
    processes: list[subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    """The registry acts, then answers slowly; the executor dies meanwhile. Its successor
    retries with the same clTRID: the front answers from the sandbox's log, or (a registry
    that does not deduplicate) 2302, which the backend reconciles with domain:info."""
    name = f"{label()}.com"
    front.set_faults(
        delay_seconds=1.5, delay_commands=("create:domain",), replay_by_trid=replay_by_trid
    )
    reconciled = front.answered["create:domain 2302"]
    components = Components(settings)
    from consumers.ingest import ingest_loop  # noqa: PLC0415
    from consumers.order_service import order_service_loop  # noqa: PLC0415
    from producers.relay import ORDER_REQUESTS, OUTCOMES, Relay  # noqa: PLC0415

    ingest = ingest_loop(
        settings, [settings.topic_orders, settings.topic_actions], poll_timeout=0.2
    )
    components.start("ingest", ingest.run, ingest.stop)
    service = order_service_loop(settings, poll_timeout=0.2)
    components.start("order-service", service.run, service.stop)
    for outbox in (ORDER_REQUESTS, OUTCOMES):
        relay = Relay(settings, outbox, poll_seconds=0.2)
        components.start(f"relay-{outbox.name}", relay.run, relay.stop)
    log = tmp_path / "executor.log"
    try:
        started = front.started["create:domain"]
        first = _executor(settings, front, ca_file, front_db, log)
        processes.append(first)
        order = place_order(
            db, tenant_customer_id=ALICE, accreditation=REGISTRAR, items=[domain_item(name)]
        )
        deadline = time.monotonic() + 60
        while front.started["create:domain"] == started:
            assert time.monotonic() < deadline, log.read_text()
            assert first.poll() is None, log.read_text()
            time.sleep(0.02)
        first.kill()  # SIGKILL while the create is in flight at the registry
        first.wait(10)
        second = _executor(settings, front, ca_file, front_db, log)
        processes.append(second)
        assert wait_final(db, [order.order_id]) == {str(order.order_id): "successful"}, (
            log.read_text()
        )
    finally:
        components.stop_all()
    assert domain_rows(front_db, name) == 1
    with psycopg.connect(front_db) as conn:
        row = conn.execute(
            "SELECT count(*) FROM sandbox.transaction"
            " WHERE operation = 'create_domain' AND request->>'name' = %s",
            (name,),
        ).fetchone()
    assert row is not None
    assert row[0] == 1
    assert front.started["create:domain"] - started >= 2  # the retry reached the registry too
    assert (front.answered["create:domain 2302"] > reconciled) is not replay_by_trid
    assert scalar(db, "SELECT count(*) FROM domain WHERE name = %(n)s", {"n": name}) == 1
    completed = fetch_all(
        db,
        "SELECT s.name AS status FROM provision_domain p"
        " JOIN provision_status s ON s.id = p.status_id WHERE p.name = %(n)s",
        {"n": name},
    )
    assert [r["status"] for r in completed] == ["completed"]


def test_faults_read_from_a_mapping() -> None:
    faults = Faults.from_mapping({"drop_after": 2, "delay_commands": ["create:domain"]})
    assert faults.drop_after == 2
    assert faults.delay_commands == ("create:domain",)
    with pytest.raises(ValueError, match="unknown faults"):
        Faults.from_mapping({"explode": True})


def test_one_accreditation_on_epp_and_the_others_on_the_sandbox(
    front: EppFront, front_db: str, ca_file: str, provisioning_db: str
) -> None:
    """PROVISIONING_BACKENDS: alpha's registry half goes over EPP to the front, beta's
    stays on the sandbox of the provisioning database; both get sandbox certificates."""
    routed = Settings(
        database_url=provisioning_db,
        backends={REGISTRAR: {"registry": "epp"}},
        epp_servers={REGISTRAR: server(front, ca_file)},
    )
    backend = backend_from_settings(routed)
    assert isinstance(backend, RoutingBackend)
    try:
        assert isinstance(backend.registry_for(REGISTRAR), EppBackend)
        assert isinstance(backend.registry_for("beta-registry"), SandboxBackend)
        over_epp, on_sandbox = f"{label()}.com", f"{label()}.com"
        for registrar, name in ((REGISTRAR, over_epp), ("beta-registry", on_sandbox)):
            backend.create_domain(
                registrar=registrar,
                client_ref=str(uuid.uuid4()),
                name=name,
                period=1,
                auth_info="Auth-1234!",
                contacts={},
                nameservers=[],
            )
        assert (domain_rows(front_db, over_epp), domain_rows(front_db, on_sandbox)) == (1, 0)
        assert (
            domain_rows(provisioning_db, over_epp),
            domain_rows(provisioning_db, on_sandbox),
        ) == (
            0,
            1,
        )
        certificate = backend.issue_certificate(
            registrar=REGISTRAR,
            client_ref=str(uuid.uuid4()),
            common_name=over_epp,
            sans=[],
            csr_pem=None,
            key_type=None,
            validity_days=30,
        )
        assert certificate.chain_pem == backend.ca_for(REGISTRAR).ca_certificate_pem
        polls = front.started["poll"]  # the poll queues follow the routes too
        assert len(backend.poll_transfers(registrar=REGISTRAR)) <= 1
        assert backend.poll_transfers(registrar="beta-registry") == []
        assert front.started["poll"] - polls == 1
        with pytest.raises(StatusProhibits):  # the sandbox's refusal: nothing pending
            backend.transfer_domain_action(
                registrar="beta-registry", client_ref=str(uuid.uuid4()), name=on_sandbox,
                op="cancel",
            )  # fmt: skip
    finally:
        backend.close()
    # PROVISIONING_BACKEND=epp alone: the EPP backend, its certificates from the sandbox CA.
    alone = backend_from_settings(
        Settings(database_url=provisioning_db, backend="epp", epp_servers=routed.epp_servers)
    )
    try:
        assert isinstance(alone, EppBackend)
    finally:
        alone.close()
