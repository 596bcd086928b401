"""Email against a real SMTP server (aiosmtpd on 127.0.0.1): sent after commit only, plain text and
HTML with a link to the task, escaped; a failing server keeps the change and is retried; the daily
digest at 08:00 in each user's zone, once."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import select, update

from tests.factories import add_to_team, make_task, make_team, make_user
from tests.support import free_port, need
from tracker import comments, events, mail, notifications, outbox, tasks
from tracker.errors import Conflict
from tracker.extensions import db
from tracker.models import OutboxEmail, Task

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def to(self, address: str):
        return [m for rcpt, m in self.messages if address in rcpt]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    try:
        yield inbox
    finally:
        controller.stop()


def mail_app(make_app, port: int, **overrides):
    """An app that sends through the SMTP server on 127.0.0.1:`port`, without TLS unless overridden."""
    settings = {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_USE_TLS": False,
        "MAIL_SENDER": "Tracker <tracker@example.test>",
        "BASE_URL": "https://tracker.example.test",
    }
    return make_app(**{**settings, **overrides})


@pytest.fixture
def app(make_app, smtp):
    return mail_app(make_app, smtp.port)


def olga_and_dev() -> dict:
    """Olga (Lisbon) owns a team; Dev (Los Angeles, dev@example.test) is a member of it."""
    owner = make_user("Olga", email="olga@example.test", timezone="Europe/Lisbon")
    dev = make_user("Dev", email="dev@example.test", timezone="America/Los_Angeles")
    owner_m = make_team(owner)
    dev_m = add_to_team(owner_m, dev)
    return {"owner": owner, "dev": dev, "owner_m": owner_m, "dev_m": dev_m}


@pytest.fixture
def crew(app):
    return olga_and_dev()


def parts(message):
    return (
        message.get_body(preferencelist=("plain",)).get_content(),
        message.get_body(preferencelist=("html",)).get_content(),
    )


def test_an_assignment_email_arrives_after_commit_with_text_html_and_a_link(smtp, crew):
    task = make_task(
        crew["owner_m"],
        "Tune autovacuum",
        assignee_id=crew["dev"].id,
        due_at=datetime(2026, 12, 1, 17, 0, tzinfo=UTC),
    )
    [message] = smtp.to("dev@example.test")
    assert message["Subject"] == f"Olga assigned you #{task.id} Tune autovacuum"
    assert message["From"] == "Tracker <tracker@example.test>"
    text, html = parts(message)
    link = f"https://tracker.example.test/tasks/{task.id}"
    assert link in text and f'href="{link}"' in html
    assert "Tue 01 Dec 2026 09:00 (America/Los_Angeles)" in text  # the recipient's own zone
    row = db.session.scalar(select(OutboxEmail))
    assert row.sent_at is not None and row.attempts == 1


def test_comment_text_is_escaped_in_the_html_email_and_subject_has_no_line_breaks(smtp, crew):
    task = make_task(crew["owner_m"], "Evil\r\nBcc: victim@example.test", assignee_id=crew["owner"].id)
    notifications.set_preferences(crew["dev"], {"mentioned": "email"})
    comments.add_comment(crew["owner_m"], task, f"@Dev look {XSS}")
    [message] = smtp.to("dev@example.test")
    assert smtp.to("victim@example.test") == [] and message["Bcc"] is None
    assert "\n" not in message["Subject"] and "Evil Bcc: victim" in message["Subject"]
    text, html = parts(message)
    assert "<script>" not in html and "<img" not in html
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
        or "&lt;script&gt;alert(&quot;x&quot;)" in html
    )
    assert '<script>alert("x")</script>' in text  # plain text is not HTML: shown as written


def test_nothing_is_sent_for_a_change_that_is_rolled_back(smtp, crew):
    task = make_task(crew["owner_m"], "Partition logs")
    task.assignee_id = crew["dev"].id
    events.task_changed.send(task, actor=crew["owner"], changes={"assignee_id": (None, crew["dev"].id)})
    db.session.rollback()
    assert smtp.messages == []
    assert db.session.scalar(select(OutboxEmail.id)) is None


def test_a_conflicting_save_sends_nothing(smtp, crew):
    task = make_task(crew["owner_m"], "Partition logs")
    # Someone else saves in between: our UPDATE finds a newer version and the change is rolled back.
    with db.engine.begin() as conn:
        conn.execute(update(Task).where(Task.id == task.id).values(version=Task.version + 1, title="Theirs"))
    with pytest.raises(Conflict):
        tasks.update_task(crew["owner_m"], task, {"assignee_id": crew["dev"].id, "status": "blocked"})
    assert smtp.messages == []
    assert db.session.scalar(select(OutboxEmail.id)) is None
    assert db.session.get(Task, task.id).title == "Theirs"


def test_a_failing_mail_server_keeps_the_change_and_the_email_is_retried(make_app, smtp):
    dead_port = free_port()  # nothing listens here: connection refused
    app = mail_app(make_app, dead_port)
    crew = olga_and_dev()
    task = make_task(crew["owner_m"], "Kept anyway", assignee_id=crew["dev"].id)
    assert db.session.get(Task, task.id).assignee_id == crew["dev"].id
    row = db.session.scalar(select(OutboxEmail))
    assert (row.sent_at, row.attempts) == (None, 1) and "Connection" in row.last_error
    first_try = row.next_attempt_at - outbox.backoff(1)
    # Not yet due: nothing is tried.
    assert outbox.deliver_due(first_try + timedelta(seconds=5)) == {"mail": 0, "webhook": 0}
    app.config["MAIL_PORT"] = smtp.port  # the server is back
    assert outbox.deliver_due(row.next_attempt_at + timedelta(seconds=1)) == {"mail": 1, "webhook": 0}
    db.session.refresh(row)
    assert row.sent_at is not None and row.attempts == 2
    subjects = [m["Subject"] for m in smtp.to("dev@example.test")]
    assert subjects == [f"Olga assigned you #{task.id} Kept anyway"]
    # Delivered once: a second run sends nothing again.
    assert outbox.deliver_due(row.next_attempt_at + timedelta(hours=1)) == {"mail": 0, "webhook": 0}


def test_the_deliver_command_retries(make_app, smtp):
    app = mail_app(make_app, free_port())
    crew = olga_and_dev()
    make_task(crew["owner_m"], "Retry me", assignee_id=crew["dev"].id)
    row = db.session.scalar(select(OutboxEmail))
    row.next_attempt_at = row.next_attempt_at - timedelta(hours=1)
    db.session.commit()
    app.config["MAIL_PORT"] = smtp.port
    result = app.test_cli_runner().invoke(args=["deliver"])
    assert result.exit_code == 0 and "Sent 1 email(s)" in result.output
    assert len(smtp.to("dev@example.test")) == 1


def test_no_email_when_mail_is_not_configured(app, crew, smtp):
    app.config["MAIL_SERVER"] = ""
    make_task(crew["owner_m"], "Silent", assignee_id=crew["dev"].id)
    assert db.session.scalar(select(OutboxEmail.id)) is None and smtp.messages == []
    assert notifications.unread_count(crew["dev"]) == 1  # in-app still works


# The daily digest --------------------------------------------------------------------------------------


def test_digest_at_eight_local_for_users_in_different_zones_once_a_day(smtp, crew):
    tokyo = make_user("Kenji", email="kenji@example.test", timezone="Asia/Tokyo")
    ny = make_user("Nora", email="nora@example.test", timezone="America/New_York")
    add_to_team(crew["owner_m"], tokyo)
    add_to_team(crew["owner_m"], ny)
    for person in (crew["owner"], crew["dev"]):
        notifications.set_preferences(person, {"digest": "none"})
    # 2026-11-25 00:30 UTC is 09:30 in Tokyo and 19:30 the day before in New York.
    now = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)
    make_task(crew["owner_m"], "Tokyo overdue", assignee_id=tokyo.id, due_at=now - timedelta(hours=3))
    make_task(
        crew["owner_m"],
        "Tokyo today",
        assignee_id=tokyo.id,
        due_at=datetime(2026, 11, 25, 14, 0, tzinfo=ZoneInfo("Asia/Tokyo")),
    )
    make_task(
        crew["owner_m"],
        "Tokyo tomorrow",
        assignee_id=tokyo.id,
        due_at=datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo")),
    )
    make_task(
        crew["owner_m"],
        "NY today",
        assignee_id=ny.id,
        due_at=datetime(2026, 11, 25, 17, 0, tzinfo=ZoneInfo("America/New_York")),
    )
    done = make_task(crew["owner_m"], "NY done", assignee_id=ny.id, due_at=now - timedelta(days=1))
    tasks.update_task(crew["owner_m"], done, {"status": "done"})
    smtp.messages.clear()

    assert mail.send_digests(now) == 1
    [digest] = smtp.to("kenji@example.test")
    text, html = parts(digest)
    assert digest["Subject"] == "Your day: 1 overdue, 1 due today"
    assert "Tokyo overdue" in text and "Tokyo today" in text and "Tokyo tomorrow" not in text
    assert "Wed 25 Nov 2026 14:00 (Asia/Tokyo)" in text and "https://tracker.example.test/tasks/" in html
    assert smtp.to("nora@example.test") == []
    # Run again (cron every few minutes): nothing twice.
    assert mail.send_digests(now + timedelta(minutes=10)) == 0
    # 08:05 in New York (13:05 UTC): Nora's turn, Kenji's already done for his day.
    ny_morning = datetime(2026, 11, 25, 8, 5, tzinfo=ZoneInfo("America/New_York"))
    assert mail.send_digests(ny_morning) == 1
    [nora] = smtp.to("nora@example.test")
    assert "NY today" in parts(nora)[0] and "NY done" not in parts(nora)[0]
    assert mail.send_digests(ny_morning + timedelta(minutes=30)) == 0
    assert len(smtp.to("kenji@example.test")) == 1
    # Kenji's next local morning: a new digest (his overdue tasks are still overdue).
    assert mail.send_digests(datetime(2026, 11, 26, 8, 0, tzinfo=ZoneInfo("Asia/Tokyo"))) == 1
    assert len(smtp.to("kenji@example.test")) == 2


def test_digest_command_is_idempotent(app, smtp, crew):
    # Pick a zone where it is now between 08:00 and 23:00, so the digest is due today there.
    now = datetime.now(UTC)
    zone = next(
        z
        for z in (
            "Pacific/Kiritimati",
            "Asia/Tokyo",
            "Asia/Kolkata",
            "Europe/Lisbon",
            "America/New_York",
            "America/Los_Angeles",
            "Pacific/Honolulu",
            "Pacific/Pago_Pago",
        )
        if 8 <= now.astimezone(ZoneInfo(z)).hour < 23
    )
    person = make_user("Zed", email="zed@example.test", timezone=zone)
    add_to_team(crew["owner_m"], person)
    make_task(crew["owner_m"], "Overdue thing", assignee_id=person.id, due_at=now - timedelta(hours=1))
    smtp.messages.clear()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["send-digests"])
    second = runner.invoke(args=["send-digests"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert len(smtp.to("zed@example.test")) == 1
    assert "Queued 0 digest(s)." in second.output


def test_digest_can_be_turned_off(smtp, crew):
    notifications.set_preferences(crew["dev"], {"digest": "none"})
    now = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)  # 10:00 in Los Angeles
    make_task(crew["owner_m"], "Overdue", assignee_id=crew["dev"].id, due_at=now - timedelta(hours=1))
    smtp.messages.clear()
    mail.send_digests(now)
    assert smtp.to("dev@example.test") == []


def test_background_delivery_sends_after_the_request_returns(make_app, smtp):
    """Production mode: the committing request does not wait for the SMTP server."""
    mail_app(make_app, smtp.port, DELIVERY="background")
    crew = olga_and_dev()
    make_task(crew["owner_m"], "In the background", assignee_id=crew["dev"].id)
    outbox.drain(timeout=30)
    assert [m["Subject"] for m in smtp.to("dev@example.test")] == ["Olga assigned you #1 In the background"]
    assert db.session.scalar(select(OutboxEmail.sent_at)) is not None


def test_cron_mode_leaves_sending_to_the_deliver_command(make_app, smtp):
    app = mail_app(make_app, smtp.port, DELIVERY="cron")
    crew = olga_and_dev()
    make_task(crew["owner_m"], "Later", assignee_id=crew["dev"].id)
    assert smtp.messages == []
    assert app.test_cli_runner().invoke(args=["deliver"]).exit_code == 0
    assert len(smtp.to("dev@example.test")) == 1


def test_starttls_with_a_verified_certificate_and_login(make_app, tmp_path):
    """MAIL_USE_TLS: STARTTLS against a certificate the configured CA vouches for, then SMTP login; an
    unverifiable certificate is refused (the email waits for a retry instead of going out unprotected)."""
    need(shutil.which("openssl") is not None, "openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.login == b"tracker" and auth_data.password == b"pw-123")

    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=server_tls,
        require_starttls=True,
        auth_required=True,
        authenticator=authenticator,
    )
    controller.start()
    try:
        app = mail_app(
            make_app, controller.port, MAIL_USE_TLS=True, MAIL_USERNAME="tracker", MAIL_PASSWORD="pw-123"
        )
        crew = olga_and_dev()
        make_task(crew["owner_m"], "Unverified", assignee_id=crew["dev"].id)  # the test CA is not trusted yet
        row = db.session.scalar(select(OutboxEmail))
        assert row.sent_at is None and "CERTIFICATE_VERIFY_FAILED" in row.last_error
        assert inbox.messages == [] and logins == []
        app.config["MAIL_CA_FILE"] = str(cert)
        assert outbox.deliver_due(row.next_attempt_at)["mail"] == 1
        assert [m["Subject"] for m in inbox.to("dev@example.test")] == ["Olga assigned you #1 Unverified"]
        assert logins == [(b"tracker", b"pw-123")]
    finally:
        controller.stop()
