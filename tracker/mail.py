"""Email: queued in the outbox with the change that causes it, sent over SMTP after commit, and the
daily digest of what is overdue or due today, written at 08:00 in each user's own time zone."""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, has_request_context, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from . import outbox, zones
from .extensions import db
from .formatting import local_time, one_line
from .models import DigestRun, OutboxEmail, Task, User, utcnow
from .preferences import channels
from .tasks import assigned_with_deadline

log = logging.getLogger(__name__)

DIGEST_HOUR = time(8, 0)


def mail_enabled() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def absolute_url(path: str) -> str:
    """A link for an email or a feed. BASE_URL wins over the request's Host header, which a client sets."""
    base = current_app.config.get("BASE_URL") or (request.host_url if has_request_context() else "")
    return (base or "http://localhost:5000").rstrip("/") + path


def queue_email(to: User, subject: str, template: str, **context) -> OutboxEmail | None:
    """Write an email to the outbox (text and HTML from templates/mail/<template>.txt/.html); it is sent
    after the surrounding transaction commits. Nothing is queued when mail is not configured."""
    if not mail_enabled():
        return None
    context = {"user": to, **context}
    row = OutboxEmail(
        to_address=to.email,
        subject=one_line(subject),
        text_body=_render(f"mail/{template}.txt", context),
        html_body=_render(f"mail/{template}.html", context),
        next_attempt_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    outbox.queue_after_commit("mail", row.id)
    return row


def _render(name: str, context: dict) -> str:
    # Straight from the Jinja environment: the page context processors need a request and a login,
    # and mail is also written from the command line. The .html templates are autoescaped.
    return current_app.jinja_env.get_template(name).render(context)


def build_message(row: OutboxEmail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Message-ID"] = make_msgid(idstring=f"outbox{row.id}", domain="tracker")
    message.set_content(row.text_body)
    message.add_alternative(row.html_body, subtype="html")
    return message


def _smtp_send(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]) as smtp:
        if config.get("MAIL_USE_TLS"):
            # smtplib's default context checks nothing: verify the server's certificate and name.
            smtp.starttls(context=ssl.create_default_context(cafile=config.get("MAIL_CA_FILE") or None))
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)


def send_outbox_email(session: Session, row_id: int, now: datetime) -> bool:
    """Send one queued email if it is due and nobody else is sending it; True when it went out."""
    if not mail_enabled():
        return False
    pending = (OutboxEmail.sent_at.is_(None), OutboxEmail.failed_at.is_(None))
    if not outbox.claim(session, OutboxEmail, row_id, now, *pending):
        return False
    row = session.get(OutboxEmail, row_id)
    try:
        _smtp_send(build_message(row, current_app.config["MAIL_SENDER"]))
    except (OSError, smtplib.SMTPException) as exc:
        if outbox.record_failure(row, now, f"{type(exc).__name__}: {exc}"):
            row.failed_at = now
        log.warning("email %s to %s failed (attempt %s): %s", row.id, row.to_address, row.attempts, exc)
        session.commit()
        return False
    row.attempts += 1
    row.sent_at, row.locked_until, row.last_error = now, None, None
    session.commit()
    return True


# The daily digest -----------------------------------------------------------------------------------


def digest_due(user: User, now: datetime) -> date | None:
    """The user's local date when it is 08:00 or later there, else None."""
    local = now.astimezone(zones.named(user.timezone))
    return local.date() if local.time() >= DIGEST_HOUR else None


def send_digests(now: datetime | None = None) -> int:
    """Queue each user's digest once per local day, from 08:00 their time; returns how many were queued.

    Safe to run as often as you like (cron every 10 minutes): a DigestRun row, written in the same
    transaction as the email, marks the day as done, and its primary key stops a parallel run.
    """
    if not mail_enabled():
        return 0
    now = now or utcnow()
    users = _digest_pending(now)
    if not users:
        return 0
    by_user = _tasks_due_soon(users, now)
    wants_digest = channels([u.id for u in users], "digest")
    queued = 0
    for user in users:
        day = digest_due(user, now)
        db.session.add(DigestRun(user_id=user.id, local_date=day, created_at=now))
        wanted = wants_digest[user.id] == "email" and _queue_digest(user, day, by_user.get(user.id, []), now)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # another run wrote this user's digest first
        else:
            queued += wanted
    return queued


def _digest_pending(now: datetime) -> list[User]:
    """Users for whom it is 08:00 or later and whose digest of that local day is not written yet."""
    done_today = set(
        db.session.execute(
            select(DigestRun.user_id, DigestRun.local_date).where(
                DigestRun.local_date >= (now - timedelta(days=1)).date()
            )
        ).all()
    )
    return [
        u
        for u in db.session.scalars(select(User).order_by(User.id))
        if (day := digest_due(u, now)) and (u.id, day) not in done_today
    ]


def _tasks_due_soon(users: list[User], now: datetime) -> dict[int, list[Task]]:
    """Every open task of these users due before the end of tomorrow (UTC), per assignee, in one query;
    each user's own "today" is cut out of it later."""
    tasks = db.session.scalars(
        assigned_with_deadline()
        .options(joinedload(Task.team))
        .where(Task.assignee_id.in_([u.id for u in users]), Task.due_at < now + timedelta(days=2))
        .order_by(Task.due_at, Task.id)
    ).all()
    by_user: dict[int, list[Task]] = {}
    for task in tasks:
        by_user.setdefault(task.assignee_id, []).append(task)
    return by_user


def _queue_digest(user: User, day: date, tasks: list[Task], now: datetime) -> bool:
    """Queue the user's digest of `day` if anything is overdue or due that day; True when queued."""
    end_of_today = datetime.combine(day + timedelta(days=1), time(), zones.named(user.timezone))
    mine = [t for t in tasks if t.due_at < end_of_today]
    overdue = [t for t in mine if t.due_at < now]
    today = [t for t in mine if t.due_at >= now]
    if not (overdue or today):
        return False
    queue_email(
        user,
        f"Your day: {len(overdue)} overdue, {len(today)} due today",
        "digest",
        day=day,
        overdue=[_digest_item(t, user) for t in overdue],
        today=[_digest_item(t, user) for t in today],
    )
    return True


def _digest_item(task: Task, user: User) -> dict:
    return {
        "title": f"#{task.id} {one_line(task.title)}",
        "team": task.team.name,
        "due": local_time(task.due_at, user.timezone, label=True),
        "url": absolute_url(f"/tasks/{task.id}"),
    }
