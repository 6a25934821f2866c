"""Migrations are tested, not trusted: equal to the schema files, idempotent, concurrent."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import psycopg
import pytest

from provisioning.migrations import MigrationError, apply_schema_files, upgrade
from provisioning.sqlfiles import (
    db_dir,
    migrations,
    query,
    read_expanded,
    repeatable_files,
    table_files,
)
from tests.conftest import DatabaseFactory

pytestmark = [pytest.mark.postgres]


def _snapshot(url: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(url) as conn:
        return [tuple(row) for row in conn.execute(query("schema_migration", "catalog_snapshot"))]


def test_migrations_build_the_same_database_as_the_schema_files(
    make_database: DatabaseFactory,
) -> None:
    by_migrations = make_database()
    upgrade(by_migrations)
    from_files = make_database()
    apply_schema_files(from_files, [*table_files(), *repeatable_files()])

    migrated, reference = _snapshot(by_migrations), _snapshot(from_files)
    assert len(reference) > 100  # tables, columns, functions, triggers: a real schema
    missing = sorted(set(reference) - set(migrated))
    extra = sorted(set(migrated) - set(reference))
    assert (missing, extra) == ([], [])


def test_upgrade_twice_is_a_no_op_the_second_time(database_url: str) -> None:
    first = upgrade(database_url)
    assert first.applied == [m.name for m in migrations()]
    assert len(first.reapplied) == len(repeatable_files())
    before = _snapshot(database_url)

    second = upgrade(database_url)
    assert not second.changed
    assert second.summary() == "database is up to date"
    assert _snapshot(database_url) == before


def test_concurrent_upgrades_apply_each_migration_once(database_url: str) -> None:
    reports = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            reports.append(upgrade(database_url))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(len(r.applied) for r in reports) == [0, 0, 0, len(migrations())]
    with psycopg.connect(database_url) as conn:
        count = conn.execute("SELECT count(*) FROM schema_migration").fetchone()
    assert count == (len(migrations()),)


def test_a_changed_stored_procedure_is_reapplied(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(database_url)
    copy = tmp_path / "db"
    _copy_tree(db_dir(), copy)
    helper = sorted((copy / "stored-procedures").rglob("*.sql"))[0]
    helper.write_text(helper.read_text() + "\n-- a comment changes the checksum\n")
    monkeypatch.setenv("PROVISIONING_DB_DIR", str(copy))

    report = upgrade(database_url)
    assert report.applied == []
    assert report.reapplied == [str(helper.relative_to(copy))]


def test_a_changed_released_migration_is_refused(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(database_url)
    copy = tmp_path / "db"
    _copy_tree(db_dir(), copy)
    table = sorted((copy / "tables").glob("*.sql"))[0]  # released in 0001
    table.write_text(table.read_text() + "\nCREATE TABLE sneaked_in (id INT);\n")
    monkeypatch.setenv("PROVISIONING_DB_DIR", str(copy))

    with pytest.raises(MigrationError, match=r"0001_baseline\.sql changed after it was applied"):
        upgrade(database_url)


def test_migration_file_names_follow_the_pattern() -> None:
    names = [path.name for path in (db_dir() / "migrations").iterdir()]
    assert names
    for name in names:
        assert re.fullmatch(r"\d{4}_[a-z0-9_]+\.sql", name), name
    versions = [m.version for m in migrations()]
    assert versions == list(range(1, len(versions) + 1))


def test_every_table_file_is_in_a_migration() -> None:
    included = "\n".join(read_expanded(db_dir() / m.name) for m in migrations())
    for table in table_files():
        assert f"-- from {Path(table.name).name}" in included, table.name


def test_every_stored_procedure_file_defines_the_function_it_is_named_after() -> None:
    for item in repeatable_files():
        path = Path(item.name)
        if path.parts[0] != "stored-procedures":
            continue
        assert re.search(
            rf"CREATE OR REPLACE FUNCTION\s+(\w+\.)?{re.escape(path.stem)}\s*\(",
            item.text,
            re.IGNORECASE,
        ), item.name


def _copy_tree(source: Path, target: Path) -> None:
    for path in source.rglob("*"):
        if path.is_file():
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(path.read_bytes())
