"""Migrations are tested, not trusted.

The versioned migrations include the table files (``\\ir ../tables/…``), so comparing a
database they build with one built from ``db/tables`` compares the files with themselves.
The reference is instead ``db/schema.sql``: the schema the migrations built when the latest
of them was released (``pg_dump --schema-only``, normalised, plus the rows the migrations
insert), with the checksum of every migration it was taken at. A table file edited without
a migration changes what the migrations build (and the checksum of the released migration
that includes it): both tests below fail. Adding a migration means regenerating the file::

    .venv/bin/pytest tests/db/test_migrations.py --update-schema

Also: an upgrade twice is a no-op, concurrent upgrades apply each migration once, a changed
released migration is refused, and migration file names follow the pattern.
"""

from __future__ import annotations

import difflib
import re
import subprocess
import threading
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from provisioning.localstack import postgres_bindir
from provisioning.migrations import MigrationError, apply_schema_files, upgrade
from provisioning.sqlfiles import (
    SqlFile,
    db_dir,
    migrations,
    query,
    read_expanded,
    repeatable_files,
    table_files,
)
from tests.conftest import DatabaseFactory

pytestmark = [pytest.mark.postgres]

REFERENCE = Path(__file__).resolve().parents[2] / "db" / "schema.sql"
REGENERATE = ".venv/bin/pytest tests/db/test_migrations.py --update-schema"
_RECORDED = re.compile(r"^-- migration (\S+) sha256:([0-9a-f]{64})$", re.MULTILINE)
# pg_dump lines that vary between runs and versions, not with the schema
_DUMP_NOISE = re.compile(
    r"^(\\(un)?restrict .*"  # a random key per dump (PostgreSQL 17.6, 16.10, 15.14 on)
    r"|-- Dumped (from|by) .*"
    r"|-- PostgreSQL database dump( complete)?"
    r"|SET \w+ = .*;"  # session settings; each version has its own list
    r"|SELECT pg_catalog\.set_config\('search_path', '', false\);)$"
)


def _snapshot(url: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(url) as conn:
        return [tuple(row) for row in conn.execute(query("schema_migration", "catalog_snapshot"))]


def _pg_dump_schema(url: str) -> str:
    """``pg_dump --schema-only`` of ``url``, without what varies between runs and versions."""
    dump = subprocess.run(
        [str(postgres_bindir() / "pg_dump"), "--schema-only", "--no-owner", "--dbname", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    lines = [line for line in dump.splitlines() if not _DUMP_NOISE.match(line)]
    # a bare "--" pair is all that is left of a comment block whose text was removed
    text = re.sub(r"^--\n--$", "", "\n".join(lines), flags=re.MULTILINE)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


def _generated(default: str | None) -> bool:
    return default is not None and any(
        call in default for call in ("gen_random_uuid()", "now()", "nextval(")
    )


def _rows(url: str) -> str:
    """The rows in ``url``'s tables as INSERT statements, without generated values (ids)."""
    out: list[str] = []
    with psycopg.connect(url) as conn:
        tables = conn.execute(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p')"
            "   AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            "   AND c.relname NOT IN ('schema_migration', 'schema_repeatable')"
            " ORDER BY n.nspname, c.relname"
        ).fetchall()
        for (table,) in tables:
            columns = [
                name
                for name, default in conn.execute(
                    "SELECT attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attribute a"
                    " LEFT JOIN pg_attrdef d ON (d.adrelid, d.adnum) = (a.attrelid, a.attnum)"
                    " WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped"
                    " ORDER BY a.attnum",
                    (table,),
                )
                if not _generated(default)
            ]
            if not columns:
                continue
            values = sql.SQL(", ").join(
                sql.SQL("quote_nullable({})").format(sql.Identifier(c)) for c in columns
            )
            rows = conn.execute(
                sql.SQL("SELECT concat_ws(', ', {}) AS r FROM ONLY {} ORDER BY r").format(
                    values, sql.SQL(table)
                )
            ).fetchall()
            if rows:
                listed = ", ".join(columns)
                tuples = ",\n".join(f"    ({row[0]})" for row in rows)
                out.append(f"INSERT INTO {table} ({listed}) VALUES\n{tuples};\n")
    return "\n".join(out)


def _schema_of(url: str) -> str:
    """What the reference holds of a database: its schema, then its rows."""
    return (
        _pg_dump_schema(url)
        + "\n\n-- Rows the migrations insert (their generated ids, dates and serials left out).\n\n"
        + _rows(url)
    )


def _reference_header() -> str:
    lines = [
        "-- The schema the versioned migrations (db/migrations) build, as of the last one below.",
        "-- Generated: pg_dump --schema-only --no-owner of a database built by applying the",
        "-- migrations in order, normalised, then the rows they insert. Never edit it by hand:",
        "-- tests/db/test_migrations.py proves the migrations still build exactly this, and",
        f"-- regenerates it after a new migration: {REGENERATE}",
        "--",
    ]
    lines += [f"-- migration {m.name} sha256:{m.checksum}" for m in migrations()]
    return "\n".join(lines) + "\n\n"


def _reference() -> tuple[dict[str, str], str]:
    """(the migrations db/schema.sql was taken at, by name: their checksums; its body)."""
    assert REFERENCE.exists(), f"{REFERENCE} is missing: generate it with {REGENERATE}"
    header, _, body = REFERENCE.read_text().partition("\n\n")
    return dict(_RECORDED.findall(header)), body


def _released_changes() -> list[str]:
    """How the migrations differ from those db/schema.sql was taken at."""
    recorded, _ = _reference()
    current = {m.name: m for m in migrations()}
    problems = []
    for name, checksum in recorded.items():
        if name not in current:
            problems.append(f"{name} was released and is gone")
        elif current[name].checksum != checksum:
            included = len(re.findall(r"^-- from ", current[name].text, re.MULTILINE))
            hint = f" (or one of the {included} files it includes)" if included else ""
            problems.append(
                f"{name}{hint} changed after its release: a released migration must not "
                "change (`db upgrade` refuses every database that applied it); put the change "
                "in a new migration"
            )
    return problems


def test_released_migrations_are_the_ones_the_reference_schema_was_taken_at() -> None:
    recorded, _ = _reference()
    assert "migrations/0001_baseline.sql" in recorded, f"no migration recorded in {REFERENCE}"
    assert _released_changes() == []
    newer = [m.name for m in migrations() if m.name not in recorded]
    assert newer == [], f"{REFERENCE} predates {newer}: regenerate it with {REGENERATE}"


def test_the_migrations_build_the_reference_schema(
    make_database: DatabaseFactory, request: pytest.FixtureRequest
) -> None:
    built = make_database()
    apply_schema_files(built, migrations())  # in order, as `db upgrade` applies them
    schema = _schema_of(built)
    assert schema.count("CREATE TABLE") > 20  # a real schema, not an empty dump

    if request.config.getoption("--update-schema"):
        if REFERENCE.exists():  # never rewritten over a changed release
            assert _released_changes() == []
        REFERENCE.write_text(_reference_header() + schema)
        pytest.skip(f"wrote {REFERENCE}")
    _, reference = _reference()
    diff = "".join(
        difflib.unified_diff(
            reference.splitlines(keepends=True),
            schema.splitlines(keepends=True),
            "db/schema.sql",
            "built by db/migrations",
            n=2,
        )
    )
    assert not diff, (
        "the migrations no longer build db/schema.sql: a table file changed without a "
        f"migration, or a new migration needs `{REGENERATE}`\n{diff[:6000]}"
    )


def test_the_reference_schema_and_the_migrations_make_the_same_database(
    make_database: DatabaseFactory,
) -> None:
    """procrastinate's pair: one database from the migrations (the real runner, with the
    stored procedures, triggers and roles on top), one from db/schema.sql and the same
    repeatable files; every column, constraint, index, function, trigger, grant and
    inserted row alike."""
    by_migrations = make_database()
    upgrade(by_migrations)
    from_reference = make_database()
    apply_schema_files(
        from_reference, [SqlFile("schema.sql", REFERENCE.read_text()), *repeatable_files()]
    )

    migrated, reference = _snapshot(by_migrations), _snapshot(from_reference)
    assert len(reference) > 100  # tables, columns, functions, triggers: a real schema
    missing = sorted(set(reference) - set(migrated))
    extra = sorted(set(migrated) - set(reference))
    assert (missing, extra) == ([], [])
    assert _rows(by_migrations) == _rows(from_reference)


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


def test_a_table_a_new_migration_adds_is_bound_by_the_unchanged_trigger_files(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(database_url)
    copy = tmp_path / "db"
    _copy_tree(db_dir(), copy)
    version = len(migrations()) + 1
    (copy / "migrations" / f"{version:04d}_audited_note.sql").write_text(
        "CREATE TABLE audited_note (id INT PRIMARY KEY, body TEXT) INHERITS (class.audit_trail);\n"
    )
    monkeypatch.setenv("PROVISIONING_DB_DIR", str(copy))

    report = upgrade(database_url)
    assert report.applied == [f"migrations/{version:04d}_audited_note.sql"]
    assert len(report.reapplied) == len(repeatable_files())  # none of them changed
    with psycopg.connect(database_url) as conn:
        triggers = {
            row[0]
            for row in conn.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audited_note'::regclass"
            )
        }
    assert {"trg_20_touch", "trg_30_audit", "trg_30_audit_insert"} <= triggers


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
