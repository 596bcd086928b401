"""Scale-out: two app processes (gunicorn, on different ports) sharing one PostgreSQL and one Redis, as
several hosts would. A change through one is seen through the other; the API rate limit (Redis) and
login throttling (the database) count across both; `flask deliver` running on both at once sends every
email and webhook call exactly once."""
from __future__ import annotations

import re
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
import redis
from aiosmtpd.controller import Controller

from tests.figures import report
from tests.reliability.crowd import Browser, Crowd, seed_crowd
from tests.servers import (
    Gunicorn,
    app_environment,
    call,
    flask_command,
    gunicorn,
    postgres_database,
    postgres_server,
    redis_server,
)
from tests.support import free_port, postgres_url
from tests.test_mail import Inbox
from tests.test_webhooks import Receiver

API_LIMIT, LOGIN_FAILURES = 40, 3


@dataclass
class Cluster:
    a: Gunicorn
    b: Gunicorn
    crowd: Crowd
    env: dict
    redis_url: str
    inbox: Inbox
    receiver: Receiver

    def api(self, server: Gunicorn, method: str, path: str, who: int = 0, **kwargs):
        headers = {"Authorization": f"Bearer {self.crowd.tokens[who]}", **kwargs.pop("headers", {})}
        return call(method, f"{server.base}/api/v1{path}", headers=headers, **kwargs)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    directory = tmp_path_factory.mktemp("scale-out")
    with ExitStack() as stack:
        server_url = postgres_url() or stack.enter_context(postgres_server()).url
        url = stack.enter_context(postgres_database(server_url))
        redis_url = stack.enter_context(redis_server(directory))
        inbox = Inbox()
        smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
        smtp.start()
        stack.callback(smtp.stop)
        receiver = Receiver()
        stack.callback(receiver.close)
        crowd = seed_crowd(url, people=4, tasks=2)
        env = app_environment(
            url, directory, RATELIMIT_STORAGE_URI=redis_url, TRACKER_API_RATE_LIMIT=f"{API_LIMIT} per minute",
            TRACKER_LOGIN_RATE_LIMIT_ACCOUNT=f"{LOGIN_FAILURES} per 15 minutes", MAIL_SERVER="127.0.0.1",
            MAIL_PORT=str(smtp.port), MAIL_USE_TLS="0", WEBHOOKS_ALLOW_PRIVATE="1",
            TRACKER_BASE_URL="http://tracker.example.test")
        a = stack.enter_context(gunicorn(env, directory, workers=2, name="a"))
        b = stack.enter_context(gunicorn(env, directory, workers=2, name="b"))
        yield Cluster(a, b, crowd, env, redis_url, inbox, receiver)


def test_a_change_through_one_server_is_seen_through_the_other(cluster):
    task = cluster.crowd.task_ids[0]
    read = cluster.api(cluster.a, "GET", f"/tasks/{task}")
    changed = cluster.api(cluster.a, "PATCH", f"/tasks/{task}", json_body={"title": "Changed on A"},
                         headers={"If-Match": read.headers["ETag"]})
    assert changed.status == 200
    seen = cluster.api(cluster.b, "GET", f"/tasks/{task}")
    assert seen.json()["title"] == "Changed on A" and seen.headers["ETag"] == changed.headers["ETag"]
    # …and the other way, through the pages: a comment written on B, read on A.
    browser = Browser(cluster.b.base, cluster.crowd.emails[1])
    assert browser.submit(f"/tasks/{task}", f"/tasks/{task}/comments", {"body": "Written on B"}).status == 302
    comments = cluster.api(cluster.a, "GET", f"/tasks/{task}/comments").json()["items"]
    assert [c["body"] for c in comments] == ["Written on B"]
    page = Browser(cluster.a.base, cluster.crowd.emails[2]).request("GET", f"/tasks/{task}")
    assert "Changed on A" in page.text and "Written on B" in page.text


def test_the_api_rate_limit_is_shared_through_redis(cluster):
    answers = Counter()
    for i in range(API_LIMIT + 20):  # alternately on A and B, with one token
        server = (cluster.a, cluster.b)[i % 2]
        answers[(server.port, cluster.api(server, "GET", "/me", who=3).status)] += 1
    allowed = sum(n for (_port, status), n in answers.items() if status == 200)
    refused = {port for (port, status) in answers if status == 429}
    report("scale-out, API rate limit", limit=API_LIMIT, requests=API_LIMIT + 20, allowed=allowed,
           refused=sum(answers.values()) - allowed)
    # Four workers in two processes: with per-process counters 4 x 40 would pass.
    assert allowed == API_LIMIT and refused == {cluster.a.port, cluster.b.port}, answers
    store = redis.Redis.from_url(cluster.redis_url)
    assert any(key.startswith(b"LIMITS") for key in store.keys("*"))
    store.close()


def test_login_throttling_counts_failures_across_servers(cluster):
    email = cluster.crowd.emails[3]
    statuses = [Browser((cluster.a, cluster.b)[i % 2].base).log_in(email, "not the password").status
                for i in range(LOGIN_FAILURES)]
    assert statuses == [422] * LOGIN_FAILURES
    locked = [Browser(server.base).log_in(email) for server in (cluster.a, cluster.b)]
    report("scale-out, login throttling", failures_allowed=LOGIN_FAILURES,
           right_password_after=[answer.status for answer in locked])
    assert [answer.status for answer in locked] == [429, 429]  # even the right password, on either
    assert all(answer.headers["Retry-After"].isdigit() for answer in locked)


def test_delivery_on_both_servers_at_once_sends_each_email_and_webhook_once(cluster):
    team, mate = cluster.crowd.team_id, cluster.crowd.emails[1]
    hook = cluster.api(cluster.a, "POST", f"/teams/{team}/webhooks",
                       json_body={"url": cluster.receiver.url, "events": ["task.created"]})
    assert hook.status == 201, hook.text
    members = cluster.api(cluster.a, "GET", f"/teams/{team}/members").json()["items"]
    mate_id = next(m["user_id"] for m in members if m["email"] == mate)
    created = 12
    for i in range(created):  # each: an assignment email to the mate and a webhook call, queued
        server = (cluster.a, cluster.b)[i % 2]
        answer = cluster.api(server, "POST", f"/teams/{team}/tasks", json_body={
            "title": f"Delivered once {i}", "category": "database", "assignee_id": mate_id})
        assert answer.status == 201, answer.text
    assert not cluster.inbox.messages and not cluster.receiver.requests  # queued only (DELIVERY=cron)

    runs = [flask_command(cluster.env, "deliver") for _ in range(4)]  # two per "host", all at once
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert all(run.returncode == 0 for run in runs), outputs
    sent = [tuple(int(n) for n in re.findall(r"Sent (\d+) email\(s\) and (\d+) webhook", out)[0])
            for out in outputs]

    message_ids = Counter(message["Message-ID"] for message in cluster.inbox.to(mate))
    deliveries = Counter(r["headers"]["X-Tracker-Delivery"] for r in cluster.receiver.requests)
    report("scale-out, delivery", deliver_runs=len(runs), emails=sum(message_ids.values()),
           webhook_calls=sum(deliveries.values()), sent_per_run=sent,
           duplicates=sum(n - 1 for n in (message_ids + deliveries).values()))
    assert len(message_ids) == created and set(message_ids.values()) == {1}
    assert len(deliveries) == created and set(deliveries.values()) == {1}
    assert sum(e for e, _w in sent) == created and sum(w for _e, w in sent) == created
