"""Orders of every kind, in-zone name servers, up-front failure and the order-status event.

The planning and the database's side first (no Kafka), then one pipeline run on
the real services carrying an order of each kind in three waves (what the second
wave renews, deletes or updates, the first registered; the third restores what
the second deleted), with the order-status topic read at the end and again after
every outcome was delivered a second time.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from confluent_kafka import Consumer, TopicPartition
from hypothesis import given
from hypothesis import strategies as st

from executors.backends.sandbox import SandboxBackend
from producers.order_items import (
    Contact,
    contact_item,
    delete_item,
    domain_item,
    in_zone,
    parse_nameserver,
    renew_item,
    restore_item,
    ssl_item,
    transfer_item,
    update_item,
)
from producers.orders import PlacedOrder, order_status, place_order
from producers.relay import ORDER_REQUESTS, ORDER_STATUSES, OUTCOMES
from provisioning import cli
from provisioning.errors import InvalidRequest
from provisioning.settings import Settings
from provisioning.sqlfiles import query
from provisioning.topics import pipeline_topics
from schemas.codec import SingleObjectCodec
from schemas.requests import ORDER_STATUS
from tests.conftest import TopicFactory, unique_name
from tests.db.helpers import ALICE, Conn, fetch_all, fetch_one, scalar
from tests.db.test_roles import _refused, as_role
from tests.services import Services
from tests.test_pipeline import start_pipeline, wait_final, wait_until

ADDR = ["192.0.2.1"]


def contact(handle: str) -> Contact:
    return Contact(handle, f"Owner {handle}", f"{handle}@example.net", "Springfield", "US")


def place(db: Conn, *items: Any, **options: Any) -> PlacedOrder:
    return place_order(
        db, tenant_customer_id=ALICE, accreditation="alpha-registry", items=list(items), **options
    )


def stages(item: Any) -> list[tuple[int, str]]:
    return [(plan.stage, plan.action) for plan in item.plans]


# ------------------------------------------------------------------ planning


def test_in_zone_nameservers_are_planned_after_the_domain_with_their_glue() -> None:
    item = domain_item(
        "Zone.com.",
        registrant=contact("z-1"),
        nameservers=["ns1.zone.com", "ns.hosting.info"],
        create_hosts=True,
        addresses={"NS1.zone.com": ADDR},
    )
    assert stages(item) == [
        (1, "provision_contact"),
        (1, "provision_host"),  # out of zone: before the domain, as always
        (2, "provision_domain"),
        (3, "provision_host"),
        (4, "provision_domain_update"),
    ]
    assert item.plans[2].payload["nameservers"] == ["ns.hosting.info"]
    assert item.plans[3].payload == {"name": "ns1.zone.com", "addresses": ADDR}
    assert item.plans[4].payload == {
        "name": "zone.com",
        "nameservers": ["ns1.zone.com", "ns.hosting.info"],
    }
    # without a contact or out-of-zone hosts the stages start at 1
    bare = domain_item("zone.com", nameservers=["ns1.zone.com"], addresses={"ns1.zone.com": ADDR})
    assert stages(bare) == [
        (1, "provision_domain"),
        (2, "provision_host"),
        (3, "provision_domain_update"),
    ]


def test_an_in_zone_nameserver_without_addresses_is_refused_at_placing() -> None:
    with pytest.raises(InvalidRequest, match=r"ns1\.zone\.com is under zone\.com itself"):
        domain_item("zone.com", nameservers=["ns1.zone.com"])
    with pytest.raises(InvalidRequest, match="not a name server listed"):
        domain_item("zone.com", nameservers=["ns.hosting.info"], addresses={"ns2.zone.com": ADDR})
    with pytest.raises(InvalidRequest, match="not an IPv4 or IPv6 address"):
        parse_nameserver("ns1.zone.com=192.0.2.300")
    assert parse_nameserver("NS1.zone.com=192.0.2.1, 2001:db8::1") == (
        "ns1.zone.com",
        ["192.0.2.1", "2001:db8::1"],
    )


LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)


@given(host=LABEL, word=LABEL, prefix=LABEL, tld=st.sampled_from(["com", "org", "io"]))
def test_in_zone_means_under_the_domain_itself(host: str, word: str, prefix: str, tld: str) -> None:
    domain = f"{word}.{tld}"
    assert in_zone(f"{host}.{domain}", domain)
    assert in_zone(f"{host.upper()}.{domain}.", f" {domain.upper()}")  # as the database compares
    assert not in_zone(f"{host}.{prefix}{domain}", domain)  # a longer name, not a subdomain
    assert not in_zone(f"{host}.{domain}.net", domain)
    assert not in_zone(f"{host}.{word}.info", domain)


def test_every_kind_has_its_plans_and_stages() -> None:
    assert stages(transfer_item("t.com", pw="Xy7#code", registrant=contact("t-1"))) == [
        (1, "provision_contact"),
        (2, "provision_domain_transfer"),
        (3, "provision_domain_update"),
    ]
    assert stages(transfer_item("t.com", pw="Xy7#code")) == [(1, "provision_domain_transfer")]
    assert stages(
        update_item("u.com", nameservers=["ns9.u.com"], addresses={"ns9.u.com": ADDR})
    ) == [
        (1, "provision_host"),
        (2, "provision_domain_update"),
    ]
    assert stages(update_item("u.com", add_locks=["clientHold"])) == [
        (1, "provision_domain_update")
    ]
    with pytest.raises(InvalidRequest, match="needs a change"):
        update_item("u.com")
    for item, action in (
        (renew_item("r.com"), "provision_domain_renew"),
        (restore_item("r.com"), "provision_domain_restore"),
        (delete_item("r.com"), "provision_domain_delete"),
        (contact_item(contact("c-1")), "provision_contact"),
        (ssl_item("www.r.com", accreditation="alpha-ssl"), "provision_ssl"),
    ):
        assert stages(item) == [(1, action)]


# ------------------------------------------------------------------ the database's side


@pytest.mark.postgres
def test_a_name_held_fails_the_order_at_placing_with_one_status_event(db: Conn) -> None:
    first = place(db, domain_item("wanted.com"))
    second = place(db, domain_item("wanted.com", registrant=contact("late-1")))
    assert first.status == "processing"
    assert second.status == "failed"
    assert second.released == 0
    assert (
        second.reason
        == f"domain wanted.com is not available: order {first.order_id} is registering it"
    )
    status = order_status(db, second.order_id)
    assert status["status"] == "failed"
    assert {p["status"] for p in status["plans"]} == {"failed"}
    assert all(p["result_message"].startswith("order failed at placing") for p in status["plans"])
    assert status["event"] is not None
    assert status["event"]["sent_date"] is None  # written; no relay runs here
    assert scalar(db, "SELECT count(*) FROM orders.request_outbox") == 1  # the first order's
    event = fetch_one(
        db,
        "SELECT event FROM orders.status_outbox WHERE order_id = %(id)s",
        {"id": second.order_id},
    )["event"]
    assert event["status"] == "failed"
    assert [p["status"] for p in event["plans"]] == ["failed", "failed"]
    assert [p["request_id"] for p in event["plans"]] == [None, None]  # never requested


@pytest.mark.postgres
def test_a_failed_plan_fails_the_unrequested_plans_of_every_item_and_the_event_waits(
    db: Conn,
) -> None:
    order = place(
        db,
        domain_item("one.com", registrant=contact("one-1")),
        domain_item("two.com", registrant=contact("two-1")),
    )
    one_contact, one_domain, two_contact, two_domain = order.plan_ids

    def finish(plan: uuid.UUID, status: str, message: str | None = None) -> bool:
        request = scalar(
            db, "SELECT request_id FROM orders.order_item_plan WHERE id = %(id)s", {"id": plan}
        )
        row = db.execute(
            query("orders", "apply_outcome"),
            {
                "event_id": uuid.uuid4(),
                "request_id": request,
                "plan_ids": [plan],
                "status": status,
                "message": message,
                "data": None,
            },
        ).fetchone()
        return bool(row and row[0])

    assert finish(one_contact, "failed", "email: not an address")
    plans = {p["id"]: p for p in order_status(db, order.order_id)["plans"]}
    assert order_status(db, order.order_id)["status"] == "failed"
    for never in (one_domain, two_domain):  # the other item's domain too
        assert plans[never]["status"] == "failed"
        assert plans[never]["result_message"] == (
            f"not requested: plan {one_contact} (provision_contact) failed: email: not an address"
        )
    # the other item's contact was requested: it runs on, and the event waits for it
    assert plans[two_contact]["status"] == "processing"
    assert scalar(db, "SELECT count(*) FROM orders.status_outbox") == 0
    assert finish(two_contact, "completed")
    finish(two_contact, "completed")  # a second outcome for it: the plan is final already
    event = fetch_one(db, "SELECT event FROM orders.status_outbox")["event"]
    assert [p["status"] for p in event["plans"]] == ["failed", "failed", "completed", "failed"]
    # nothing releases a plan of a failed order, and nothing writes a second event
    assert scalar(db, "SELECT count(*) FROM orders.request_outbox") == 2
    assert scalar(db, "SELECT count(*) FROM orders.status_outbox") == 1


@pytest.mark.postgres
def test_the_roles_place_orders_and_relay_their_events_and_nothing_more(
    db: Conn, provisioning_db: str
) -> None:
    with as_role(provisioning_db, "provisioning_order_service") as service:
        order = place(service, domain_item("roles.com"))
        held = place(service, domain_item("roles.com"))
        assert held.status == "failed"
        assert scalar(service, "SELECT count(*) FROM orders.status_outbox") == 1
        _refused(
            lambda: service.execute(
                "INSERT INTO orders.status_outbox (order_id, message_key, event)"
                " VALUES (%s, 'k', '{}')",
                [order.order_id],
            )
        )
        _refused(lambda: service.execute("UPDATE orders.status_outbox SET sent_date = now()"))
    with as_role(provisioning_db, "provisioning_relay") as relay:
        assert relay.execute(
            query("order_status_outbox", "fetch_unsent"), {"after": None, "limit": 10}
        ).fetchall()
        relay.execute(query("order_status_outbox", "mark_sent"), {"ids": [1]})
        _refused(lambda: relay.execute("DELETE FROM orders.status_outbox"))
        _refused(lambda: relay.execute("SELECT orders.fail_unrequested(%s, 'x')", [order.order_id]))
    assert scalar(db, "SELECT count(*) FROM orders.status_outbox WHERE sent_date IS NULL") == 0


# ------------------------------------------------------------------ the whole pipeline


@pytest.fixture
def kinds_settings(services: Services, provisioning_db: str, make_topic: TopicFactory) -> Settings:
    return Settings(
        kafka_bootstrap_servers=services.kafka_bootstrap,
        database_url=provisioning_db,  # pydantic coerces to SecretStr
        topic_orders=make_topic(partitions=2, prefix="orders"),
        topic_actions=make_topic(partitions=2, prefix="actions"),
        topic_outcomes=make_topic(partitions=2, prefix="outcomes"),
        topic_order_status=make_topic(partitions=2, prefix="order-status"),
        group_ingest=unique_name("ingest"),
        group_order_service=unique_name("orders"),
        executor_poll_seconds=0.2,
        executor_backoff_seconds=0.1,
        kafka_session_timeout_ms=6000,
    )


@pytest.fixture
def kinds_sandbox(provisioning_db: str) -> Iterator[SandboxBackend]:
    backend = SandboxBackend(provisioning_db)
    yield backend
    backend.close()


def status_events(bootstrap: str, topic: str, partitions: int = 2) -> list[dict[str, Any]]:
    """Every OrderStatus on ``topic``, up to its high watermarks."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": unique_name("status"),
            "enable.auto.commit": False,
        }
    )
    codec = SingleObjectCodec()
    events: list[dict[str, Any]] = []
    try:
        total = sum(
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in range(partitions)
        )
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        deadline = time.monotonic() + 30
        while len(events) < total and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            assert message.error() is None, message.error()
            event = codec.decode(ORDER_STATUS, message.value() or b"", topic)
            assert message.key() == str(event["order_id"]).encode()
            events.append(event)
    finally:
        consumer.close()
    assert len(events) == total
    return events


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.slow
def test_an_order_of_each_kind_end_to_end_with_one_status_event_each(
    db: Conn, kinds_settings: Settings, kinds_sandbox: SandboxBackend, services: Services
) -> None:
    settings, sandbox = kinds_settings, kinds_sandbox
    expiry = datetime.now(UTC) + timedelta(days=200)
    sandbox.seed_foreign_domain("foreign-in.com", "other-registrar", "Xy7#authcode", expiry)
    sandbox.seed_foreign_domain("taken-away.com", "other-registrar", "Zz9#elsewhere", expiry)
    components = start_pipeline(
        settings, sandbox, relays=(ORDER_REQUESTS, OUTCOMES, ORDER_STATUSES)
    )
    expected: dict[str, str] = {}

    def placed(order: PlacedOrder, status: str) -> uuid.UUID:
        expected[str(order.order_id)] = status
        return order.order_id

    try:
        # wave 1: registrations (one with in-zone name servers), a contact, a transfer in
        glue = placed(
            place(
                db,
                domain_item(
                    "glue-zone.com",
                    registrant=contact("glue-1"),
                    nameservers=["ns1.glue-zone.com", "ns2.glue-zone.com", "ns.hosting.info"],
                    create_hosts=True,
                    addresses={
                        "ns1.glue-zone.com": ["192.0.2.1"],
                        "ns2.glue-zone.com": ["192.0.2.2", "2001:db8::2"],
                    },
                ),
            ),
            "successful",
        )
        for name in ("renew-me.com", "delete-me.com", "update-me.com"):
            placed(place(db, domain_item(name)), "successful")
        placed(
            place(
                db,
                domain_item(
                    "keep-me.com",
                    nameservers=["ns1.keep-me.com"],
                    create_hosts=True,
                    addresses={"ns1.keep-me.com": ["192.0.2.11"]},
                ),
            ),
            "successful",
        )
        placed(place(db, contact_item(contact("kinds-2"))), "successful")
        placed(
            place(
                db,
                transfer_item("foreign-in.com", pw="Xy7#authcode", registrant=contact("xfer-1")),
            ),
            "successful",
        )
        # refused up front: the registry answers taken; nothing is requested
        taken = place(
            db,
            domain_item("taken-away.com", registrant=contact("never-1")),
            check_availability=sandbox.check_availability,
        )
        assert taken.status == "failed"
        assert (
            taken.reason
            == "domain taken-away.com is not available: the registry answers it is taken"
        )
        placed(taken, "failed")
        # refused by validation: its later stages are never requested (across items the
        # same holds, but which outcome comes first is the pipeline's: the DB test shows it)
        mixed = placed(
            place(
                db,
                domain_item(
                    "bad_name!.com",
                    nameservers=["ns1.bad_name!.com"],
                    addresses={"ns1.bad_name!.com": ["192.0.2.7"]},
                ),
            ),
            "failed",
        )
        wait_final(db, [uuid.UUID(o) for o in expected], timeout=60)

        # wave 2: renew, delete, update adding an in-zone host, ssl, and a name held
        placed(place(db, renew_item("renew-me.com", period=2)), "successful")
        placed(place(db, delete_item("delete-me.com")), "successful")
        # a delete whose host step fails: another registrar's domain names keep-me.com's
        # host, which only the registry knows; the order fails and the domain stays
        sandbox.seed_foreign_domain("uses-keep-me.net", "other-registrar", "Q1w#elsewhere", expiry)
        db.execute(
            "UPDATE sandbox.domain SET nameservers = '{ns1.keep-me.com}'"
            " WHERE name = 'uses-keep-me.net'"
        )
        kept = placed(place(db, delete_item("keep-me.com")), "failed")
        placed(
            place(
                db,
                update_item(
                    "update-me.com",
                    nameservers=["ns1.update-me.com", "ns.hosting.info"],
                    addresses={"ns1.update-me.com": ["192.0.2.9"]},
                ),
            ),
            "successful",
        )
        placed(place(db, ssl_item("www.glue-zone.com", accreditation="alpha-ssl")), "successful")
        held = place(db, domain_item("renew-me.com", registrant=contact("never-2")))
        assert held.reason == "domain renew-me.com is not available: it is registered"
        placed(held, "failed")
        wait_final(db, [uuid.UUID(o) for o in expected], timeout=60)

        # wave 3: restore what wave 2 deleted
        placed(place(db, restore_item("delete-me.com")), "successful")
        statuses = wait_final(db, [uuid.UUID(o) for o in expected], timeout=60)
        assert statuses == expected

        # one event per order, as the orders ended
        wait_until(
            lambda: (
                scalar(db, "SELECT count(*) FROM orders.status_outbox WHERE sent_date IS NULL") == 0
                and scalar(db, "SELECT count(*) FROM orders.status_outbox") == len(expected)
            ),
            "every order-status event sent",
        )
        events = status_events(services.kafka_bootstrap, settings.topic_order_status)
        assert {str(e["order_id"]): e["status"] for e in events} == expected
        assert len(events) == len(expected)

        # every outcome delivered again (a relay that re-sends, a replay): no second event
        assert components.order_service is not None
        counts = components.order_service.stats.counts
        before = counts["duplicates"]
        outcomes = scalar(db, "SELECT count(*) FROM outbox")
        db.execute("UPDATE outbox SET sent_date = NULL")
        wait_until(
            lambda: counts["duplicates"] - before >= outcomes, "the outcomes applied a second time"
        )
        assert scalar(db, "SELECT count(*) FROM orders.status_outbox") == len(expected)
        time.sleep(0.5)  # the order-status relay's poll: it would have sent a new row by now
        assert len(status_events(services.kafka_bootstrap, settings.topic_order_status)) == len(
            expected
        )
    finally:
        components.stop_all()

    # the in-zone name servers: the domain ends with them, the hosts with their glue
    domain = fetch_one(db, "SELECT * FROM domain WHERE name = 'glue-zone.com'")
    assert list(domain["nameservers"]) == [
        "ns1.glue-zone.com",
        "ns2.glue-zone.com",
        "ns.hosting.info",
    ]
    hosts = {
        row["name"]: sorted(str(a) for a in row["addresses"])
        for row in fetch_all(db, "SELECT name, addresses FROM host")
    }
    assert hosts["ns1.glue-zone.com"] == ["192.0.2.1"]
    assert hosts["ns2.glue-zone.com"] == ["192.0.2.2", "2001:db8::2"]
    assert hosts["ns1.update-me.com"] == ["192.0.2.9"]
    assert list(
        scalar(db, "SELECT nameservers FROM sandbox.domain WHERE name = 'glue-zone.com'")
    ) == ["ns1.glue-zone.com", "ns2.glue-zone.com", "ns.hosting.info"]
    # the delete that failed at its host step: domain and host kept, here and at the registry
    assert scalar(db, "SELECT status FROM domain WHERE name = 'keep-me.com'") == "ok"
    assert scalar(db, "SELECT count(*) FROM host WHERE name = 'ns1.keep-me.com'") == 1
    assert scalar(db, "SELECT status FROM sandbox.domain WHERE name = 'keep-me.com'") == "ok"
    assert scalar(db, "SELECT count(*) FROM sandbox.host WHERE name = 'ns1.keep-me.com'") == 1
    kept_event = next(e for e in events if e["order_id"] == kept)
    (kept_plan,) = kept_event["plans"]
    assert kept_plan["status"] == "failed"
    assert "delete host ns1.keep-me.com failed" in kept_plan["message"]
    assert "uses-keep-me.net" in kept_plan["message"]
    glue_event = next(e for e in events if e["order_id"] == glue)
    assert [(p["action"], p["stage"], p["status"]) for p in glue_event["plans"]] == [
        ("provision_contact", 1, "completed"),
        ("provision_host", 1, "completed"),
        ("provision_domain", 2, "completed"),
        ("provision_host", 3, "completed"),
        ("provision_host", 3, "completed"),
        ("provision_domain_update", 4, "completed"),
    ]
    # the other kinds did what they say
    assert scalar(db, "SELECT status FROM domain WHERE name = 'delete-me.com'") == "ok"  # restored
    transferred = fetch_one(db, "SELECT * FROM domain WHERE name = 'foreign-in.com'")
    assert transferred["tenant_customer_id"] == ALICE
    assert (
        scalar(
            db,
            "SELECT count(*) FROM sandbox.domain WHERE name = 'update-me.com'"
            " AND 'ns1.update-me.com' = ANY (nameservers)",
        )
        == 1
    )
    assert (
        scalar(db, "SELECT count(*) FROM certificate WHERE common_name = 'www.glue-zone.com'") == 1
    )
    # failed up front: no registry call for its contact, no provision at all
    assert (
        scalar(
            db,
            "SELECT count(*) FROM sandbox.transaction WHERE operation = 'create_contact'"
            " AND request -> 'contact' ->> 'handle' IN ('never-1', 'never-2')",
        )
        == 0
    )
    assert scalar(db, "SELECT count(*) FROM provision_contact WHERE handle LIKE 'never-%%'") == 0
    # refused by validation: the later plans failed, never requested, with the reason
    mixed_event = next(e for e in events if e["order_id"] == mixed)
    plans = [(p["action"], p["status"], p["request_id"]) for p in mixed_event["plans"]]
    refused = mixed_event["plans"][0]
    assert plans == [
        ("provision_domain", "failed", refused["request_id"]),
        ("provision_host", "failed", None),
        ("provision_domain_update", "failed", None),
    ]
    assert "bad_name!.com" in (refused["message"] or "")
    for never in mixed_event["plans"][1:]:
        assert never["message"] == (
            f"not requested: plan {refused['plan_id']} (provision_domain) failed: "
            f"{refused['message']}"
        )
    # the transfer's auth code is in no event
    assert "Xy7#authcode" not in str(events)
    assert "Xy7#authcode" not in str(fetch_all(db, "SELECT event FROM orders.status_outbox"))
    counted = Counter(str(e["order_id"]) for e in events)
    assert set(counted.values()) == {1}


# ------------------------------------------------------------------ the command line


@pytest.mark.parametrize(
    "kind", ["domain", "renew", "transfer", "restore", "delete", "update", "contact", "ssl"]
)
def test_each_kinds_help_is_for_operators(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["order", kind, "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert f"Example:\n  {'printf' if kind == 'transfer' else 'provisioning order ' + kind}" in text
    assert "--tenant-customer UUID   whose order it is" in text
    assert "producers/" not in text  # not the module's docstring
    assert "with psycopg" not in text


@pytest.mark.postgres
def test_the_order_commands_place_refuse_and_show(
    provisioning_db: str, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PROVISIONING_DATABASE_URL", provisioning_db)
    monkeypatch.delenv("PROVISIONING_ADMIN_DATABASE_URL", raising=False)
    who = ["--tenant-customer", str(ALICE), "--accreditation", "alpha-registry"]

    def run(*argv: str) -> tuple[int, str, str]:
        capfd.readouterr()
        code = cli.main(list(argv))
        out, err = capfd.readouterr()
        return code, out, err

    code, out, _ = run(
        "order",
        "domain",
        "cli-one.com",
        *who,
        "--nameserver",
        "ns1.cli-one.com=192.0.2.1",
        "--json",
    )
    assert code == 0
    placed = json.loads(out)
    assert placed["status"] == "processing"
    assert [(p["stage"], p["action"]) for p in placed["plans"]] == [
        (1, "provision_domain"),
        (2, "provision_host"),
        (3, "provision_domain_update"),
    ]
    assert placed["requested_now"] == 1
    code, out, err = run("order", "domain", "cli-one.com", *who)
    assert (code, out) == (1, "")
    assert err.startswith("provisioning: error: order ")
    assert err.endswith(
        f"failed at placing: domain cli-one.com is not available: "
        f"order {placed['order_id']} is registering it\n"
    )
    code, _, err = run("order", "domain", "cli-two.com", *who, "--nameserver", "ns1.cli-two.com")
    assert code == 1
    assert "is under cli-two.com itself" in err
    assert err.count("\n") == 1
    code, out, _ = run("order", "delete", "cli-one.com", *who)  # no --execute: nothing placed
    assert code == 0
    assert out.startswith("would order the deletion of cli-one.com")
    code, out, _ = run("order", "show", placed["order_id"], "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["status"] == "processing"
    assert [p["status"] for p in shown["plans"]] == ["processing", "new", "new"]
    assert shown["event"] is None
    code, out, _ = run("order", "show", placed["order_id"])
    assert code == 0
    assert out.splitlines()[-1] == (
        "  order-status event: not yet (the order has not ended, or a plan still runs)"
    )
    with psycopg.connect(provisioning_db) as conn:
        assert conn.execute('SELECT count(*) FROM orders."order"').fetchone() == (2,)
    code, out, _ = run("order", "renew", "cli-one.com", *who, "--period", "2")
    assert code == 0
    assert out.endswith("1 plan(s) in 1 stage(s), 1 requested now\n")


def test_the_order_status_topic_is_created_with_the_others_without_a_dlq() -> None:
    settings = Settings(topic_order_status="my.order-status")
    topics = pipeline_topics(settings)
    assert "my.order-status" in topics
    assert settings.dlq_topic("my.order-status") not in topics  # nothing here consumes it
    assert len(topics) == len(set(topics)) == 7
