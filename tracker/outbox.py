"""After-commit delivery. Emails and webhook calls are written to tables in the same transaction as the
change that caused them and sent only once it commits, so a rolled-back change sends nothing and a
failing mail or web server never loses or blocks the change; failures are retried with backoff by
`flask --app tracker deliver` (run it from cron)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime, timedelta

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from .extensions import db
from .models import OutboxEmail, WebhookDelivery, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
LOCK = timedelta(minutes=5)  # a sender that died mid-send releases its claim after this long
_QUEUED = "tracker.after_commit"
_executor: ThreadPoolExecutor | None = None
_running: set[Future] = set()
# Who sends each kind of row: the areas that queue rows register here (tracker/subscribers.py).
Sender = Callable[[Session, int, datetime], bool]
_senders: dict[str, Sender] = {}


def register_sender(kind: str, send: Sender) -> None:
    """Let `send(session, row_id, now) -> sent?` deliver the outbox rows of `kind` ("mail", "webhook")."""
    _senders[kind] = send


def backoff(attempts: int) -> timedelta:
    """The wait before the next try after `attempts` failures: 30 s, 1 min, 2 min, … at most 6 h."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 6 * 3600))


def queue_after_commit(kind: str, row_id: int) -> None:
    """Remember to send outbox row `row_id` ("mail" or "webhook") once the current transaction commits."""
    db.session.info.setdefault(_QUEUED, []).append((kind, row_id))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    queued = session.info.pop(_QUEUED, None)
    if queued and has_app_context():
        _dispatch(current_app._get_current_object(), queued)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    # The rows were rolled back with the change: there is nothing to send.
    session.info.pop(_QUEUED, None)


def delivery_mode(app: Flask) -> str:
    return app.config.get("DELIVERY") or ("inline" if app.testing else "background")


def _dispatch(app: Flask, queued: list[tuple[str, int]]) -> None:
    mode = delivery_mode(app)
    if mode == "inline":
        deliver(app, queued)
    elif mode == "background":
        global _executor
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="tracker-delivery")
        future = _executor.submit(_deliver_in_context, app, queued)
        _running.add(future)
        future.add_done_callback(_running.discard)


def drain(timeout: float | None = None) -> None:
    """Wait for background sends started so far (the command-line tools call this before exiting)."""
    wait(list(_running), timeout=timeout)


def _deliver_in_context(app: Flask, queued: list[tuple[str, int]]) -> None:
    with app.app_context():
        deliver(app, queued)


def deliver(app: Flask, queued: list[tuple[str, int]], now: datetime | None = None) -> dict[str, int]:
    """Try to send the given rows now; returns how many of each kind were sent."""
    sent = dict.fromkeys(_senders, 0)
    # A session of its own: this may run inside the committing session's after_commit hook.
    with Session(db.engine) as session:
        for kind, row_id in queued:
            try:
                if _senders[kind](session, row_id, now or utcnow()):
                    sent[kind] += 1
            except Exception:  # a bug in one send must not stop the others; the row stays queued
                session.rollback()
                log.exception("delivering %s %s failed", kind, row_id)
    return sent


def deliver_due(now: datetime | None = None) -> dict[str, int]:
    """Send every queued email and webhook call whose next attempt is due (what `flask deliver` runs)."""
    now = now or utcnow()
    emails = db.session.scalars(
        select(OutboxEmail.id)
        .where(
            OutboxEmail.sent_at.is_(None), OutboxEmail.failed_at.is_(None), OutboxEmail.next_attempt_at <= now
        )
        .order_by(OutboxEmail.id)
    ).all()
    calls = db.session.scalars(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.id)
    ).all()
    db.session.rollback()  # end the read transaction before the sends
    return deliver(
        current_app._get_current_object(),
        [("mail", i) for i in emails] + [("webhook", i) for i in calls],
        now,
    )


def claim(session: Session, model, row_id: int, now: datetime, *pending) -> bool:
    """Take a row for sending, atomically, so two senders (a thread and cron) never send it twice."""
    result = session.execute(
        update(model)
        .where(
            model.id == row_id,
            model.next_attempt_at <= now,
            *pending,
            or_(model.locked_until.is_(None), model.locked_until < now),
        )
        .values(locked_until=now + LOCK)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def record_failure(row, now: datetime, error: str) -> bool:
    """Count a failed attempt and schedule the next one; True when the row has run out of attempts."""
    row.attempts += 1
    row.last_error = error[:500]
    row.locked_until = None
    row.next_attempt_at = now + backoff(row.attempts)
    return row.attempts >= MAX_ATTEMPTS
