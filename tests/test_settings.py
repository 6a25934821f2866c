"""One typed settings object: defaults, mapping to librdkafka, and bad values named."""

from __future__ import annotations

import subprocess
import sys

import pytest

from provisioning.errors import ConfigError
from provisioning.settings import Settings, load_settings


def test_defaults_match_the_local_stack() -> None:
    settings = load_settings()
    assert settings.kafka_bootstrap_servers == "127.0.0.1:9092"
    assert settings.topic_orders == "provisioning.orders"
    assert settings.dlq_topic("provisioning.orders") == "provisioning.orders.dlq"
    assert settings.database_url.get_secret_value().endswith("127.0.0.1:5432/provisioning")


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVISIONING_KAFKA_BOOTSTRAP_SERVERS", "k1:9092, k2:9093")
    monkeypatch.setenv("PROVISIONING_TOPIC_ORDERS", "acme.orders")
    settings = load_settings()
    assert settings.kafka_bootstrap_servers == "k1:9092,k2:9093"
    assert settings.topic_orders == "acme.orders"


def test_security_options_pass_through_to_librdkafka(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVISIONING_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("PROVISIONING_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("PROVISIONING_KAFKA_SASL_USERNAME", "svc")
    monkeypatch.setenv("PROVISIONING_KAFKA_SASL_PASSWORD", "s3cret")
    monkeypatch.setenv("PROVISIONING_KAFKA_SSL_CA_LOCATION", "/etc/ca.pem")
    config = load_settings().kafka_config(**{"group.id": "g"})
    assert config["security.protocol"] == "SASL_SSL"
    assert config["sasl.mechanism"] == "SCRAM-SHA-512"
    assert config["sasl.username"] == "svc"
    assert config["sasl.password"] == "s3cret"
    assert config["ssl.ca.location"] == "/etc/ca.pem"
    assert config["group.id"] == "g"
    assert "ssl.key.password" not in config


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PROVISIONING_KAFKA_SECURITY_PROTOCOL", "PLAIN_TEXT"),
        ("PROVISIONING_KAFKA_BOOTSTRAP_SERVERS", "localhost"),
        ("PROVISIONING_KAFKA_BOOTSTRAP_SERVERS", "host:99999"),
        ("PROVISIONING_TOPIC_OUTCOMES", "bad topic!"),
        ("PROVISIONING_DATABASE_URL", "mysql://root:hunter2@db/x"),
    ],
)
def test_bad_setting_fails_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert variable in message
    assert "hunter2" not in message  # a secret is never echoed back


def test_secrets_are_masked_when_described() -> None:
    settings = Settings(
        kafka_sasl_password="s3cret",
        database_url="postgresql://u:hunter2@db/x",
    )
    shown = " ".join(value for _, value, _ in settings.describe())
    assert "s3cret" not in shown
    assert "hunter2" not in shown
    assert "**********" in shown


def test_cli_reports_bad_setting_and_exits_1() -> None:
    env = {"PROVISIONING_KAFKA_SECURITY_PROTOCOL": "nope", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "provisioning.cli", "config"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 1  # a failure (ProvisioningError); 2 is a wrong command line
    assert "PROVISIONING_KAFKA_SECURITY_PROTOCOL" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_the_commands_that_exist() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "provisioning.cli", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for command in ("stack", "config"):
        assert command in result.stdout
