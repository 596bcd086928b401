"""Login limits shared by several app servers through Redis (RATELIMIT_STORAGE_URI=redis://...)."""
from __future__ import annotations

import shutil
import subprocess
import time

import pytest

from tests.factories import PASSWORD, make_user
from tests.support import free_port, need


@pytest.fixture
def redis_url(tmp_path):
    binary = shutil.which("redis-server")
    need(binary is not None, "redis-server is not installed (apt-get install redis-server)")
    import redis

    port = free_port()
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 10  # readiness, not timing: wait until it answers PING
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}"
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


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
