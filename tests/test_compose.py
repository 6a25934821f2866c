"""docker-compose.yml, checked without a Docker engine.

Against the Compose Specification's JSON schema (tests/data/compose-spec.json), and
against the code: every component service runs a `provisioning` command the
parser knows, with the settings that command needs, and says how it is healthy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import psycopg
import pytest
import yaml

from provisioning import cli
from provisioning.settings import load_settings
from tests.services import KAFKA_IMAGE, POSTGRES_IMAGE

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = Path(__file__).resolve().parent / "data" / "compose-spec.json"
LONG_RUNNING = {"ingest", "executor", "relay", "order-service"}  # the others run once


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def components(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services built from this repository: those that run `provisioning`."""
    return {name: svc for name, svc in spec["services"].items() if svc.get("build") == "."}


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the KEY=VALUE form
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def test_the_file_is_valid_against_the_compose_specification() -> None:
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(compose()), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
    )


def test_the_schema_catches_a_mistake() -> None:
    # the check itself works: a misspelt key and a wrong type are found
    spec = compose()
    spec["services"]["ingest"]["comand"] = ["ingest"]
    spec["services"]["relay"]["depends_on"]["kafka"]["condition"] = "service_happy"
    schema = json.loads(SCHEMA.read_text())
    messages = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(spec)]
    assert any("comand" in message for message in messages), messages
    assert any("'service_happy'" in message for message in messages), messages


def test_every_component_runs_a_command_that_exists() -> None:
    parser = cli.build_parser()
    services = components(compose())
    assert set(services) == {"migrate", *LONG_RUNNING}
    for name, service in services.items():
        command = service["command"]
        assert isinstance(command, list), (name, command)
        args = parser.parse_args(command)  # SystemExit(2) on an unknown command or flag
        assert callable(args.func), name
    assert (ROOT / "Dockerfile").read_text().splitlines()[-1] == 'ENTRYPOINT ["provisioning"]'


def test_every_component_has_the_settings_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = compose()
    postgres = environment(spec["services"]["postgres"])
    owner, dbname = postgres["POSTGRES_USER"], postgres["POSTGRES_DB"]
    kafka = environment(spec["services"]["kafka"])
    listeners = [entry.split("://", 1) for entry in kafka["KAFKA_ADVERTISED_LISTENERS"].split(",")]
    (inside,) = [
        address for name, address in listeners if name == kafka["KAFKA_INTER_BROKER_LISTENER_NAME"]
    ]

    for name, service in components(spec).items():
        env = environment(service)
        for key in list(env):
            assert key.startswith("PROVISIONING_"), (name, key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        settings = load_settings()  # every value is one the settings accept

        assert settings.kafka_bootstrap_servers == inside, name
        app = psycopg.conninfo.conninfo_to_dict(settings.database_url.get_secret_value())
        assert (app["user"], app["host"], app["dbname"]) == ("provisioning_app", "postgres", dbname)
        admin = psycopg.conninfo.conninfo_to_dict(settings.admin_url())
        assert (admin["user"], admin["host"], admin["dbname"]) == (owner, "postgres", dbname)
        for key in env:
            monkeypatch.delenv(key)


def test_the_services_start_in_order_and_say_when_they_are_healthy() -> None:
    spec = compose()
    services = spec["services"]
    for name, service in services.items():
        for needed, condition in (service.get("depends_on") or {}).items():
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[needed], (name, needed)
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    for name in LONG_RUNNING:
        service = services[name]
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        env = environment(service)
        port = env["PROVISIONING_METRICS_PORT"]
        assert env["PROVISIONING_METRICS_HOST"] == "0.0.0.0"  # noqa: S104 - inside its container
        test = service["healthcheck"]["test"]
        assert test[0] == "CMD", name
        assert f"http://127.0.0.1:{port}/healthz" in " ".join(test), name


def test_the_tests_run_the_images_the_file_runs() -> None:
    services = compose()["services"]
    assert services["kafka"]["image"] == KAFKA_IMAGE == "apache/kafka:4.1.1"
    assert services["postgres"]["image"] == POSTGRES_IMAGE
