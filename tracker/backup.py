"""Backups of a SQLite database: a consistent copy of the live file made with SQLite's online backup API
while the app keeps writing, and putting such a copy back. PostgreSQL has its own tools (pg_dump and
pg_restore, see the README); these functions refuse it with that advice."""
from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from .errors import DomainError

# How long to wait for a lock (a checkpoint, or a writer when restoring) before giving up, in seconds.
LOCK_TIMEOUT = 30
PG_ADVICE = (
    "The database is PostgreSQL: back it up with pg_dump instead, e.g. "
    "pg_dump --format=custom --file=tracker.dump \"$PG_URL\", and restore with "
    "pg_restore --clean --if-exists --no-owner --dbname=\"$PG_URL\" tracker.dump, where PG_URL is "
    "DATABASE_URL without the driver (postgresql://…, not postgresql+psycopg://…)."
)


class BackupRefused(DomainError):
    title = "Backup refused"


@dataclass(frozen=True)
class Copy:
    """What a backup or restore copied: the file written and its size, and its schema revision."""

    path: Path
    size: int
    revision: str | None


def database_file(engine: Engine) -> Path:
    """The file of a SQLite database; BackupRefused for PostgreSQL (use pg_dump) or an in-memory one."""
    url, backend = engine.url, engine.url.get_backend_name()
    if backend == "postgresql":
        raise BackupRefused(PG_ADVICE)
    if backend != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupRefused(f"Only SQLite files and PostgreSQL can be backed up, not {backend}.")
    return Path(url.database).resolve()


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=LOCK_TIMEOUT, isolation_level=None)


def _check(path: Path) -> str | None:
    """The schema revision of a sound Tracker database file; BackupRefused for anything else."""
    try:
        with contextlib.closing(_connect(path)) as connection:
            if connection.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupRefused(f"{path} is damaged (PRAGMA integrity_check fails).")
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:  # not a database, or not one of ours (no alembic_version)
        raise BackupRefused(f"{path} is not a Tracker database: {exc}.") from None
    return row[0] if row else None


def backup(engine: Engine, target: str | os.PathLike) -> Copy:
    """Copy the live database to `target` in one step of the online backup API: a snapshot as of one
    moment, taken while other connections keep writing (in WAL mode they are not blocked). The copy is
    written beside `target` and renamed over it when complete, so `target` is never half a backup."""
    source = database_file(engine)
    target = Path(target).resolve()
    if target == source:
        raise BackupRefused("The backup cannot be the live database itself; choose another file.")
    if not target.parent.is_dir():
        raise BackupRefused(f"There is no directory {target.parent}.")
    handle, partial = tempfile.mkstemp(prefix=target.name + ".", suffix=".partial", dir=target.parent)
    os.close(handle)
    try:
        with contextlib.closing(_connect(source)) as live, contextlib.closing(_connect(Path(partial))) as out:
            live.backup(out)  # pages=-1: everything in one step, one consistent read of the source
            out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        revision = _check(Path(partial))
        os.replace(partial, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(partial)
    return Copy(target, target.stat().st_size, revision)


def restore(engine: Engine, backup_file: str | os.PathLike) -> Copy:
    """Replace the live database's content with a backup's, through the backup API (so the live file,
    its write-ahead log and the app's other connections stay coherent). Run it with the app stopped:
    whatever was written since the backup is lost."""
    live = database_file(engine)
    backup_file = Path(backup_file).resolve()
    if not backup_file.is_file():
        raise BackupRefused(f"There is no file {backup_file}.")
    if backup_file == live:
        raise BackupRefused("That is the live database itself, not a backup of it.")
    revision = _check(backup_file)
    engine.dispose()  # the pool's connections would otherwise keep pages of the old content cached
    with contextlib.closing(_connect(backup_file)) as source, contextlib.closing(_connect(live)) as target:
        source.backup(target)
    return Copy(live, live.stat().st_size, revision)
