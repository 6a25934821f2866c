"""One typed settings object, read from ``PROVISIONING_*`` environment variables.

Every field is documented here and in the README's configuration table. A bad
value fails at start with a :class:`~provisioning.errors.ConfigError` that names
the environment variable; secrets are :class:`pydantic.SecretStr` and are never
printed, not even in error messages.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from provisioning.errors import ConfigError

ENV_PREFIX = "PROVISIONING_"

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "GSSAPI"]


class BackendRoute(BaseModel):
    """Which backend serves one accreditation: its registry (domains, contacts, hosts)
    and its certificate authority. Kinds: ``executors/backends/routing.py``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    registry: str = Field("sandbox", description="registry kind: sandbox or epp")
    ca: str = Field("sandbox", description="certificate authority kind: sandbox or acme")


class AcmeAccount(BaseModel):
    """One accreditation's account at an ACME certificate authority (RFC 8555)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    directory_url: str = Field(description="The CA's directory URL (https://.../directory).")
    account_key_file: str | None = Field(
        None,
        description="PEM private key of the account (RSA or EC P-256/P-384); unset: one is "
        "generated on first use and kept in the backend's state (schema acme).",
    )
    email: str | None = Field(None, description="Contact address given at newAccount.")
    eab_kid: str | None = Field(None, description="External account binding key id.")
    eab_hmac_key: SecretStr | None = Field(
        None, description="External account binding MAC key, base64url (secret)."
    )
    ca_bundle: str | None = Field(
        None, description="PEM file of CAs trusted for the directory's TLS; unset: the system's."
    )
    challenge_hook: Literal["challtestsrv", "webroot"] = Field(
        "challtestsrv",
        description="How challenges are answered: challtestsrv (DNS-01 TXT records and HTTP-01 "
        "responses through pebble-challtestsrv's management API, for tests) or webroot (HTTP-01 "
        "files under a web server's root; no wildcards).",
    )
    challenge_url: str | None = Field(None, description="challtestsrv: its management URL.")
    webroot: str | None = Field(None, description="webroot: the directory served at /.")
    prefer: Literal["dns-01", "http-01"] = Field(
        "dns-01", description="Challenge type for a non-wildcard name (wildcards: dns-01)."
    )
    profile: str | None = Field(None, description="Certificate profile asked for at newOrder.")

    @model_validator(mode="after")
    def _check(self) -> AcmeAccount:
        if (self.eab_kid is None) != (self.eab_hmac_key is None):
            raise ValueError("eab_kid and eab_hmac_key go together")
        if self.challenge_hook == "challtestsrv" and not self.challenge_url:
            raise ValueError("challenge_hook challtestsrv needs challenge_url")
        if self.challenge_hook == "webroot" and not self.webroot:
            raise ValueError("challenge_hook webroot needs webroot")
        if not self.directory_url.startswith(("https://", "http://")):
            raise ValueError("directory_url must be an http(s) URL")
        return self


class EppServer(BaseModel):
    """One accreditation's EPP server: where it is and how to log in (an item of
    ``PROVISIONING_EPP_SERVERS``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field(description="Host name or address of the registry's EPP server.")
    port: int = Field(700, ge=1, le=65535, description="TCP port (700: RFC 5734).")
    client_id: str = Field(min_length=3, max_length=16, description="<clID> of the login.")
    password: SecretStr = Field(description="<pw> of the login (secret).")
    ca_file: str | None = Field(None, description="PEM file of the CAs trusted for the server.")
    cert_file: str | None = Field(None, description="Client certificate (PEM), if required.")
    key_file: str | None = Field(None, description="Key of the client certificate (PEM).")
    server_name: str | None = Field(
        None, description="Name checked against the server's certificate (default: host)."
    )
    sessions: int = Field(2, ge=1, le=64, description="Most sessions open at once.")
    timeout_seconds: float = Field(
        30.0, gt=0, le=600, description="Connect, login and one command's answer must take less."
    )
    hello_seconds: float = Field(
        240.0, gt=0, le=3600, description="An idle session sends <hello> this often."
    )


class Settings(BaseSettings):
    """Everything a component needs to reach Kafka and PostgreSQL."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        extra="ignore",
        frozen=True,
        validate_default=True,
    )

    # --- Kafka -----------------------------------------------------------------
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", description="Comma-separated host:port list of Kafka brokers."
    )
    kafka_client_id: str = Field("provisioning", description="client.id sent to the brokers.")
    kafka_security_protocol: SecurityProtocol = Field(
        "PLAINTEXT", description="security.protocol: PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL."
    )
    kafka_sasl_mechanism: SaslMechanism | None = Field(
        None, description="sasl.mechanism when the protocol is SASL_*."
    )
    kafka_sasl_username: str | None = Field(None, description="sasl.username.")
    kafka_sasl_password: SecretStr | None = Field(None, description="sasl.password (secret).")
    kafka_ssl_ca_location: str | None = Field(None, description="ssl.ca.location (PEM file).")
    kafka_ssl_certificate_location: str | None = Field(
        None, description="ssl.certificate.location (client certificate, PEM)."
    )
    kafka_ssl_key_location: str | None = Field(
        None, description="ssl.key.location (client key, PEM)."
    )
    kafka_ssl_key_password: SecretStr | None = Field(None, description="ssl.key.password (secret).")

    kafka_session_timeout_ms: int = Field(
        45000,
        ge=6000,
        le=1_800_000,
        description="session.timeout.ms of consumers: how long a dead member keeps its "
        "partitions before the group moves them (the broker allows 6000..1800000).",
    )

    kafka_group_instance_id: str | None = Field(
        None,
        description="group.instance.id of this consumer process (static membership): a "
        "restarted member with the same id takes its partitions back at once. Must be unique "
        "per process in a group; `provisioning run` sets one per child.",
    )

    # --- topics and groups -----------------------------------------------------
    topic_orders: str = Field("provisioning.orders", description="Requests from the order service.")
    topic_actions: str = Field("provisioning.actions", description="Requests from any component.")
    topic_outcomes: str = Field("provisioning.outcomes", description="Outcome events.")
    topic_order_status: str = Field(
        "provisioning.order-status",
        description="Order-status events: one per order that reached a final status.",
    )
    dlq_suffix: str = Field(".dlq", description="Appended to a topic's name to name its DLQ.")
    dlq_max_message_bytes: int = Field(
        4 * 1024 * 1024,
        ge=65536,
        le=100 * 1024 * 1024,
        description="Largest DLQ record (max.message.bytes of the DLQ topics created, "
        "message.max.bytes of the DLQ writer); a larger dead letter is kept in the "
        "dead_letter table and its DLQ copy points to it.",
    )
    consumer_max_crashes: int = Field(
        3,
        ge=1,
        le=100,
        description="A message in flight when a consumer process died this many times is "
        "dead-lettered without being handled again.",
    )
    group_ingest: str = Field("provisioning-ingest", description="Consumer group of ingest.")
    group_order_service: str = Field(
        "provisioning-order-service", description="Consumer group of the order-service consumer."
    )

    # --- schema registry -------------------------------------------------------
    schema_registry_url: str | None = Field(
        None,
        description="Confluent Schema Registry URL; unset means Avro single-object encoding.",
    )
    schema_registry_basic_auth: SecretStr | None = Field(
        None, description="user:password for the schema registry (secret)."
    )
    schema_registry_timeout_seconds: float = Field(
        5.0,
        gt=0,
        le=300,
        description="How long one request to the schema registry may take; it is tried three "
        "times, then the registry counts as unavailable (consumers and the relay retry later).",
    )

    # --- PostgreSQL ------------------------------------------------------------
    database_url: SecretStr = Field(
        SecretStr("postgresql://postgres@127.0.0.1:5432/provisioning"),
        description="libpq URL of the provisioning database for the components (secret: it may "
        "hold a password). In production a login role with no rights of its own, which each "
        "component turns into its own role (see database_set_role, docs/security.md).",
    )
    admin_database_url: SecretStr | None = Field(
        None,
        description="libpq URL as the owner of the schema (secret): migrations, the demo, the "
        "operator commands (status, dlq, outbox, order) and the sandbox registry. Unset: "
        "database_url.",
    )
    database_set_role: bool = Field(
        True,
        description="Each component switches to its own role after connecting (SET ROLE "
        "provisioning_ingest, _executor, _relay, _order_service), so it can do only what "
        "db/roles.sql grants that role. Off: components run as the login role.",
    )

    # --- job executors -----------------------------------------------------------
    backend: Literal["sandbox", "epp"] = Field(
        "sandbox",
        description="What executors run jobs against for an accreditation PROVISIONING_BACKENDS "
        "does not name: sandbox, or epp (the registries of EPP_SERVERS); its CA stays the "
        "sandbox's.",
    )
    backends: dict[str, BackendRoute] = Field(
        default_factory=dict,
        description='Backends per accreditation, JSON: {"<accreditation>"|"*": {"registry": '
        '"sandbox", "ca": "sandbox"|"acme"}}; "*" serves the others and check_availability. '
        "Unset: everything on PROVISIONING_BACKEND.",
    )
    acme_accounts: dict[str, AcmeAccount] = Field(
        default_factory=dict,
        description='ACME accounts per accreditation, JSON: {"<accreditation>": {"directory_url"'
        ', "account_key_file", "email", "eab_kid", "eab_hmac_key", "ca_bundle", '
        '"challenge_hook", "challenge_url", "webroot", "prefer", "profile"}} '
        "(docs/backends.md).",
    )
    acme_database_url: SecretStr | None = Field(
        None,
        description="Database of the ACME backend's state, schema acme (secret); unset: the "
        "provisioning database as its owner (admin_database_url).",
    )
    acme_timeout_seconds: float = Field(
        30.0, gt=0, le=600, description="How long one HTTP request to an ACME server may take."
    )
    acme_order_timeout_seconds: float = Field(
        90.0,
        gt=0,
        le=3600,
        description="How long one job waits for an order's challenges and issuance before it "
        "fails transiently (the retry resumes the same order).",
    )
    acme_poll_seconds: float = Field(
        1.0, gt=0, le=60, description="Poll interval of a pending authorization or order."
    )
    acme_max_retry_after_seconds: float = Field(
        30.0,
        ge=0,
        le=3600,
        description="A Retry-After up to this long is waited out within the job; a longer one "
        "fails the job transiently (the worker's backoff retries it).",
    )
    epp_servers: dict[str, EppServer] = Field(
        default_factory=dict,
        description='EPP server of each accreditation, JSON: {"<accreditation>" or "*": '
        '{"host", "port", "client_id", "password" (secret), "ca_file", '
        '"cert_file", "key_file", "server_name", "sessions", "timeout_seconds", '
        '"hello_seconds"}}.',
    )
    executor_concurrency: int = Field(
        8, ge=1, le=256, description="Jobs one executor process runs at once."
    )
    executor_lease_seconds: float = Field(
        30.0, gt=1, le=3600, description="How long a claimed job is held before it is reclaimed."
    )
    executor_poll_seconds: float = Field(
        2.0, gt=0, le=300, description="Poll interval when no NOTIFY arrives."
    )
    executor_backoff_seconds: float = Field(
        1.0, gt=0, le=3600, description="Base of a failed job's exponential retry backoff."
    )
    executor_complete_batch: int = Field(
        100,
        ge=1,
        le=10_000,
        description="While the queue is busy, an executor writes completions in batches of "
        "up to this many (one statement), as River does; when the queue runs dry they are "
        "written at once.",
    )
    executor_complete_delay_seconds: float = Field(
        0.02,
        ge=0,
        le=10,
        description="The longest a completion waits for its batch while the queue is busy.",
    )
    executor_registry_poll_seconds: float = Field(
        60.0,
        gt=0,
        le=86_400,
        description="How often an executor reads the registries' poll queues (a pending "
        "transfer approved, rejected or cancelled) and ends the redemption periods that are "
        "over.",
    )
    sandbox_database_url: SecretStr | None = Field(
        None,
        description="Database of the sandbox registry (secret); unset: the provisioning database.",
    )
    sandbox_latency_ms: int = Field(
        0, ge=0, le=60_000, description="Latency the sandbox adds to every operation."
    )
    sandbox_failure_rate: float = Field(
        0.0, ge=0.0, le=1.0, description="Share of sandbox operations that fail transiently."
    )
    sandbox_transfer_pending_seconds: float = Field(
        0.0,
        ge=0.0,
        le=30 * 86_400,
        description="0: the sandbox approves a transfer at once. More: it answers 'pending' "
        "and approves it after that many seconds unless the losing registrar rejects it or "
        "the gaining one cancels it first (`provisioning sandbox transfer`).",
    )

    # --- relay -------------------------------------------------------------------
    relay_max_attempts: int = Field(
        5,
        ge=1,
        le=1000,
        description="Attempts at publishing an outbox row that fails for a reason of its own "
        "(too big for the broker, not encodable) before it is parked; the later rows of its "
        "key wait with it, every other key flows on (`provisioning outbox list|retry|drop`).",
    )

    # --- operations ---------------------------------------------------------------
    metrics_port: int | None = Field(
        None,
        ge=0,
        le=65535,
        description="Serve /metrics and /healthz on this port (0: any free port; unset: off). "
        "`provisioning run` gives its children consecutive ports from it.",
    )
    metrics_host: str = Field("127.0.0.1", description="Address the metrics server binds to.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level of every component."
    )
    log_format: Literal["auto", "json", "text"] = Field(
        "auto", description="auto: JSON lines unless stderr is a terminal."
    )

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def _check_bootstrap(cls, value: str) -> str:
        servers = [part.strip() for part in value.split(",") if part.strip()]
        if not servers:
            raise ValueError("needs at least one host:port")
        for server in servers:
            host, sep, port = server.rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"{server!r} is not host:port with a port in 1..65535")
        return ",".join(servers)

    @field_validator("topic_orders", "topic_actions", "topic_outcomes", "topic_order_status")
    @classmethod
    def _check_topic(cls, value: str) -> str:
        allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        if not value or len(value) > 249 or not set(value) <= allowed:
            raise ValueError("a topic name is 1..249 characters of letters, digits, '.', '_', '-'")
        return value

    @field_validator(
        "database_url", "admin_database_url", "sandbox_database_url", "acme_database_url"
    )
    @classmethod
    def _check_database_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
            ("postgresql://", "postgres://")
        ):
            raise ValueError("must be a postgresql:// URL")
        return value

    def kafka_config(self, **extra: Any) -> dict[str, Any]:
        """librdkafka configuration common to every client, plus ``extra``."""
        config: dict[str, Any] = {
            "bootstrap.servers": self.kafka_bootstrap_servers,
            "client.id": self.kafka_client_id,
            "security.protocol": self.kafka_security_protocol,
        }
        optional: dict[str, str | SecretStr | None] = {
            "sasl.mechanism": self.kafka_sasl_mechanism,
            "sasl.username": self.kafka_sasl_username,
            "sasl.password": self.kafka_sasl_password,
            "ssl.ca.location": self.kafka_ssl_ca_location,
            "ssl.certificate.location": self.kafka_ssl_certificate_location,
            "ssl.key.location": self.kafka_ssl_key_location,
            "ssl.key.password": self.kafka_ssl_key_password,
        }
        for key, value in optional.items():
            if value is not None:
                config[key] = value.get_secret_value() if isinstance(value, SecretStr) else value
        config.update(extra)
        return config

    def admin_url(self) -> str:
        """The owner's URL: admin_database_url, else database_url."""
        return (self.admin_database_url or self.database_url).get_secret_value()

    def dlq_topic(self, topic: str) -> str:
        """The dead-letter topic of ``topic``."""
        return topic + self.dlq_suffix

    def describe(self) -> list[tuple[str, str, str]]:
        """(variable, value, description) rows, secrets masked: safe to print."""
        rows = []
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            shown = "" if value is None else str(value)  # SecretStr prints as '**********'
            rows.append((ENV_PREFIX + name.upper(), shown, field.description or ""))
        return rows


def load_settings(**overrides: Any) -> Settings:
    """Read the settings from the environment; raise ConfigError naming each bad variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe_errors(exc)) from None


def _describe_errors(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        field = str(error["loc"][0]) if error["loc"] else "?"
        lines.append(f"{ENV_PREFIX}{field.upper()}: {error['msg']}")
    return "invalid configuration:\n  " + "\n  ".join(lines)


__all__ = ["ENV_PREFIX", "AcmeAccount", "BackendRoute", "Settings", "load_settings"]
