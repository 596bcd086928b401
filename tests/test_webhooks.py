"""Outgoing webhooks, delivered to a real HTTP server on 127.0.0.1: signed bodies, event filters,
retries with backoff after a 500, a timeout, the delivery log, and the refusal of loopback, private,
link-local and metadata addresses (server-side request forgery) when private targets are not allowed."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from tests.factories import login, make_task, membership
from tracker import comments, events, outbox, tasks, webhooks
from tracker.errors import Forbidden, Invalid, NotFound
from tracker.extensions import db
from tracker.models import WebhookDelivery

SECRET = "s3cret-s3cret-s3cret"


class Receiver:
    """An HTTP server that records each POST and answers with the next queued status (default 200)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/tracker?team=1"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def app(make_app):
    return make_app(WEBHOOKS_ALLOW_PRIVATE=True, WEBHOOK_TIMEOUT=1.0)


def verify(request: dict, secret: str = SECRET) -> dict:
    expected = "sha256=" + hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Tracker-Signature"] == expected
    assert request["headers"]["Content-Type"] == "application/json"
    return json.loads(request["body"])


def test_events_are_signed_and_delivered_after_commit(receiver, crew):
    hook = webhooks.create_webhook(
        crew["manager_m"],
        receiver.url,
        ["task.created", "task.updated", "task.deleted", "comment.created"],
        SECRET,
    )
    task = make_task(crew["owner_m"], "Rate-limit the login", assignee_id=crew["member"].id)
    tasks.update_task(crew["member_m"], task, {"status": "in_progress"})
    comments.add_comment(crew["member_m"], task, "Started")
    tasks.move_to_trash(crew["owner_m"], task)
    assert [r["headers"]["X-Tracker-Event"] for r in receiver.requests] == [
        "task.created",
        "task.updated",
        "comment.created",
        "task.deleted",
    ]
    assert all(r["path"] == "/hooks/tracker?team=1" for r in receiver.requests)
    created, updated, commented, deleted = (verify(r) for r in receiver.requests)
    assert created["event"] == "task.created" and created["task"]["title"] == "Rate-limit the login"
    assert (
        created["actor"] == {"id": crew["owner"].id, "name": "Olga"} and created["team_id"] == crew["team_id"]
    )
    assert updated["changes"] == {"status": {"old": "todo", "new": "in_progress"}}
    assert commented["comment"]["body"] == "Started" and commented["comment"]["task_id"] == task.id
    assert deleted["task"]["id"] == task.id
    rows = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id)).all()
    assert {(r.status, r.response_status, r.attempts) for r in rows} == {("delivered", 200, 1)}


def test_each_webhook_signs_with_its_own_secret_and_never_sends_it(receiver, crew):
    other_secret = "another-secret-value"
    for url, secret in ((receiver.url, SECRET), (receiver.url.replace("team=1", "team=2"), other_secret)):
        webhooks.create_webhook(crew["manager_m"], url, ["task.created"], secret)
    make_task(crew["owner_m"], "Signed")
    calls = {r["path"]: r for r in receiver.requests}
    assert sorted(calls) == ["/hooks/tracker?team=1", "/hooks/tracker?team=2"]
    first, second = calls["/hooks/tracker?team=1"], calls["/hooks/tracker?team=2"]
    assert verify(first, SECRET)["task"]["title"] == verify(second, other_secret)["task"]["title"] == "Signed"
    assert first["headers"]["X-Tracker-Signature"] != second["headers"]["X-Tracker-Signature"]
    for call in (first, second):
        sent = call["body"] + json.dumps(call["headers"]).encode()
        assert SECRET.encode() not in sent and other_secret.encode() not in sent


def test_only_the_chosen_events_are_sent(receiver, crew):
    webhooks.create_webhook(crew["manager_m"], receiver.url, ["comment.created"], SECRET)
    task = make_task(crew["owner_m"], "Quiet")
    tasks.update_task(crew["owner_m"], task, {"priority": "high"})
    assert receiver.requests == []
    comments.add_comment(crew["owner_m"], task, "Loud")
    assert [r["headers"]["X-Tracker-Event"] for r in receiver.requests] == ["comment.created"]


def test_comment_xss_travels_as_data_in_the_json(receiver, crew):
    webhooks.create_webhook(crew["manager_m"], receiver.url, ["comment.created"], SECRET)
    payload = '</script><script>alert(1)</script>"\u2028 & more'
    task = make_task(crew["owner_m"], "Escapes")
    comments.add_comment(crew["owner_m"], task, payload)
    body = verify(receiver.requests[0])
    assert body["comment"]["body"] == payload
    assert "<script>" not in body["comment"]["body_html"]


def test_a_500_is_retried_with_growing_backoff_until_it_succeeds(receiver, crew):
    webhooks.create_webhook(crew["manager_m"], receiver.url, ["task.created"], SECRET)
    receiver.statuses = [500, 503]
    make_task(crew["owner_m"], "Flaky receiver")
    delivery = db.session.scalar(select(WebhookDelivery))
    assert (delivery.status, delivery.response_status, delivery.attempts) == ("pending", 500, 1)
    first_wait = delivery.next_attempt_at
    failed_at = first_wait - outbox.backoff(1)
    assert outbox.deliver_due(failed_at + timedelta(seconds=10))["webhook"] == 0  # not due yet
    assert len(receiver.requests) == 1
    assert outbox.deliver_due(first_wait)["webhook"] == 0  # due: tried, answered 503
    db.session.refresh(delivery)
    assert (delivery.response_status, delivery.attempts) == (503, 2)
    assert delivery.next_attempt_at - first_wait == outbox.backoff(2) > outbox.backoff(1)
    assert outbox.deliver_due(delivery.next_attempt_at)["webhook"] == 1
    db.session.refresh(delivery)
    assert (delivery.status, delivery.response_status, delivery.attempts) == ("delivered", 200, 3)
    bodies = {r["body"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(bodies) == 1  # the same signed body each time
    assert outbox.deliver_due(delivery.next_attempt_at + timedelta(days=1))["webhook"] == 0


def test_gives_up_after_the_last_attempt(receiver, crew):
    webhooks.create_webhook(crew["manager_m"], receiver.url, ["task.created"], SECRET)
    receiver.statuses = [500] * outbox.MAX_ATTEMPTS
    make_task(crew["owner_m"], "Always failing")
    delivery = db.session.scalar(select(WebhookDelivery))
    while delivery.status == "pending":
        outbox.deliver_due(delivery.next_attempt_at)
        db.session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert len(receiver.requests) == outbox.MAX_ATTEMPTS


def test_a_receiver_that_never_answers_times_out_and_the_change_stands(app, crew):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts connections into the backlog, never answers
    try:
        webhooks.create_webhook(
            crew["manager_m"], f"http://127.0.0.1:{silent.getsockname()[1]}/", ["task.created"], SECRET
        )
        task = make_task(crew["owner_m"], "Still saved")
        delivery = db.session.scalar(select(WebhookDelivery))
        assert delivery.status == "pending" and "timed out" in delivery.last_error
        assert tasks.get_task(crew["owner"], task.id)[0].title == "Still saved"
    finally:
        silent.close()


def test_nothing_is_sent_for_a_rolled_back_change(receiver, crew):
    webhooks.create_webhook(crew["manager_m"], receiver.url, ["task.updated"], SECRET)
    task = make_task(crew["owner_m"], "Rollback")
    task.status = "done"
    events.task_changed.send(task, actor=crew["owner"], changes={"status": ("todo", "done")})
    db.session.rollback()
    assert receiver.requests == [] and db.session.scalar(select(WebhookDelivery.id)) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.8.9.10:8080/",
        "http://localhost/hook",
        "http://10.0.0.5/",
        "http://172.16.3.4/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fd00:ec2::254]/",
        "http://[fe80::1]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
        "http://2130706433/",
    ],
)
def test_private_loopback_link_local_and_metadata_targets_are_refused(app, crew, url):
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    with pytest.raises(Invalid) as exc:
        webhooks.create_webhook(crew["manager_m"], url, ["task.created"], SECRET)
    assert "may not call loopback, private, link-local or metadata addresses" in exc.value.errors["url"][0]


@pytest.mark.parametrize(
    "url, message",
    [
        ("ftp://example.com/", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("http://user:pw@example.com/", "credentials"),
        ("not a url", "http:// or https://"),
        ("http://no-such-host.invalid/", "cannot be resolved"),
    ],
)
def test_unusable_urls_are_refused(app, crew, url, message):
    with pytest.raises(Invalid) as exc:
        webhooks.create_webhook(crew["manager_m"], url, ["task.created"], SECRET)
    assert message in exc.value.errors["url"][0]


def test_the_check_is_repeated_at_delivery(receiver, app, crew):
    """A webhook saved while private targets were allowed is not called once they are not (nor would
    one whose name later resolves to a private address be)."""
    webhooks.create_webhook(crew["manager_m"], receiver.url, ["task.created"], SECRET)
    app.config["WEBHOOKS_ALLOW_PRIVATE"] = False
    make_task(crew["owner_m"], "Rebinding")
    assert receiver.requests == []
    delivery = db.session.scalar(select(WebhookDelivery))
    assert delivery.status == "pending" and "metadata addresses" in delivery.last_error


def test_managers_manage_webhooks_and_see_the_delivery_log(client, receiver, crew):
    login(client, crew["manager"])
    r = client.post(
        f"/teams/{crew['team_id']}/webhooks",
        data={"url": receiver.url, "secret": "", "events": ["task.created", "task.updated"]},
    )
    assert r.status_code == 302
    [hook] = webhooks.list_webhooks(crew["manager_m"])
    assert len(hook.secret) == 64 and hook.event_list == ["task.created", "task.updated"]
    receiver.statuses = [500]
    make_task(crew["owner_m"], "Logged")
    page = client.get(f"/teams/{crew['team_id']}/webhooks").get_data(as_text=True)
    assert receiver.url.replace("&", "&amp;") in page and "task.created" in page and "HTTP 500" in page
    bad = client.post(f"/teams/{crew['team_id']}/webhooks", data={"url": "ftp://x", "events": []})
    assert bad.status_code == 422 and "Choose at least one of" in bad.get_data(as_text=True)
    assert client.post(f"/teams/{crew['team_id']}/webhooks/{hook.id}/delete").status_code == 302
    assert webhooks.list_webhooks(crew["manager_m"]) == []


def test_members_cannot_and_other_teams_see_nothing(client, receiver, crew):
    hook = webhooks.create_webhook(crew["manager_m"], receiver.url, ["task.created"], SECRET)
    with pytest.raises(Forbidden):
        webhooks.create_webhook(crew["member_m"], receiver.url, ["task.created"], SECRET)
    login(client, crew["member"])
    assert client.get(f"/teams/{crew['team_id']}/webhooks").status_code == 403
    assert client.post(f"/teams/{crew['team_id']}/webhooks/{hook.id}/delete").status_code == 403
    client.post("/logout")
    login(client, crew["outsider"])
    assert client.get(f"/teams/{crew['team_id']}/webhooks").status_code == 404
    outsider_m = membership(crew["other_team_id"], crew["outsider"])
    assert client.post(f"/teams/{crew['other_team_id']}/webhooks/{hook.id}/delete").status_code == 404
    with pytest.raises(NotFound):
        webhooks.get_webhook(outsider_m, hook.id)
    with pytest.raises(NotFound):
        webhooks.find_webhook(crew["outsider"], hook.id)
