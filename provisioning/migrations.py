"""``provisioning db upgrade``: bring a database to the schema in ``db/``.

Two kinds of files, as Flyway has them:

- **versioned** migrations, ``db/migrations/NNNN_name.sql``: applied once each,
  in order, each in its own transaction; their checksums are recorded and a
  database whose applied migration no longer matches its file is refused.
- **repeatable** files — stored procedures, triggers, roles — all written to be
  re-applied (``CREATE OR REPLACE``): applied after the migrations whenever
  their checksum changed, and all of them after any migration was applied.

Several processes may upgrade at once: a session advisory lock lets one work
while the others wait, then find nothing left to do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import psycopg

from provisioning.errors import ProvisioningError
from provisioning.sqlfiles import SqlFile, migrations, query, repeatable_files, seed_files


class MigrationError(ProvisioningError):
    """The database cannot be brought to the schema in ``db/``."""


@dataclass
class UpgradeReport:
    applied: list[str] = field(default_factory=list)
    reapplied: list[str] = field(default_factory=list)
    seeded: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.applied or self.reapplied)

    def summary(self) -> str:
        if not self.changed and not self.seeded:
            return "database is up to date"
        parts = []
        if self.applied:
            parts.append(f"applied {len(self.applied)} migration(s): {', '.join(self.applied)}")
        if self.reapplied:
            parts.append(f"re-applied {len(self.reapplied)} stored procedure/trigger/role file(s)")
        if self.seeded:
            parts.append(f"loaded seed data: {', '.join(self.seeded)}")
        return "; ".join(parts)


def _apply(conn: psycopg.Connection, item: SqlFile) -> None:
    try:
        with conn.transaction():
            conn.execute(query("schema_migration", "relax_function_bodies"))
            conn.execute(item.text)
    except psycopg.Error as exc:
        diag = exc.diag
        where = f" (line {diag.statement_position})" if diag.statement_position else ""
        raise MigrationError(f"{item.name}{where}: {diag.message_primary or exc}") from exc


def upgrade(database_url: str, *, seed: bool = False) -> UpgradeReport:
    """Apply what is pending; idempotent, and safe to run from several processes at once."""
    report = UpgradeReport()
    try:
        conn = psycopg.connect(database_url, autocommit=True)
    except psycopg.OperationalError as exc:
        raise MigrationError(f"cannot connect to the database: {exc}") from exc
    with conn:
        conn.execute(query("schema_migration", "lock"))
        try:
            conn.execute(query("schema_migration", "create_bookkeeping"))
            _upgrade_locked(conn, report)
            if seed:
                for item in seed_files():
                    _apply(conn, item)
                    report.seeded.append(item.name)
        finally:
            conn.execute(query("schema_migration", "unlock"))
    return report


def _upgrade_locked(conn: psycopg.Connection, report: UpgradeReport) -> None:
    applied = {
        row[0]: (row[1], row[2], row[3])
        for row in conn.execute(query("schema_migration", "applied_migrations"))
    }
    files = migrations()
    known_versions = {m.version for m in files}
    for version, (name, _, _) in applied.items():
        if version not in known_versions:
            raise MigrationError(
                f"the database has migration {version} ({name}) that db/migrations does not: "
                "it was upgraded by a newer release"
            )
    for migration in files:
        if migration.version in applied:
            name, recorded, when = applied[migration.version]
            if recorded != migration.checksum:
                raise MigrationError(
                    f"{migration.name} changed after it was applied on {when:%Y-%m-%d %H:%M}: "
                    "a released migration must not change; put the change in a new migration "
                    "(on a throwaway development database: drop it and upgrade again)"
                )
            continue
        _apply_recorded(conn, migration, "record_migration", version=migration.version)
        report.applied.append(migration.name)

    recorded_repeatables: dict[str, str] = dict(
        conn.execute(query("schema_migration", "applied_repeatables")).fetchall()
    )
    # After a migration every repeatable file is applied again, changed or not: the
    # trigger and grant files bind themselves to every table of a kind, so a table a
    # migration added is bound only when they run again after it.
    migrated = bool(report.applied)
    for item in repeatable_files():
        if migrated or recorded_repeatables.get(item.name) != item.checksum:
            _apply_recorded(conn, item, "record_repeatable")
            report.reapplied.append(item.name)


def _apply_recorded(conn: psycopg.Connection, item: SqlFile, record: str, **extra: int) -> None:
    with conn.transaction():
        _apply(conn, item)
        conn.execute(
            query("schema_migration", record),
            {"name": item.name, "checksum": item.checksum, **extra},
        )


def apply_schema_files(database_url: str, files: Iterable[SqlFile]) -> None:
    """Apply files directly, without bookkeeping: builds the reference schema in tests."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        for item in files:
            _apply(conn, item)


def status(database_url: str) -> list[tuple[str, str]]:
    """(file, state) for every versioned and repeatable file."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(query("schema_migration", "create_bookkeeping"))
        applied = {
            row[0]: row[2] for row in conn.execute(query("schema_migration", "applied_migrations"))
        }
        repeatables: dict[str, str] = dict(
            conn.execute(query("schema_migration", "applied_repeatables")).fetchall()
        )
    rows = []
    for migration in migrations():
        recorded = applied.get(migration.version)
        state = (
            "pending"
            if recorded is None
            else "applied"
            if recorded == migration.checksum
            else "CHANGED"
        )
        rows.append((migration.name, state))
    for item in repeatable_files():
        recorded = repeatables.get(item.name)
        state = (
            "pending" if recorded is None else "applied" if recorded == item.checksum else "changed"
        )
        rows.append((item.name, state))
    return rows


__all__ = ["MigrationError", "UpgradeReport", "apply_schema_files", "status", "upgrade"]
