"""``provisioning submit`` run in-process against the real Kafka broker."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from provisioning.cli import main
from schemas.codec import SingleObjectCodec
from schemas.requests import REQUEST
from tests.conftest import TopicFactory
from tests.services import Services
from tests.test_producer import consume, message_count

pytestmark = [pytest.mark.kafka]

TENANT_CUSTOMER = "30000000-0000-4000-8000-000000000001"


def line(action: str, payload: dict[str, Any]) -> str:
    return json.dumps(
        {
            "action": action,
            "tenant_customer_id": TENANT_CUSTOMER,
            "accreditation": "alpha-registry",
            "payload": payload,
        }
    )


GOOD = [
    line("provision_domain", {"name": "example.com", "registration_period": 2}),
    line("provision_domain_renew", {"name": "Example.NET.", "period": 1}),
    line("provision_host", {"name": "ns1.example.com", "addresses": ["192.0.2.1"]}),
]


@pytest.fixture
def topic(services: Services, make_topic: TopicFactory, monkeypatch: pytest.MonkeyPatch) -> str:
    name = make_topic()
    monkeypatch.setenv("PROVISIONING_KAFKA_BOOTSTRAP_SERVERS", services.kafka_bootstrap)
    monkeypatch.setenv("PROVISIONING_TOPIC_ACTIONS", name)
    return name


def test_file_of_good_requests_is_published(
    services: Services, topic: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text("# three requests\n" + GOOD[0] + "\n\n" + "\n".join(GOOD[1:]) + "\n")

    assert main(["submit", "--file", str(path)]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[-1] == f"3 request(s) sent to {topic}"
    printed = [row.split() for row in out[:-1]]
    assert [(action, key) for _, action, key in printed] == [
        ("provision_domain", "domain:example.com"),
        ("provision_domain_renew", "domain:example.net"),
        ("provision_host", "host:ns1.example.com"),
    ]
    codec = SingleObjectCodec()
    messages = consume(services.kafka_bootstrap, topic, 3)
    decoded = [codec.decode(REQUEST, m.value, topic) for m in messages]
    assert [str(d["request_id"]) for d in decoded] == [request_id for request_id, _, _ in printed]
    assert [m.key for m in messages] == [key for _, _, key in printed]


def test_file_with_a_bad_line_publishes_nothing(
    services: Services, topic: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad_payload = json.dumps({**json.loads(GOOD[0]), "payload": "example.com"})
    path = tmp_path / "requests.jsonl"
    path.write_text("\n".join([GOOD[0], bad_payload, GOOD[1], "{not json", GOOD[2]]) + "\n")

    assert main(["submit", "--file", str(path)]) == 1  # a failure, not a usage error

    err = capsys.readouterr().err
    assert "line 2: payload must be an object" in err
    assert "line 4: not JSON: Expecting property name" in err
    assert "2 bad line(s)" in err
    assert [row.split(":")[0] for row in err.splitlines()] == ["line 2", "line 4", "provisioning"]
    assert message_count(services.kafka_bootstrap, topic) == 0


def test_one_request_from_flags_to_a_named_topic(
    services: Services,
    topic: str,
    make_topic: TopicFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    other = make_topic()
    request_id = "50000000-0000-4000-8000-000000000001"
    argv = ["submit", "--action", "provision_domain", "--tenant-customer", TENANT_CUSTOMER]
    argv += ["--accreditation", "alpha-registry", "--payload", '{"name": "example.org"}']
    argv += ["--request-id", request_id, "--order-metadata", '{"ticket": "T-1"}', "--topic", other]

    assert main(argv) == 0

    assert capsys.readouterr().out.split()[:3] == [
        request_id,
        "provision_domain",
        "domain:example.org",
    ]
    (message,) = consume(services.kafka_bootstrap, other, 1)
    decoded = SingleObjectCodec().decode(REQUEST, message.value, other)
    assert str(decoded["request_id"]) == request_id
    assert decoded["order_metadata"] == {"ticket": "T-1"}
    assert message_count(services.kafka_bootstrap, topic) == 0


def test_stdin_and_the_orders_topic(
    services: Services,
    topic: str,
    make_topic: TopicFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    orders = make_topic()
    monkeypatch.setenv("PROVISIONING_TOPIC_ORDERS", orders)
    monkeypatch.setattr("sys.stdin", io.StringIO(GOOD[0] + "\n"))

    assert main(["submit", "--orders", "--file", "-"]) == 0

    assert capsys.readouterr().out.splitlines()[-1] == f"1 request(s) sent to {orders}"
    consume(services.kafka_bootstrap, orders, 1)


def test_action_without_its_flags_is_an_error(
    topic: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["submit", "--action", "provision_domain", "--payload", "{}"]) == 2  # usage
    assert "--tenant-customer, --accreditation" in capsys.readouterr().err
