"""The response cache (tracker/response_cache.py): a page or API list is served again only while nothing has
been written, within the same minute, to the same person with the same request."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import flash
from flask_login import login_required

from tests.factories import login, make_task
from tests.support import recorded_statements
from tracker import response_cache, sessions, tokens
from tracker.extensions import db
from tracker.models import LoginSession, Task, utcnow
from tracker.response_cache import Kept, Responses, cached, data_version


def _get(client, url: str, **kwargs):
    with recorded_statements() as statements:
        response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return response, len(statements)


@pytest.fixture
def signed_in(crew, client):
    login(client, crew["owner"])
    task = make_task(crew["owner_m"], "Index the audit log", assignee_id=crew["owner"].id,
                     due_at=utcnow() + timedelta(hours=3), estimate_hours=2)
    client.get("/teams")  # a session's first page stores its CSRF secret in it: that response is not kept
    return {**crew, "client": client, "task": task, "list": f"/teams/{crew['team_id']}/tasks"}


def test_a_second_read_is_the_kept_response_after_only_the_sign_in_and_the_version(signed_in):
    client, url = signed_in["client"], signed_in["list"]
    first, rendered = _get(client, url)
    second, served = _get(client, url)
    assert second.data == first.data and b"Index the audit log" in second.data
    assert served == 2 < rendered  # the session and the data version
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/teams/{team}/board", "/teams/{team}/eisenhower", "/teams/{team}/calendar",
                                  "/teams/{team}/dashboard", "/teams/{team}/forecast", "/my-work",
                                  "/tasks/{task}"])
def test_every_cached_view_shows_a_change_on_the_next_read(signed_in, path):
    client, task = signed_in["client"], signed_in["task"]
    url = path.format(team=signed_in["team_id"], task=task.id)
    _get(client, url)
    task.title = "Partition the audit log"
    db.session.commit()
    fresh, _ = _get(client, url)
    assert b"Partition the audit log" in fresh.data


def _other_host(database) -> sa.Engine:
    """An engine of its own on the test's database: another process or host."""
    uri, options = database
    return sa.create_engine(uri, **options)


def test_each_way_of_writing_moves_the_version_once_per_transaction(signed_in, database):
    before = data_version()
    make_task(signed_in["owner_m"], "Vacuum")  # the ORM, one transaction (plus the forecast's own)
    after_orm = data_version()
    assert after_orm > before
    db.session.execute(sa.update(Task).values(priority="high"))  # Core
    db.session.commit()
    assert data_version() == after_orm + 1
    db.session.rollback()
    db.session.execute(sa.update(Task).values(priority="low"))
    db.session.rollback()  # written, then taken back: nothing moved
    assert data_version() == after_orm + 1
    other_host = _other_host(database)
    try:
        with other_host.begin() as connection:
            connection.execute(sa.text("UPDATE tasks SET title = 'Shard the audit log'"))
    finally:
        other_host.dispose()
    db.session.rollback()
    assert data_version() == after_orm + 2


def test_a_write_from_another_host_shows_on_the_next_read(signed_in, database):
    client, url = signed_in["client"], signed_in["list"]
    _get(client, url)
    other_host = _other_host(database)
    try:
        with other_host.begin() as connection:
            connection.execute(sa.text("UPDATE tasks SET title = 'Shard the audit log'"))
    finally:
        other_host.dispose()
    db.session.rollback()  # the test's requests share its session: start afresh, as a request does
    assert b"Shard the audit log" in _get(client, url)[0].data


def test_signing_in_touches_do_not_move_the_version(signed_in):
    version = data_version()
    login_session = db.session.scalar(sa.select(LoginSession))
    login_session.last_seen_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    version = data_version()
    assert sessions.user_for_session(_session_token(signed_in["client"])) is not None
    assert data_version() == version


def _session_token(client) -> str:
    with client.session_transaction() as browser:
        return browser["_user_id"]


def test_people_never_get_each_others_pages(signed_in):
    owner_page, _ = _get(signed_in["client"], "/my-work")
    other = signed_in["client"].application.test_client()
    login(other, signed_in["member"])
    other.get("/teams")
    member_page, _ = _get(other, "/my-work")
    assert member_page.data != owner_page.data
    assert signed_in["member"].name.encode() in member_page.data


def test_a_removed_member_gets_a_404_not_the_page_kept_for_them(signed_in):
    other = signed_in["client"].application.test_client()
    login(other, signed_in["member"])
    _get(other, signed_in["list"])
    remove = f"/teams/{signed_in['team_id']}/members/{signed_in['member'].id}/remove"
    response = signed_in["client"].post(remove)
    assert response.status_code == 302
    assert other.get(signed_in["list"]).status_code == 404


def test_a_revoked_token_gets_401_not_the_list_kept_for_it(signed_in):
    token, raw = tokens.create_token(signed_in["owner"], "ci")
    headers = {"Authorization": f"Bearer {raw}"}
    url = f"/api/v1/teams/{signed_in['team_id']}/tasks"
    first, _ = _get(signed_in["client"], url, headers=headers)
    assert _get(signed_in["client"], url, headers=headers)[0].data == first.data
    tokens.revoke_token(signed_in["owner"], token.id)
    assert signed_in["client"].get(url, headers=headers).status_code == 401


def test_the_next_minute_renders_again(signed_in, monkeypatch):
    client, url = signed_in["client"], signed_in["list"]
    _, rendered = _get(client, url)
    assert _get(client, url)[1] == 2
    later = utcnow() + timedelta(minutes=1)
    monkeypatch.setattr(response_cache, "utcnow", lambda: later)
    assert _get(client, url)[1] == rendered


def test_a_page_with_a_flash_message_is_neither_served_nor_kept(signed_in):
    client, url = signed_in["client"], signed_in["list"]
    _get(client, url)
    with client.session_transaction() as browser:
        browser["_flashes"] = [("success", "Saved the filter.")]
    flashed, _ = _get(client, url)
    assert b"Saved the filter." in flashed.data
    assert b"Saved the filter." not in _get(client, url)[0].data


def test_a_response_that_wrote_or_set_a_cookie_is_not_kept(make_app, crew):
    app = make_app()
    calls = []

    @login_required
    @cached
    def writes():
        calls.append(1)
        db.session.execute(sa.update(Task).values(priority="high"))  # not committed
        return "written"

    @login_required
    @cached
    def flashes():
        calls.append(2)
        flash("Hello")
        return "flashed"

    app.add_url_rule("/_test/writes", view_func=writes)
    app.add_url_rule("/_test/flashes", view_func=flashes)
    client = app.test_client()
    login(client, crew["owner"])
    client.get("/teams")
    for url in ("/_test/writes", "/_test/writes", "/_test/flashes", "/_test/flashes"):
        assert client.get(url).status_code == 200
    assert calls == [1, 1, 2, 2]


def test_switched_off_by_a_budget_of_zero(make_app, crew):
    app = make_app(RESPONSE_CACHE_BYTES=0)
    client = app.test_client()
    login(client, crew["owner"])
    url = f"/teams/{crew['team_id']}/tasks"
    assert _get(client, url)[1] == _get(client, url)[1] > 2


def test_the_least_recently_used_go_first_within_the_budget():
    kept = Responses()
    for name in (b"a", b"b", b"c", b"d"):
        kept.put(name, Kept(name * 25, []), budget=100)
    assert kept.size == 100 and kept.get(b"a") is not None  # "a" is now the most recently used
    kept.put(b"e", Kept(b"e" * 25, []), budget=100)
    assert kept.get(b"b") is None and kept.get(b"a") is not None and kept.size == 100
    kept.put(b"huge", Kept(b"x" * 26, []), budget=100)  # over a quarter of the budget: never kept
    assert kept.get(b"huge") is None and kept.get(b"c") is not None
