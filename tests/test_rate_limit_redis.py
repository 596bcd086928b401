"""Login limits shared by several app servers through Redis (RATELIMIT_STORAGE_URI=redis://...)."""
from __future__ import annotations

import pytest

from tests.factories import PASSWORD, make_user
from tests.servers import redis_server


@pytest.fixture
def redis_url(tmp_path):
    with redis_server(tmp_path) as url:
        yield url


def test_two_app_servers_share_the_login_budget_through_redis(make_app, redis_url):
    settings = {"RATELIMIT_STORAGE_URI": redis_url, "LOGIN_RATE_LIMIT_ACCOUNT": "2 per 15 minutes"}
    first, second = make_app(**settings), make_app(tables=False, **settings)
    email = make_user("Ana").email
    wrong = {"email": email, "password": "not the password"}
    # One failure on each server: with memory storage each would still allow a second try.
    assert first.test_client().post("/login", data=wrong).status_code == 422
    assert second.test_client().post("/login", data=wrong).status_code == 422
    r = first.test_client().post("/login", data={"email": email, "password": PASSWORD})
    assert r.status_code == 429 and "Retry-After" in r.headers
    assert second.test_client().post("/login", data={"email": email, "password": PASSWORD}).status_code == 429
    # The counters live in Redis, where every app server on every host reads them (two apps in one
    # process would also share an in-memory store, so the keys are the proof).
    import redis

    store = redis.Redis.from_url(redis_url)
    keys = [k.decode() for k in store.keys("*")]
    assert keys and all(k.startswith("LIMITS") for k in keys), keys
    assert any(int(store.get(k)) >= 2 for k in keys if store.type(k) == b"string"), keys
    store.close()
