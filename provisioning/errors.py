"""The project's one exception family.

Every error the pipeline raises on purpose derives from :class:`ProvisioningError`
and carries a message a person can act on. Errors from libraries (psycopg,
confluent-kafka, fastavro) are wrapped at the boundary into one of these.
"""

from __future__ import annotations

# The exit codes of every `provisioning` command (listed in `provisioning --help`).
EXIT_OK = 0  # done, and a check found nothing
EXIT_FAILURE = 1  # an error: the one line on stderr says what
EXIT_USAGE = 2  # the command line itself is wrong (argparse)
EXIT_FOUND = 3  # a check found something: pending migrations, parked rows, lag over a limit


def one_line(error: BaseException | str) -> str:
    """``error``'s message on one line: library messages (psycopg's) span several."""
    return "; ".join(part.strip() for part in str(error).splitlines() if part.strip())


class ProvisioningError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(ProvisioningError):
    """A setting is missing or has a bad value; the message names the variable."""


class StackError(ProvisioningError):
    """The local Kafka + PostgreSQL stack could not be started or stopped."""


class MissingToolError(StackError):
    """A program the local stack needs (java, mvn, PostgreSQL) is not installed."""


class PortInUseError(StackError):
    """A port the local stack wants is already taken by another process."""


class UnreachableError(ProvisioningError):
    """Kafka or PostgreSQL did not answer; the message names which, where, and why."""


class UsageError(ProvisioningError):
    """The command line asks for something it cannot: exit code 2, as argparse's errors."""


class DecodeError(ProvisioningError):
    """A Kafka message's bytes are not a message this system can read."""


class UnknownSchemaError(DecodeError):
    """A message names a schema (fingerprint or registry id) that no released version has."""


class InvalidRequest(ProvisioningError):
    """A request is malformed or fails validation; the message says which field and why."""


class QuarantinedMessage(ProvisioningError):
    """A message was in flight every time a consumer process died, too often to try again."""


class DeliveryError(ProvisioningError):
    """Kafka did not accept a message (after librdkafka's own retries)."""


class SchemaRegistryError(ProvisioningError):
    """The schema registry could not be used for a message (the subclasses say why)."""


class RegistryUnavailableError(SchemaRegistryError):
    """The schema registry did not answer in time, or answered with a server or auth error.

    The infrastructure's failure, not the message's: consumers and the relay retry it
    (:func:`provisioning.failures.is_transient`) and never dead-letter or park for it.
    """


class IncompatibleSchemaError(SchemaRegistryError):
    """The schema registry refused to register a schema: incompatible with the subject's
    versions under its compatibility rule, or not a valid schema."""


__all__ = [
    "EXIT_FAILURE",
    "EXIT_FOUND",
    "EXIT_OK",
    "EXIT_USAGE",
    "ConfigError",
    "DecodeError",
    "DeliveryError",
    "IncompatibleSchemaError",
    "InvalidRequest",
    "MissingToolError",
    "PortInUseError",
    "ProvisioningError",
    "QuarantinedMessage",
    "RegistryUnavailableError",
    "SchemaRegistryError",
    "StackError",
    "UnknownSchemaError",
    "UnreachableError",
    "UsageError",
    "one_line",
]
