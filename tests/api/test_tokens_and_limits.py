"""Tokens (settings page, CLI, bearer auth), rate limits, problem details for unknown routes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD, login, make_user
from tracker.extensions import db
from tracker.models import ApiToken
from tracker.tokens import digest

from .conftest import Api, assert_problem, token_for


def test_missing_invalid_and_revoked_tokens_are_401(api, cast):
    anonymous = api.as_(None)
    r = anonymous.get("/me")
    assert_problem(r, 401)
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert_problem(api.as_("trk_not-a-real-token").get("/me"), 401)
    assert_problem(anonymous.get("/me", headers={"Authorization": f"Basic {cast['owner_token']}"}), 401)
    assert_problem(anonymous.post("/teams", json={"name": "x"}), 401)

    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(cast["owner_token"])))
    from tracker.tokens import revoke_token

    revoke_token(cast["owner"], token.id)
    assert "revoked" in assert_problem(api.get("/me"), 401)["detail"]


def test_tokens_store_only_a_hash_and_record_last_use(api, cast):
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == cast["owner"].id))
    assert token.token_hash == digest(cast["owner_token"]) and cast["owner_token"] not in token.token_hash
    assert token.prefix == cast["owner_token"][:12] and token.last_used_at is None
    assert api.get("/me").status_code == 200
    db.session.refresh(token)
    assert token.last_used_at is not None


def test_settings_page_creates_shows_once_lists_and_revokes(client, app):
    user = make_user("Ana")
    login(client, user)
    r = client.post("/settings/tokens", data={"token-label": "CI pipeline"})
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    raw = re.search(r'<code class="api-token">(trk_[^<]+)</code>', page).group(1)
    assert r.headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).get_json()["id"] == user.id

    listing = client.get("/settings").get_data(as_text=True)
    assert "CI pipeline" in listing and raw[:12] in listing and raw not in listing  # shown once only
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert "never" not in listing.split("CI pipeline", 1)[1].split("</tr>", 1)[0]  # last use is shown

    r = client.post("/settings/tokens", data={"token-label": "x" * 81})
    assert r.status_code == 422 and "at most 80" in r.get_data(as_text=True)

    other = make_user("Bo")
    theirs = token_for(other)
    their_id = db.session.scalar(select(ApiToken.id).where(ApiToken.token_hash == digest(theirs)))
    assert client.post(f"/settings/tokens/{their_id}/revoke").status_code == 404  # someone else's

    r = client.post(f"/settings/tokens/{token.id}/revoke", follow_redirects=True)
    assert r.status_code == 200 and "is revoked" in r.get_data(as_text=True)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert "CI pipeline" not in client.get("/settings").get_data(as_text=True)


def test_settings_token_forms_need_csrf(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    user = make_user("Ana")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    credentials = {"email": user.email, "password": PASSWORD, "csrf_token": csrf}
    assert client.post("/login", data=credentials).status_code == 302
    assert client.post("/settings/tokens", data={"token-label": "x"}).status_code == 400
    assert db.session.scalar(select(ApiToken.id)) is None


def test_create_token_cli_prints_the_token_on_the_last_line(app):
    user = make_user("Ana", email="ana@example.com")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-token", "ANA@example.com", "--label", "deploy bot"])
    assert result.exit_code == 0, result.output
    raw = result.output.strip().splitlines()[-1]
    assert raw.startswith("trk_") and " " not in raw
    token = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.label == "deploy bot" and token.token_hash == digest(raw)
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200

    result = runner.invoke(args=["create-token", "nobody@example.com"])
    assert result.exit_code == 1 and "no account" in result.output


@pytest.fixture
def limited_app(make_app):
    return make_app(
        API_RATE_LIMIT="3 per minute",
        LOGIN_RATE_LIMIT_IP="100 per minute",
        LOGIN_RATE_LIMIT_ACCOUNT="2 per 15 minutes",
    )


def test_api_rate_limit_is_per_token_with_retry_after(limited_app, contract):
    ana, bo = make_user("Ana"), make_user("Bo")
    api = Api(limited_app.test_client(), token_for(ana), contract)
    assert [api.get("/me").status_code for _ in range(3)] == [200, 200, 200]
    r = api.get("/me")
    body = assert_problem(r, 429)
    assert body["type"].endswith("#problem-rate-limited")
    assert 0 < int(r.headers["Retry-After"]) <= 60
    assert api.as_(token_for(bo)).get("/me").status_code == 200  # another token has its own budget


def test_failed_logins_are_limited_per_account_with_a_clear_page(limited_app):
    ana = make_user("Ana")
    client = limited_app.test_client()
    for _ in range(2):
        assert (
            client.post("/login", data={"email": ana.email, "password": "wrong password"}).status_code == 422
        )
    r = client.post("/login", data={"email": ana.email, "password": PASSWORD})
    assert r.status_code == 429 and "Retry-After" in r.headers
    page = r.get_data(as_text=True)
    assert r.content_type.startswith("text/html") and "Too many attempts" in page
    other = make_user("Bo")
    assert client.post("/login", data={"email": other.email, "password": PASSWORD}).status_code == 302


def test_failed_logins_are_limited_per_address(make_app):
    client = make_app(LOGIN_RATE_LIMIT_IP="3 per minute").test_client()
    users = [make_user(f"User{i}") for i in range(4)]
    statuses = [
        client.post("/login", data={"email": u.email, "password": "nope nope"}).status_code for u in users
    ]
    assert statuses == [422, 422, 422, 429]


def test_unknown_routes_and_methods_are_problems(api):
    assert_problem(api.get("/no-such-thing"), 404)
    r = api.request("PUT", "/me", json={})
    assert_problem(r, 405)
    assert "PATCH" in r.headers["Allow"]


def test_an_unexpected_error_is_a_500_problem_not_a_page(make_app, monkeypatch):
    app = make_app(TESTING=False)
    token = token_for(make_user("Ana"))

    def broken(user):
        raise RuntimeError("a bug")

    monkeypatch.setattr("tracker.api.me.UserOut.of", broken)
    r = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 500 and r.content_type == "application/problem+json"
    assert "a bug" not in r.get_data(as_text=True)


def test_behind_a_trusted_proxy_each_client_address_has_its_own_login_budget(make_app):
    client = make_app(LOGIN_RATE_LIMIT_IP="2 per minute", PROXY_HOPS=1).test_client()
    users = [make_user(f"User{i}") for i in range(3)]

    def attempt(user, address):
        data = {"email": user.email, "password": "nope nope"}
        return client.post("/login", data=data, headers={"X-Forwarded-For": address}).status_code

    assert [attempt(u, "203.0.113.7") for u in users] == [422, 422, 429]
    assert attempt(users[0], "198.51.100.9") == 422  # another client behind the same proxy


def test_answers_are_not_cached(api):
    assert api.get("/me").headers["Cache-Control"] == "no-store"
    assert api.as_(None).get("/me").headers["Cache-Control"] == "no-store"
    assert "no-store" not in api.client.get("/api/v1/openapi.json").headers.get("Cache-Control", "")
