"""A hostile-input corpus through every text field (task title, description and labels, comment body,
time-entry note, team and category names, a person's name, saved-filter and token labels, webhook URL)
into every output (task page, list, board, edit forms, activity, API JSON, email, iCal feed, webhook
payload). Accepted text must come out inert and intact; refused text must be a 4xx that wrote nothing;
pathological Markdown must be saved and shown within a time budget."""
from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser

import icalendar
import pytest
import sqlalchemy as sa

from tests.factories import PASSWORD, add_to_team, make_team, make_user
from tests.figures import report
from tests.snapshot import database_digest
from tests.support import build_app, fresh_database
from tracker import feeds, tokens
from tracker.extensions import db
from tracker.formatting import one_line
from tracker.models import CalendarFeed, OutboxEmail, Task, User, WebhookDelivery

HOOK_URL = "https://93.184.216.34/hook"  # a public address literal: accepted without DNS, never called
TODAY = date.today().isoformat()
LONG = "A" * 100_000
# Each payload: what it tries. Text that can only appear unescaped if escaping failed is in MARKERS.
PAYLOADS = {
    "script": "<script>alert(1)</script>",
    "textarea breakout": "</textarea><base href=//evil.example/>",
    "attribute breakout": '"><img src=x onerror=alert(1)>',
    "single-quote breakout": "'><svg onload=alert(1)>",
    "markdown javascript link": "[click me](javascript:alert(1)) and [x](JaVaScRiPt:alert(2))",
    "markdown data link": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "raw html link": '<a href="javascript:alert(1)">x</a><iframe src=//evil.example></iframe>',
    "direction override": "invoice\u202eexe.pdf",
    "line breaks": "Evil\r\nBcc: victim@example.test\r\nBEGIN:VEVENT",
    "template syntax": "{{ config.SECRET_KEY }}{% print 7*7 %}",
    "emoji and combining marks": "Zalgo Z\u0351\u0350\u0352a\u0311l\u033fg\u0308o \U0001f4a3",
    "NUL": "before\x00after",
    "100 kB": LONG,
}
MARKERS = ("<script>alert", "<base href", "<img src=x", "<svg onload", "<iframe")
SECRET_KEY = "hostile-input-secret"  # the template payload must not reveal it
UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:text")
# Markdown that makes naive parsers quadratic, each at the largest length its field accepts.
PATHOLOGICAL = {
    "12,000 [": "[" * 12_000,
    "brackets and parentheses": "[(" * 6_000,
    "emphasis runs": "*a **b " * 6_000,
    "nested quotes": "> " * 10_000 + "x",
    "nested lists": "".join("  " * i + "- x\n" for i in range(300)),
    "long link chain": "[a](b)" * 8_000,
    "unclosed images": "![" * 10_000,
    "backticks": "`" * 20_000,
}
TIME_BUDGET = 5.0  # seconds per request; the unbounded renderer took ~30 s for 12,000 [


class Inspector(HTMLParser):
    """Every element or attribute that only unescaped user text could have made."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("base", "iframe", "object", "embed", "frame") or (tag == "meta" and "http-equiv" in attrs):
            self.problems.append(f"<{tag}> element")
        if tag == "script" and not (attrs.get("src") or "").startswith("/static/"):
            self.problems.append(f"<script> without a /static/ source: {attrs}")
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"event handler attribute {name}={value!r} on <{tag}>")
            scheme = re.sub(r"[\s\x00-\x20]", "", value or "").lower()
            if name in ("href", "src", "action", "formaction") and scheme.startswith(UNSAFE_SCHEMES):
                self.problems.append(f"{name}={value!r} on <{tag}>")


def inert_html_problems(html: str) -> list[str]:
    inspector = Inspector()
    inspector.feed(html)
    inspector.close()
    found = inspector.problems + [f"raw {marker!r}" for marker in MARKERS if marker in html]
    return found + (["the secret key (a template was evaluated)"] if SECRET_KEY in html else [])


@dataclass
class Corpus:
    app: object
    team_id: int
    owner_client: object
    mate_client: object
    owner_token: str
    mate_email: str
    mate_id: int
    task_ids: list[int] = field(default_factory=list)
    comment_ids: list[int] = field(default_factory=list)
    accepted: list[tuple[str, str]] = field(default_factory=list)  # (field, payload name)
    refused: list[tuple[str, str, int]] = field(default_factory=list)
    redirected: list[tuple[str, str]] = field(default_factory=list)  # refused, but with a 3xx
    problems: list[str] = field(default_factory=list)

    def api(self, method: str, path: str, body=None, token: str | None = None):
        return self.owner_client.open("/api/v1" + path, method=method, json=body,
                                      headers={"Authorization": f"Bearer {token or self.owner_token}"})


def submit(corpus: Corpus, where: str, name: str, request) -> object:
    """Send one hostile request: a 4xx must have written nothing; a 2xx/3xx that wrote nothing is a
    refusal without a 4xx (a redirect with a message); a JSON answer must parse."""
    before = database_digest()
    response = request()
    status = response.status_code
    if response.mimetype and response.mimetype.endswith("json"):
        try:
            json.loads(response.get_data(as_text=True), parse_constant=_no_constants)
        except ValueError as exc:
            corpus.problems.append(f"{where} / {name}: the JSON answer does not parse ({exc})")
    if status >= 500:
        corpus.problems.append(f"{where} / {name}: {status}")
    elif status >= 400:
        corpus.refused.append((where, name, status))
        if database_digest() != before:
            corpus.problems.append(f"{where} / {name}: refused with {status} but the database changed")
    elif database_digest() == before:
        corpus.redirected.append((where, name))
    else:
        corpus.accepted.append((where, name))
    return response


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")


def inject(corpus: Corpus, name: str, text: str) -> None:
    """The payload through every field of the HTML forms and the API."""
    owner, team = corpus.owner_client, corpus.team_id
    short = text[:200]

    created = submit(corpus, "API task title and description", name, lambda: corpus.api(
        "POST", f"/teams/{team}/tasks", {"title": short, "description": text, "category": "database",
                                          "assignee_id": corpus.mate_id, "due_at": "2031-03-14T12:00:00Z"}))
    if created.status_code == 201:
        corpus.task_ids.append(created.get_json()["id"])
    form = {"title": short, "description": text, "category": "database", "status": "todo",
            "priority": "high", "assignee_id": str(corpus.mate_id), "due_date": "2031-03-15"}
    page = submit(corpus, "HTML task form", name, lambda: owner.post(f"/teams/{team}/tasks/new", data=form))
    if page.status_code == 302:
        corpus.task_ids.append(int(page.headers["Location"].rstrip("/").rsplit("/", 1)[1]))
    task_id = corpus.task_ids[0]
    label = text if text is LONG else text[:40]
    submit(corpus, "API labels", name, lambda: corpus.api("PATCH", f"/tasks/{task_id}", {"labels": [label]}))
    comment = submit(corpus, "API comment", name, lambda: corpus.api(
        "POST", f"/tasks/{task_id}/comments", {"body": f"@Mia {text}"}))
    if comment.status_code == 201:
        corpus.comment_ids.append(comment.get_json()["id"])
    submit(corpus, "HTML comment", name,
           lambda: owner.post(f"/tasks/{task_id}/comments", data={"body": text}))
    submit(corpus, "API time-entry note", name, lambda: corpus.api(
        "POST", f"/tasks/{task_id}/time-entries", {"hours": 0.5, "spent_on": TODAY, "note": text}))
    submit(corpus, "HTML time-entry note", name, lambda: owner.post(
        f"/tasks/{task_id}/time", data={"hours": "0.5", "spent_on": TODAY, "note": text}))
    submit(corpus, "API team name", name, lambda: corpus.api("POST", "/teams", {"name": text}))
    submit(corpus, "HTML category name", name, lambda: owner.post(f"/teams/{team}/categories",
                                                                   data={"name": text}))
    submit(corpus, "HTML saved-filter name", name, lambda: owner.post(
        f"/teams/{team}/filters", data={"name": text, "view": "list", "shared": "on"}))
    submit(corpus, "HTML token label", name,
           lambda: owner.post("/settings/tokens", data={"token-label": text}))
    submit(corpus, "API webhook URL", name, lambda: corpus.api(
        "POST", f"/teams/{team}/webhooks", {"url": f"{HOOK_URL}?q={text}", "events": ["task.created"]}))
    submit(corpus, "HTML webhook URL", name, lambda: owner.post(
        f"/teams/{team}/webhooks", data={"url": HOOK_URL + "/" + text, "events": "task.created"}))
    newcomer = corpus.app.test_client()
    email = f"hostile-{uuid.uuid4().hex[:8]}@example.com"
    joined = submit(corpus, "HTML registration name", name, lambda: newcomer.post("/register", data={
        "email": email, "name": text, "password": PASSWORD, "confirm": PASSWORD, "timezone": "UTC"}))
    if joined.status_code == 302:  # invited and accepted, the hostile name shows on the team's pages
        invited = submit(corpus, "API invitation", name, lambda: corpus.api(
            "POST", f"/teams/{team}/invitations", {"email": email}))
        token = invited.get_json()["accept_url"].rsplit("/", 1)[1]
        submit(corpus, "HTML invitation acceptance", name,
               lambda: newcomer.post(f"/invitations/{token}/accept"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    with fresh_database(tmp_path_factory.mktemp("hostile")) as database:
        # Mail on, but only queued (DELIVERY=cron): the outbox rows are the emails.
        app = build_app(database, SECRET_KEY=SECRET_KEY, RATELIMIT_ENABLED=False, DELIVERY="cron",
                        MAIL_SERVER="127.0.0.1",
                        MAIL_PORT=9, MAIL_USE_TLS=False, BASE_URL="https://tracker.example.test",
                        WEBHOOKS_ALLOW_PRIVATE=False)
        with app.app_context():
            db.create_all()
            owner, mate = make_user("Olga"), make_user("Mia")
            owner_m = make_team(owner, "Backend")
            add_to_team(owner_m, mate)
            owner_token = tokens.create_token(owner, "hostile")[1]
            clients = []
            for user in (owner, mate):
                client = app.test_client()
                response = client.post("/login", data={"email": user.email, "password": PASSWORD})
                assert response.status_code == 302
                clients.append(client)
            c = Corpus(app, owner_m.team_id, clients[0], clients[1], owner_token, mate.email, mate.id)
            c.api("POST", f"/teams/{c.team_id}/webhooks", {"url": HOOK_URL, "events": [
                "task.created", "task.updated", "comment.created"]})
            for name, text in PAYLOADS.items():
                inject(c, name, text)
            yield c
            db.session.remove()
            db.engine.dispose()


# Input ----------------------------------------------------------------------------------------------


def test_hostile_text_is_stored_or_refused_without_a_write(corpus):
    report("hostile input", payloads=len(PAYLOADS), fields=len(fields_of(corpus)),
           requests=len(corpus.accepted) + len(corpus.refused) + len(corpus.redirected),
           accepted=len(corpus.accepted), refused_4xx=len(corpus.refused),
           refused_by_redirect=len(corpus.redirected), problems=len(corpus.problems))
    assert not corpus.problems, "\n".join(corpus.problems)
    # Every field accepted some payload, so the outputs below do show hostile text (and a field whose
    # route went away is noticed, not counted as refusing). Labels allow letters, digits and .+- only.
    never = fields_of(corpus) - {where for where, _name in corpus.accepted} - {"API labels"}
    assert not never, f"no payload accepted by: {sorted(never)}"
    limits = [(where, name) for where, name in corpus.accepted if name in ("NUL", "100 kB")]
    assert not limits, f"accepted: {limits}"
    nul = [status for _where, name, status in corpus.refused if name == "NUL"]
    assert len(nul) >= 14 and set(nul) == {400}, nul


def fields_of(corpus: Corpus) -> set[str]:
    return {w for w, _n in corpus.accepted + corpus.redirected} | {w for w, _n, _s in corpus.refused}


def test_refused_input_is_a_4xx_in_every_form(corpus):
    report("hostile input, refusals answered with a redirect",
           fields=sorted({where for where, _name in corpus.redirected}))
    assert not corpus.redirected


def test_stored_text_comes_back_exactly_through_the_api(corpus):
    titles = {}
    for task_id in corpus.task_ids:
        response = corpus.api("GET", f"/tasks/{task_id}")
        assert response.status_code == 200
        body = json.loads(response.get_data(as_text=True))
        titles[body["title"]] = body["description"]
    for name, text in PAYLOADS.items():
        if name not in ("NUL", "100 kB"):
            assert text[:200].strip() in titles, f"{name}: title not returned as written"


# Outputs -------------------------------------------------------------------------------------------


def html_pages(corpus: Corpus) -> list[tuple[object, str]]:
    team = corpus.team_id
    owner, mate = corpus.owner_client, corpus.mate_client
    pages = [(owner, f"/tasks/{t}") for t in corpus.task_ids] + [(owner, f"/tasks/{t}/edit") for t in
                                                                 corpus.task_ids]
    pages += [(owner, f"/comments/{c}/edit") for c in corpus.comment_ids]
    pages += [(owner, f"/teams/{team}/{view}") for view in (
        "tasks?status=open", "tasks?status=open&page=2", "board", "eisenhower", "calendar?month=2031-03",
        "dashboard", "forecast", "activity", "activity?page=2", "members", "settings", "webhooks", "trash")]
    pages += [(owner, p) for p in ("/teams", "/settings", "/my-work", "/my-time", "/notifications")]
    pages += [(mate, p) for p in ("/my-work", "/notifications", f"/teams/{team}/tasks?q=alert")]
    return pages


def test_every_page_shows_the_hostile_text_inert(corpus):
    problems, shown, overrides = [], 0, 0
    for client, path in html_pages(corpus):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        html = response.get_data(as_text=True)
        shown += sum(html.count(marker.replace("<", "&lt;")) for marker in MARKERS)
        overrides += html.count("\u202e")  # shown as written: counted, not judged
        problems += [f"{path}: {p}" for p in inert_html_problems(html)]
    report("hostile input, HTML pages", pages=len(html_pages(corpus)), escaped_payloads_seen=shown,
           direction_overrides_shown=overrides)
    assert shown > 50  # the payloads are on the pages, escaped
    assert not problems, "\n".join(problems[:40])


def test_every_api_answer_is_json_and_carries_text_as_data(corpus):
    team = corpus.team_id
    paths = [f"/tasks/{t}" for t in corpus.task_ids] + [f"/tasks/{t}/comments" for t in corpus.task_ids[:1]]
    paths += [f"/teams/{team}/tasks?per_page=200", f"/teams/{team}/activity", f"/teams/{team}/members",
              "/teams", f"/teams/{team}/webhooks", f"/tasks/{corpus.task_ids[0]}/time-entries",
              f"/tasks/{corpus.task_ids[0]}/activity", "/me/work"]
    for path in paths:
        response = corpus.api("GET", path)
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
        assert response.mimetype == "application/json"
        json.loads(response.get_data(as_text=True), parse_constant=_no_constants)
    for task_id in corpus.task_ids:
        rendered = corpus.api("GET", f"/tasks/{task_id}").get_json()["description_html"]
        assert not inert_html_problems(rendered), (task_id, inert_html_problems(rendered))


def test_emails_escape_the_text_and_keep_headers_single_line(corpus):
    emails = db.session.scalars(sa.select(OutboxEmail)).all()
    assert len(emails) >= len(PAYLOADS)  # assignments and mentions of Mia
    for email in emails:
        assert "\r" not in email.subject and "\n" not in email.subject, email.subject
        assert not inert_html_problems(email.html_body), (email.subject, inert_html_problems(email.html_body))
    report("hostile input, emails", emails=len(emails))


def test_the_calendar_feed_parses_with_one_event_per_deadline(corpus):
    mate = db.session.get(User, corpus.mate_id)
    feeds.feed_urls(mate)
    secret = db.session.scalar(sa.select(CalendarFeed.secret).where(
        CalendarFeed.user_id == corpus.mate_id, CalendarFeed.team_id.is_(None)))
    response = corpus.mate_client.get(f"/calendar/{secret}.ics")
    assert response.status_code == 200
    calendar = icalendar.Calendar.from_ical(response.get_data())
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    due = db.session.scalars(sa.select(Task).where(Task.assignee_id == corpus.mate_id,
                                                   Task.due_at.is_not(None), Task.deleted_at.is_(None))).all()
    assert len(events) == len(due)  # a line break in a title did not start another event
    summaries = {f"#{task.id} {one_line(task.title, 300)}" for task in due}
    assert {str(e["SUMMARY"]) for e in events} == summaries


def test_webhook_payloads_are_json_with_the_text_as_data(corpus):
    deliveries = db.session.scalars(sa.select(WebhookDelivery)).all()
    assert len(deliveries) >= len(corpus.task_ids)
    titles = {t.title for t in db.session.scalars(sa.select(Task))}
    for delivery in deliveries:
        payload = json.loads(delivery.body, parse_constant=_no_constants)
        task = payload.get("task") or payload.get("data", {}).get("task") or {}
        assert not task or task.get("title") in titles
    report("hostile input, webhook payloads", deliveries=len(deliveries))


# Pathological Markdown -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_markdown_is_saved_and_shown_within_the_time_budget(corpus, name):
    """Item 1 of issue 11: rendering must be bounded (render once, on write), for descriptions and comments
    at their maximum lengths; reads never render."""
    text = PATHOLOGICAL[name]
    timings = {}

    def timed(what: str, request):
        started = time.perf_counter()
        response = request()
        timings[what] = round(time.perf_counter() - started, 2)
        assert response.status_code < 500, (what, response.status_code)
        return response

    created = timed("save description", lambda: corpus.api("POST", f"/teams/{corpus.team_id}/tasks", {
        "title": f"Pathological: {name}", "description": text[:50_000], "category": "database"}))
    assert created.status_code in (201, 422), created.get_data(as_text=True)[:300]
    if created.status_code == 201:
        task_id = created.get_json()["id"]
        timed("task page", lambda: corpus.owner_client.get(f"/tasks/{task_id}"))
        timed("task list", lambda: corpus.owner_client.get(f"/teams/{corpus.team_id}/tasks?q=Pathological"))
        timed("API task", lambda: corpus.api("GET", f"/tasks/{task_id}"))
        timed("save comment",
              lambda: corpus.api("POST", f"/tasks/{task_id}/comments", {"body": text[:10_000]}))
        timed("task page with comment", lambda: corpus.owner_client.get(f"/tasks/{task_id}"))
    report(f"pathological markdown, {name}", length=len(text), **{k.replace(" ", "_") + "_s": v
                                                               for k, v in timings.items()})
    slow = {what: seconds for what, seconds in timings.items() if seconds > TIME_BUDGET}
    assert not slow, f"over {TIME_BUDGET} s: {slow}"
