"""Failed logins are counted per email address in the database (tracker.accounts.authenticate), so every
worker and host shares the count: after 10 failures in 15 minutes the address is locked for 15 minutes,
the right password included, and an unknown address is treated exactly like a known one."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.factories import PASSWORD, make_user
from tracker import accounts, tokens
from tracker.extensions import db
from tracker.models import LoginFailure, LoginSession, utcnow

WRONG = "not the password"


def attempt(client, email, password=WRONG):
    return client.post("/login", data={"email": email, "password": password})


def message(response) -> str:
    return re.search(r"Too many attempts[^<]*", response.get_data(as_text=True)).group(0)


def record_for(email: str) -> LoginFailure | None:
    db.session.expire_all()
    return db.session.get(LoginFailure, tokens.digest(accounts.normalise_email(email)))


def test_the_eleventh_attempt_is_refused_even_with_the_right_password(client):
    ana = make_user("Ana")
    assert [attempt(client, ana.email).status_code for _ in range(10)] == [422] * 10
    r = attempt(client, ana.email, PASSWORD)
    assert r.status_code == 429 and 840 < int(r.headers["Retry-After"]) <= 900
    assert message(r) == "Too many attempts for this account. Try again in 15 minutes."
    assert db.session.scalar(select(LoginSession.id)) is None  # nobody was signed in
    assert client.get("/my-work").status_code == 302
    # The address is the account, in any case and spacing; another account is not affected.
    assert attempt(client, "  " + ana.email.upper(), PASSWORD).status_code == 429
    assert attempt(client, make_user("Bo").email, PASSWORD).status_code == 302


def test_an_unknown_address_is_locked_the_same_way(client):
    known, unknown = make_user("Ana").email, "nobody-here@example.com"
    for email in (known, unknown):
        assert [attempt(client, email).status_code for _ in range(10)] == [422] * 10
    answers = [attempt(client, known, PASSWORD), attempt(client, unknown, PASSWORD)]
    assert [r.status_code for r in answers] == [429, 429]
    assert message(answers[0]) == message(answers[1])
    assert record_for(unknown).failures == 10
    assert unknown not in str(record_for(unknown).email_digest)  # only a digest is kept


def test_the_lock_ends_after_the_period_and_a_success_clears_the_count(client):
    ana = make_user("Ana")
    for _ in range(10):
        attempt(client, ana.email)
    assert attempt(client, ana.email, PASSWORD).status_code == 429
    past = utcnow() - timedelta(minutes=16)
    db.session.execute(update(LoginFailure).values(first_failed_at=past, locked_until=past))
    db.session.commit()
    assert attempt(client, ana.email).status_code == 422  # a new count starts: 1 failure
    assert record_for(ana.email).failures == 1 and record_for(ana.email).locked_until is None
    assert attempt(client, ana.email, PASSWORD).status_code == 302
    assert record_for(ana.email) is None


def test_failures_older_than_the_period_do_not_add_up(app):
    ana = make_user("Ana")
    start = utcnow()
    for minute in range(0, 90, 10):  # 9 failures, one every 10 minutes: never 10 within 15 minutes
        assert accounts.authenticate(ana.email, WRONG, now=start + timedelta(minutes=minute)) is None
    assert accounts.authenticate(ana.email, PASSWORD, now=start + timedelta(minutes=91)) == ana


def test_two_app_servers_on_one_database_share_the_count(make_app):
    first, second = make_app(), make_app(tables=False)
    email = make_user("Ana").email
    clients = [first.test_client(), second.test_client()]
    for i in range(10):  # alternately on each server: 5 failures each
        assert attempt(clients[i % 2], email).status_code == 422
    assert [attempt(c, email, PASSWORD).status_code for c in clients] == [429, 429]
    assert record_for(email).failures == 10


def test_failures_counted_at_the_same_moment_all_count(make_app):
    """Four workers failing five times each at once: 20 failures, none lost to a read-then-write race."""
    app = make_app(LOGIN_RATE_LIMIT_ACCOUNT="1000 per 15 minutes")
    email = make_user("Ana").email
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker():
        try:
            with app.app_context():
                start.wait()
                for _ in range(5):
                    assert accounts.authenticate(email, WRONG) is None
                db.session.remove()
        except BaseException as exc:  # reported below, with the count
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and record_for(email).failures == 20


@pytest.mark.parametrize("email", ["x" * 300 + "@example.com", "", "not an email"])
def test_odd_addresses_are_counted_not_a_500(client, email):
    r = attempt(client, email)
    assert r.status_code == 422
