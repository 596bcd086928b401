"""Work that a transaction's domain events note and that is done once it commits, in a session of its own:
the stored forecast's refresh (tracker/stored_forecast.py) and the dashboard's tallies (tracker/tallies.py).

The receivers of the events add keys to `pending()` inside the change's transaction; after its commit the
work runs over them, and a rollback drops them. Within `deferred()` (a bulk change of many tasks, each in
its own transaction) the keys of every commit are kept and the work runs once, at the end. A failure of
the work is logged, not raised: the change is committed, and the periodic pass repairs what it missed.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from .extensions import db

log = logging.getLogger(__name__)


class AfterCommit:
    """`work(session, *sets)` over the `size` sets of keys noted in a transaction, once it commits (give a
    lambda that names the module's function, so that the function is looked up when the work runs)."""

    def __init__(self, name: str, size: int, work: Callable[..., object]) -> None:
        self.name, self.size, self.work = name, size, work
        self.pending_key, self.deferred_key = f"tracker.{name}_pending", f"tracker.{name}_deferred"
        event.listen(Session, "after_commit", self._after_commit)
        event.listen(Session, "after_rollback", self._after_rollback)

    def pending(self) -> tuple[set, ...]:
        """The keys noted in this transaction so far (add to them)."""
        return db.session.info.setdefault(self.pending_key, tuple(set() for _ in range(self.size)))

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Within the block each commit keeps what it noted; the work is done once, at the end, over all
        of it. A rollback inside keeps what earlier commits noted: redoing work on keys that did not move
        is only wasted work."""
        db.session.info[self.deferred_key] = True
        try:
            yield
        finally:
            db.session.info.pop(self.deferred_key, None)
            self._run(db.session.info.pop(self.pending_key, None))

    def _after_commit(self, session: Session) -> None:
        if not session.info.get(self.deferred_key):
            self._run(session.info.pop(self.pending_key, None))

    def _after_rollback(self, session: Session) -> None:
        if not session.info.get(self.deferred_key):
            session.info.pop(self.pending_key, None)

    def _run(self, pending: tuple[set, ...] | None) -> None:
        if pending and any(pending) and has_app_context():
            try:
                with Session(db.engine) as own:
                    self.work(own, *pending)
            except Exception:  # the change is committed; the periodic pass repairs what this missed
                log.exception("after a commit, the %s work failed", self.name)
