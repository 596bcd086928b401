"""A digest of everything in the database, to prove that a refused request wrote nothing."""
from __future__ import annotations

import hashlib

import sqlalchemy as sa

from tracker.extensions import db

# Columns that reading touches (a token's or a session's last use): not a write by the request's intent.
VOLATILE_COLUMNS = {"last_used_at", "last_seen_at", "last_active_at"}


def database_digest() -> str:
    """A digest of every row of every table, less the volatile columns. Ends the session's transaction."""
    db.session.rollback()
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name not in VOLATILE_COLUMNS]
        rows = db.session.execute(sa.select(*columns).order_by(*table.primary_key.columns)).all()
        digest.update(f"{table.name}:{rows!r}".encode())
    db.session.rollback()
    return digest.hexdigest()
