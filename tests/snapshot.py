"""A digest of everything in the database, to prove that a refused request wrote nothing."""
from __future__ import annotations

import hashlib
from functools import cache

from tracker.extensions import db

# Columns that reading touches (a token's or a session's last use): not a write by the request's intent.
VOLATILE_COLUMNS = {"last_used_at", "last_seen_at", "last_active_at"}


class Digest(dict):
    """Table name -> digest of its rows; compares equal when every table is unchanged."""

    def changed(self, other: Digest) -> list[str]:
        return sorted(name for name in self.keys() | other.keys() if self.get(name) != other.get(name))


@cache
def _queries() -> tuple[tuple[str, str], ...]:
    """One plain SELECT per table, written once (the digest runs around thousands of requests)."""
    queries = []
    for table in db.metadata.sorted_tables:
        columns = ", ".join(f'"{c.name}"' for c in table.columns if c.name not in VOLATILE_COLUMNS)
        order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
        queries.append((table.name, f'SELECT {columns} FROM "{table.name}" ORDER BY {order}'))
    return tuple(queries)


def database_digest(skip_tables: frozenset[str] = frozenset()) -> Digest:
    """A digest of every row of every table (but `skip_tables`), less the volatile columns. Ends the
    session's transaction."""
    db.session.rollback()
    connection = db.session.connection()
    digest = Digest()
    for name, query in _queries():
        if name not in skip_tables:
            rows = connection.exec_driver_sql(query).fetchall()
            digest[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    db.session.rollback()
    return digest
