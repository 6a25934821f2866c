"""The project's one exception family.

Every error the pipeline raises on purpose derives from :class:`ProvisioningError`
and carries a message a person can act on. Errors from libraries (psycopg,
confluent-kafka, fastavro) are wrapped at the boundary into one of these.
"""

from __future__ import annotations


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


__all__ = [
    "ConfigError",
    "MissingToolError",
    "PortInUseError",
    "ProvisioningError",
    "StackError",
]
