"""Sessions are kept server-side (tracker/sessions.py): logging out, signing out elsewhere, a password
change and idleness end them, so a captured session or remember-me cookie stops opening anything."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.factories import PASSWORD, make_user
from tracker import accounts, sessions
from tracker.extensions import db
from tracker.models import LoginFailure, LoginSession, utcnow

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


def sign_in(app, user, user_agent=FIREFOX, remember=False):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    data = {"email": user.email, "password": PASSWORD, **({"remember": "y"} if remember else {})}
    assert client.post("/login", data=data).status_code == 302
    return client


def with_cookie(app, name, value, user_agent=FIREFOX):
    """A browser that has only this cookie (a thief's, say)."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    client.set_cookie(name, value)
    return client


def signed_in(client) -> bool:
    return client.get("/my-work").status_code == 200


def rows_of(user) -> list[LoginSession]:
    db.session.expire_all()
    return list(db.session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)))


def test_logging_in_records_the_browser_and_only_a_digest_of_its_token(app):
    ana = make_user("Ana")
    client = sign_in(app, ana, remember=True)
    [row] = rows_of(ana)
    assert (row.user_agent, row.ip) == (FIREFOX, "127.0.0.1") and len(row.id) == 64
    remember = client.get_cookie("remember_token").value
    assert row.id not in remember and row.id not in client.get_cookie("session").value
    assert signed_in(client)


def test_after_logout_a_captured_session_cookie_opens_nothing(app):
    client = sign_in(app, make_user("Ana"))
    captured = client.get_cookie("session").value
    assert signed_in(with_cookie(app, "session", captured))
    assert client.post("/logout").status_code == 302
    assert not signed_in(with_cookie(app, "session", captured))


def test_after_logout_the_remember_me_cookie_alone_opens_nothing(app):
    ana = make_user("Ana")
    client = sign_in(app, ana, remember=True)
    captured = client.get_cookie("remember_token").value
    assert signed_in(with_cookie(app, "remember_token", captured))  # it works, until...
    client.post("/logout")
    assert not signed_in(with_cookie(app, "remember_token", captured))
    assert rows_of(ana) == []


def test_an_idle_session_expires_and_its_row_is_removed(app):
    ana = make_user("Ana")
    client = sign_in(app, ana, remember=True)
    remember = client.get_cookie("remember_token").value
    idle = app.config["SESSION_IDLE_DAYS"]
    db.session.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(days=idle, minutes=1)))
    db.session.commit()
    assert not signed_in(client)
    assert not signed_in(with_cookie(app, "remember_token", remember))
    assert rows_of(ana) == []


def test_use_keeps_a_session_alive_with_coarse_writes(app):
    ana = make_user("Ana")
    client = sign_in(app, ana)
    [row] = rows_of(ana)
    first_seen = row.last_seen_at
    assert signed_in(client) and signed_in(client)
    assert rows_of(ana)[0].last_seen_at == first_seen  # not a write per request
    almost_idle = utcnow() - timedelta(days=app.config["SESSION_IDLE_DAYS"] - 1)
    db.session.execute(update(LoginSession).values(last_seen_at=almost_idle))
    db.session.commit()
    assert signed_in(client)
    assert rows_of(ana)[0].last_seen_at > utcnow() - sessions.TOUCH_PRECISION


def test_settings_list_the_sessions_and_sign_out_everywhere_else(app):
    ana, bo = make_user("Ana"), make_user("Bo")
    here, phone, laptop = sign_in(app, ana), sign_in(app, ana, IPHONE, remember=True), sign_in(app, ana)
    others = sign_in(app, bo)
    page = here.get("/settings").get_data(as_text=True)
    assert "Firefox on Linux" in page and "Safari on iOS" in page and "127.0.0.1" in page
    assert page.count("this browser") == 1 and page.count("Sign out</button>") == 2
    phone_remember = phone.get_cookie("remember_token").value

    r = here.post("/settings/sessions/end-others")
    assert r.status_code == 302 and r.headers["Location"].endswith("/settings#sessions")
    assert "Signed out 2 other sessions." in here.get("/settings").get_data(as_text=True)
    assert signed_in(here) and not signed_in(phone) and not signed_in(laptop)
    assert not signed_in(with_cookie(app, "remember_token", phone_remember, IPHONE))
    assert len(rows_of(ana)) == 1 and signed_in(others) and len(rows_of(bo)) == 1


def test_one_session_can_be_signed_out_but_not_someone_elses(app):
    ana, bo = make_user("Ana"), make_user("Bo")
    here, phone = sign_in(app, ana), sign_in(app, ana, IPHONE)
    bos = sign_in(app, bo)
    [bo_row] = rows_of(bo)
    phone_row = next(r for r in rows_of(ana) if r.user_agent == IPHONE)
    assert here.post(f"/settings/sessions/{bo_row.id}/end").status_code == 404
    assert here.post("/settings/sessions/not-a-session/end").status_code == 404
    assert signed_in(bos)
    assert here.post(f"/settings/sessions/{phone_row.id}/end").status_code == 302
    assert not signed_in(phone) and signed_in(here)


def test_changing_the_password_ends_every_other_session_and_renews_this_one(app):
    ana = make_user("Ana")
    here, phone = sign_in(app, ana, remember=True), sign_in(app, ana, IPHONE, remember=True)
    old_here = here.get_cookie("session").value
    r = here.post("/settings/password", data={
        "password-current_password": PASSWORD,
        "password-new_password": "a brand new one",
        "password-confirm": "a brand new one",
    })
    assert r.status_code == 302
    assert signed_in(here) and not signed_in(phone)
    # This browser got a new session: its old cookie, had anyone copied it, no longer works.
    assert not signed_in(with_cookie(app, "session", old_here))
    [row] = rows_of(ana)
    assert row.user_agent == FIREFOX


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (FIREFOX, "Firefox on Linux"),
        (IPHONE, "Safari on iOS"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", "Edge on Windows"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/126.0.0.0 Safari/537.36", "Chrome on macOS"),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/126.0.0.0 Mobile Safari/537.36", "Chrome on Android"),
        ("curl/8.5.0", "curl/8.5.0"),
        ("", "Unknown browser"),
    ],
)
def test_devices_are_named_from_the_user_agent(user_agent, device):
    assert sessions.device_name(user_agent) == device


def test_the_purge_command_ends_idle_sessions_and_forgets_spent_failure_counts(app):
    user = make_user("Ida")
    sessions.start_session(user, user_agent="test")
    sessions.start_session(user, user_agent="test")
    stale = db.session.scalars(select(LoginSession)).first()
    stale.last_seen_at = utcnow() - timedelta(days=30)
    long_ago = utcnow() - timedelta(days=1)
    db.session.add_all([
        LoginFailure(email_digest="a" * 64, failures=3, first_failed_at=long_ago),
        LoginFailure(email_digest="b" * 64, failures=10, first_failed_at=long_ago,
                     locked_until=utcnow() + timedelta(minutes=5)),
        LoginFailure(email_digest="c" * 64, failures=1, first_failed_at=utcnow()),
    ])
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["purge-sessions"])
    assert result.exit_code == 0, result.output
    assert "Ended 1 idle session(s); forgot 1 failed-login count(s);" in result.output
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 1
    left = set(db.session.scalars(select(LoginFailure.email_digest)))
    assert left == {"b" * 64, "c" * 64}  # still locked, and still counting
    assert accounts.forget_old_failures() == 0  # idempotent
