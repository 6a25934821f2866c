"""SQL lives in files under ``db/``; this module finds and reads them by name.

- Named queries: ``db/queries/<group>.sql`` holds blocks introduced by a line
  ``-- name: <query>``; :func:`query` returns one block's SQL.
- Schema files: the ordered lists the migration runner applies (see
  ``docs/database.md``): tables once, through the versioned migrations; stored
  procedures, triggers and roles whenever they change.
- ``\\ir other.sql`` lines (psql's relative include) are expanded, so a migration
  can be applied by this runner and by ``psql -f`` alike.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from provisioning.errors import ProvisioningError


class SqlFileError(ProvisioningError):
    """A SQL file or a named query is missing or malformed."""


def db_dir() -> Path:
    """The ``db/`` directory: ``$PROVISIONING_DB_DIR`` or the one beside the package."""
    explicit = os.environ.get("PROVISIONING_DB_DIR")
    return Path(explicit) if explicit else Path(__file__).resolve().parent.parent / "db"


_NAME_LINE = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)
_INCLUDE_LINE = re.compile(r"^\\ir\s+(\S+)\s*$", re.MULTILINE)


@functools.cache
def queries(group: str) -> dict[str, str]:
    """All named queries of ``db/queries/<group>.sql``."""
    return named_blocks(db_dir() / "queries" / f"{group}.sql")


def named_blocks(path: Path) -> dict[str, str]:
    """The ``-- name: <query>`` blocks of a SQL file, by name."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise SqlFileError(f"no query file {path}") from None
    names = list(_NAME_LINE.finditer(text))
    if not names:
        raise SqlFileError(f"{path} has no '-- name: <query>' block")
    found: dict[str, str] = {}
    for index, match in enumerate(names):
        end = names[index + 1].start() if index + 1 < len(names) else len(text)
        body = text[match.end() : end].strip().rstrip(";").strip()
        if match.group(1) in found:
            raise SqlFileError(f"{path}: query {match.group(1)!r} is defined twice")
        found[match.group(1)] = body
    return found


def query(group: str, name: str) -> str:
    """The SQL of query ``name`` in ``db/queries/<group>.sql``."""
    try:
        return queries(group)[name]
    except KeyError:
        raise SqlFileError(f"db/queries/{group}.sql has no query {name!r}") from None


def read_expanded(path: Path, _seen: tuple[Path, ...] = ()) -> str:
    """The file's text with every ``\\ir file`` line replaced by that file's text."""
    if path in _seen:
        raise SqlFileError(f"include cycle: {' -> '.join(map(str, (*_seen, path)))}")
    text = path.read_text()

    def include(match: re.Match[str]) -> str:
        target = (path.parent / match.group(1)).resolve()
        if not target.exists():
            raise SqlFileError(f"{path}: included file {match.group(1)} does not exist")
        return f"-- from {target.name}\n" + read_expanded(target, (*_seen, path))

    return _INCLUDE_LINE.sub(include, text)


def checksum(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class SqlFile:
    """One file to apply, with its expanded text and checksum."""

    name: str  # path relative to db/, as recorded in the database
    text: str

    @property
    def checksum(self) -> str:
        return checksum(self.text)


_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration(SqlFile):
    version: int


def migrations() -> list[Migration]:
    """The versioned migrations, ``db/migrations/NNNN_name.sql``, in version order."""
    root = db_dir()
    found: list[Migration] = []
    for path in sorted((root / "migrations").glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match is None:
            raise SqlFileError(f"{path.name}: migration files are named NNNN_lower_snake.sql")
        found.append(
            Migration(
                name=str(path.relative_to(root)),
                text=read_expanded(path),
                version=int(match.group(1)),
            )
        )
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise SqlFileError(f"two migrations share a version number: {versions}")
    return found


def table_files() -> list[SqlFile]:
    """``db/tables/*.sql`` in name order: the current schema of the tables."""
    root = db_dir()
    return [
        SqlFile(str(path.relative_to(root)), path.read_text())
        for path in sorted((root / "tables").glob("*.sql"))
    ]


def repeatable_files() -> list[SqlFile]:
    """Stored procedures, then triggers, then roles: re-applied whenever they change."""
    root = db_dir()
    paths = [
        *sorted((root / "stored-procedures").rglob("*.sql")),
        *sorted((root / "triggers").glob("*.sql")),
        *sorted(root.glob("roles.sql")),
    ]
    return [SqlFile(str(path.relative_to(root)), path.read_text()) for path in paths]


def seed_files() -> list[SqlFile]:
    """Demo and test reference data, ``db/seed/*.sql``."""
    root = db_dir()
    return [
        SqlFile(str(path.relative_to(root)), path.read_text())
        for path in sorted((root / "seed").glob("*.sql"))
    ]


__all__ = [
    "Migration",
    "SqlFile",
    "SqlFileError",
    "db_dir",
    "migrations",
    "named_blocks",
    "queries",
    "query",
    "repeatable_files",
    "seed_files",
    "table_files",
]
