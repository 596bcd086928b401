"""Security: other teams' objects are invisible (404), CSRF on every state-changing request, user
text rendered inert, hostile URLs and numbers answered without a 500, security headers."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from tests.factories import (
    PASSWORD,
    add_to_team,
    change_password,
    login,
    make_task,
    make_team,
    make_user,
    new_task_form,
)
from tracker import tasks
from tracker.extensions import db
from tracker.models import Category, Task, Team, TeamMembership

# Another team's objects ----------------------------------------------------------------------


@pytest.fixture
def two_teams(app):
    owner, mate, outsider = make_user("Olga"), make_user("Mia"), make_user("Otto")
    o = make_team(owner, "Backend")
    add_to_team(o, mate)
    live = make_task(o, "Live task", description="secret plans")
    trashed = make_task(o, "Trashed task")
    tasks.move_to_trash(o, trashed)
    # The outsider owns a team of their own, so every role check would pass if the team check were missing.
    make_team(outsider, "Elsewhere")
    category_id = db.session.scalar(select(Category.id).where(Category.team_id == o.team_id))
    return {
        "owner": owner,
        "mate": mate,
        "outsider": outsider,
        "team_id": o.team_id,
        "live": live.id,
        "trashed": trashed.id,
        "category_id": category_id,
    }


def task_urls(t):
    live, trashed = t["live"], t["trashed"]
    form = {"title": "Hijacked", "category": "database", "status": "done", "priority": "low", "version": "1"}
    return [
        ("GET", f"/tasks/{live}", None),
        ("GET", f"/tasks/{live}/edit", None),
        ("POST", f"/tasks/{live}/edit", form),
        ("POST", f"/tasks/{live}/delete", None),
        ("POST", f"/tasks/{trashed}/restore", None),
        ("GET", f"/tasks/{trashed}", None),
    ]


def team_urls(t):
    team, mate, cat = t["team_id"], t["mate"].id, t["category_id"]
    return [
        ("GET", f"/teams/{team}", None),
        ("GET", f"/teams/{team}/tasks", None),
        ("GET", f"/teams/{team}/tasks?status=open&q=secret", None),
        ("GET", f"/teams/{team}/tasks/new", None),
        (
            "POST",
            f"/teams/{team}/tasks/new",
            {"title": "Planted", "category": "database", "status": "todo", "priority": "low"},
        ),
        ("GET", f"/teams/{team}/members", None),
        ("POST", f"/teams/{team}/invitations", {"email": "otto@example.com", "role": "owner"}),
        ("POST", f"/teams/{team}/members/{mate}/role", {"role": "owner"}),
        ("POST", f"/teams/{team}/members/{mate}/remove", None),
        ("POST", f"/teams/{team}/leave", None),
        ("GET", f"/teams/{team}/settings", None),
        ("POST", f"/teams/{team}/settings", {"name": "Hijacked", "urgency_window_hours": "1"}),
        ("POST", f"/teams/{team}/categories", {"name": "Hijacked"}),
        ("POST", f"/teams/{team}/categories/{cat}", {"action": "rename", "name": "Hijacked"}),
        ("POST", f"/teams/{team}/categories/{cat}", {"action": "archive"}),
        ("GET", f"/teams/{team}/trash", None),
    ]


def state(t) -> tuple:
    """Everything the hostile requests could have changed."""
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count()).select_from(Task)),
        tuple(
            db.session.execute(
                select(Task.id, Task.title, Task.status, Task.version, Task.deleted_at).order_by(Task.id)
            ).all()
        ),
        tuple(
            db.session.execute(
                select(TeamMembership.team_id, TeamMembership.user_id, TeamMembership.role).order_by(
                    TeamMembership.id
                )
            ).all()
        ),
        tuple(
            db.session.execute(
                select(Category.id, Category.name, Category.archived).order_by(Category.id)
            ).all()
        ),
        tuple(
            db.session.execute(select(Team.id, Team.name, Team.urgency_window_hours).order_by(Team.id)).all()
        ),
    )


def test_another_teams_user_gets_404_for_every_task_and_team_url(client, two_teams):
    before = state(two_teams)
    login(client, two_teams["outsider"])
    for method, url, data in task_urls(two_teams) + team_urls(two_teams):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 404, (method, url, response.status_code)
        body = response.get_data(as_text=True)
        assert "Live task" not in body and "secret plans" not in body and "Backend" not in body
    assert state(two_teams) == before


def test_the_same_urls_work_for_the_owner_so_the_404s_mean_something(client, two_teams):
    """The control for the outsider's 404s: the team's owner is shown every page and every form is
    handled (a page, a redirect other than to the login, a form error): those 404s come from the team rule."""
    login(client, two_teams["owner"])
    assert client.get(f"/tasks/{two_teams['trashed']}").status_code == 404  # trashed: only the trash shows it
    for method, url, data in task_urls(two_teams) + team_urls(two_teams):
        response = client.open(url, method=method, data=data)
        handled = (200, 302) if method == "GET" else (200, 302, 422)  # a form may answer with its page
        assert response.status_code in handled, (method, url, response.status_code)
        if response.status_code == 302:
            assert urlsplit(response.headers["Location"]).path != "/login", (method, url)


# Pages anyone may see; the JSON API (tokens, not sessions) is tested in tests/api.
PUBLIC = {
    "static", "main.index", "main.favicon", "main.set_theme", "auth.register", "auth.login", "calendar.feed",
    "invitations.show",  # a capability URL: the link itself says who may see it
    "two_factor.login",  # the login's second step: back to the password step without its marker
    "sso.start", "sso.callback",  # single sign-on (404 without OIDC_ISSUER): tests/test_oidc.py
}


def html_routes(app, method: str) -> dict[str, str]:
    """endpoint → a URL (every id 1) for each route of the URL map outside the API that answers `method`."""
    return {
        rule.endpoint: re.sub(r"<(?:\w+:)?\w+>", "1", rule.rule)
        for rule in app.url_map.iter_rules()
        if method in rule.methods and not rule.endpoint.startswith(("api.", "api_docs."))
    }


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_anonymous_visitors_are_sent_to_the_login_form_from_every_route(app, client, two_teams, method):
    """Every route but the public ones, GET or POST, sends an anonymous visitor to the login form with the
    way back, and changes nothing (ids 1 exist: team, tasks, owner, category)."""
    before = state(two_teams)
    routes = {e: url for e, url in html_routes(app, method).items() if e not in PUBLIC}
    assert len(routes) >= (20 if method == "GET" else 30)
    for url in routes.values():
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url, response.status_code)
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login" and parse_qs(location.query)["next"] == [url], (method, url)
    assert state(two_teams) == before


@pytest.mark.parametrize(
    "url",
    [
        "/tasks/99999999999999999999",
        "/tasks/99999999999999999999/edit",
        "/teams/99999999999999999999/tasks",
        "/teams/99999999999999999999/members",
        "/tasks/9223372036854775808",
    ],
)
def test_out_of_range_ids_are_404_not_500(client, two_teams, url):
    login(client, two_teams["owner"])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "assignee=99999999999999999999",
        "assignee=%C2%B2",
        "page=99999999999999999999",
        "page=%C2%B2",
        "q=%23%C2%B2",
        "q=99999999999999999999",
        "sort=nonsense",
        "status=nope",
        "overdue=maybe",
        "due_before=yesterday",
        "q=" + "x" * 300,
        "q=%25_%5C",
    ],
)
def test_hostile_list_queries_never_500(client, two_teams, query):
    login(client, two_teams["owner"])
    response = client.get(f"/teams/{two_teams['team_id']}/tasks?{query}")
    assert response.status_code in (200, 422), query


@pytest.mark.parametrize("blocked_by", ["99999999999999999999", "\u00b2", "#\u0661\u0662"])
def test_hostile_blocker_numbers_are_a_form_error(client, two_teams, blocked_by):
    login(client, two_teams["owner"])
    count = db.session.scalar(select(func.count()).select_from(Task))
    response = client.post(
        f"/teams/{two_teams['team_id']}/tasks/new", data=new_task_form(title="T", blocked_by=blocked_by)
    )
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Task)) == count


def test_a_tampered_version_field_is_refused_not_a_500(client, two_teams):
    login(client, two_teams["owner"])
    for version in ("\u00b2", "", "abc"):
        response = client.post(f"/tasks/{two_teams['live']}/edit", data=new_task_form(version=version))
        assert response.status_code == 400, version


# CSRF -----------------------------------------------------------------------------------------


def csrf_token(page: str) -> str:
    return (
        re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', page)
        .group(0)
        .rsplit('value="', 1)[1]
        .rstrip('"')
    )


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


def test_login_and_register_need_the_csrf_token(csrf_app):
    client = csrf_app.test_client()
    user = make_user("Ana")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400 and "Form expired" in response.get_data(as_text=True)
    response = client.post(
        "/register",
        data={
            "email": "b@example.com",
            "name": "B",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "timezone": "UTC",
        },
    )
    assert response.status_code == 400
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_every_state_changing_request_needs_the_csrf_token(csrf_app):
    client = csrf_app.test_client()
    owner, mate = make_user("Olga"), make_user("Mia")
    o = make_team(owner)
    add_to_team(o, mate)
    task = make_task(o, "Keep me")
    trashed = make_task(o, "In the trash")
    tasks.move_to_trash(o, trashed)
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    # Every POST route of the URL map, public ones included; ids 1 are the team, the task, the owner and
    # a category, so a route without the check would change something.
    posts = html_routes(csrf_app, "POST").values()
    assert len(posts) >= 30
    before = state({})
    for url in posts:
        response = client.post(url, data={"name": "Changed", "title": "Changed", "role": "member"})
        assert response.status_code == 400, url
        assert "Form expired" in response.get_data(as_text=True)
        response = client.post(url, data={"name": "Changed", "csrf_token": "forged-token"})
        assert response.status_code == 400, url
    assert state({}) == before
    assert client.get("/teams").status_code == 200  # still logged in: logout was refused too
    # The pages carry the token, and a form sent with it works.
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    response = client.post(f"/tasks/{task.id}/delete", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert db.session.get(Task, task.id).deleted_at is not None


# User text is inert ---------------------------------------------------------------------------

PAYLOADS = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)><circle r=5></svg>",
    "[click me](javascript:alert(1))",
    "[click me](JaVaScRiPt:alert(1))",
    '<a href="javascript:alert(1)">link</a>',
    '<a href="&#106;avascript:alert(1)">entity link</a>',
    "![pic](javascript:alert(1))",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<p style="background:url(javascript:alert(1))" onclick="alert(1)">styled</p>',
    '<form action="javascript:alert(1)"><button formaction="javascript:alert(1)">go</button></form>',
    "```\n<script>alert('in code')</script>\n```",
]
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data"}


class ActiveContent(HTMLParser):
    """Collects anything in a page that could run script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            if attrs.get("type") != "module" or not (attrs.get("src") or "").startswith("/static/"):
                self.problems.append(f"script {attrs}")
            self.in_script = True
        if tag in {"iframe", "object", "embed", "svg", "math", "base"}:
            self.problems.append(tag)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}={value}")
            if name == "style":
                self.problems.append(f"{tag} style")
            if name in URL_ATTRIBUTES and value:
                cleaned = re.sub(r"[\s\x00-\x1f]", "", html.unescape(value)).lower()
                if cleaned.startswith(("javascript:", "vbscript:", "data:text/html")):
                    self.problems.append(f"{tag} {name}={value}")

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.problems.append(f"inline script {data!r}")

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False


def active_content(page: str) -> list[str]:
    parser = ActiveContent()
    parser.feed(page)
    return parser.problems


def test_markdown_payloads_in_a_description_are_rendered_inert(client, app):
    owner = make_user("Olga")
    o = make_team(owner)
    task = make_task(o, "Payloads", description="\n\n".join(PAYLOADS + ["**still bold**"]))
    login(client, owner)
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert active_content(page) == []
    assert "<strong>still bold</strong>" in page  # the Markdown itself still renders
    assert "&lt;script&gt;alert('in code')&lt;/script&gt;" in page  # code blocks show it as text


@pytest.mark.parametrize("payload", PAYLOADS[:3] + ['"><script>alert(1)</script>'])
def test_payloads_in_titles_labels_names_and_team_names_are_escaped(client, app, payload):
    owner = make_user(payload[:100])
    o = make_team(owner, payload[:100])
    mate = make_user("Mia")
    add_to_team(o, mate)
    task = make_task(o, payload[:200], assignee_id=owner.id, labels=["safe-label"])
    login(client, mate)
    for url in (
        f"/tasks/{task.id}",
        f"/teams/{o.team_id}/tasks",
        f"/teams/{o.team_id}/members",
        f"/tasks/{task.id}/edit",
        "/teams",
        f"/teams/{o.team_id}/tasks?q={payload}",
    ):
        page = client.get(url).get_data(as_text=True)
        assert active_content(page) == [], url


def test_security_headers_forbid_inline_script_and_framing(client, app):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_session_protection_and_cookie_flags(app):
    from tracker.extensions import login_manager

    assert login_manager.session_protection == "strong"
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_HTTPONLY"]


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("GET", "/teams/{team}/tasks?q=a%00b", None),
        ("GET", "/teams/{team}/tasks?status=open&label=x&label=a%00b", None),
        ("GET", "/teams/{team}/tasks?a%00b=1", None),
        (
            "POST",
            "/teams/{team}/tasks/new",
            {"title": "a\x00b", "category": "database", "status": "todo", "priority": "low"},
        ),
        ("POST", "/teams/{team}/invitations", {"email": "a\x00b@example.com", "role": "member"}),
        ("POST", "/login", {"email": "a\x00b@example.com", "password": "x"}),
        ("GET", "/calendar/a%00b.ics", None),
    ],
)
def test_nul_characters_are_refused_before_they_reach_the_database(client, two_teams, method, url, data):
    """PostgreSQL refuses U+0000 in text (a 500 if it got that far); SQLite would store it."""
    login(client, two_teams["owner"])
    before = state(two_teams)
    response = client.open(url.format(team=two_teams["team_id"]), method=method, data=data)
    assert response.status_code == 400
    assert state(two_teams) == before


def test_nul_characters_in_a_json_body_are_refused_too(client, two_teams):
    response = client.post("/api/v1/teams", json={"name": "a\x00b"}, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"


class PostForms(HTMLParser):
    """For each POST form on a page: its action, and whether it carries a csrf_token field (a prefixed
    form's is "<prefix>-csrf_token", which Flask-WTF accepts too)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[list] = []
        self.current: list | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "get").lower() == "post":
            self.current = [a.get("action") or "(this page)", False]
            self.forms.append(self.current)
        elif (
            tag == "input"
            and self.current is not None
            and (a.get("name") or "").endswith("csrf_token")
            and a.get("value")
        ):
            self.current[1] = True

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def test_every_post_form_on_every_page_carries_the_csrf_token(csrf_app):
    client = csrf_app.test_client()
    owner, mate = make_user("Olga"), make_user("Mia")
    o = make_team(owner)
    add_to_team(o, mate)
    task = make_task(o, "Visible", assignee_id=mate.id)
    trashed = make_task(o, "In the trash")
    tasks.move_to_trash(o, trashed)
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": token})
    team = o.team_id
    pages = [
        "/teams",
        f"/teams/{team}/tasks",
        f"/teams/{team}/tasks/new",
        f"/teams/{team}/members",
        f"/teams/{team}/settings",
        f"/teams/{team}/trash",
        f"/tasks/{task.id}",
        f"/tasks/{task.id}/edit",
        "/settings",
    ]
    checked = 0
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        parser = PostForms()
        parser.feed(response.get_data(as_text=True))
        missing = [action for action, has_token in parser.forms if not has_token]
        assert missing == [], (url, missing)
        checked += len(parser.forms)
    assert checked >= 25  # logout on every page, role changes, removals, categories, restore, delete...


def test_prefixed_settings_forms_work_with_their_csrf_token(csrf_app):
    client = csrf_app.test_client()
    user = make_user("Ana")
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    page = client.get("/settings").get_data(as_text=True)
    token = re.search(r'name="password-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert change_password(client, "another one!", **{"password-csrf_token": token}).status_code == 302


def test_a_server_error_shows_the_friendly_page_without_details(make_app):
    app = make_app(TESTING=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page and "secret internals" not in page and "Traceback" not in page
    response = app.test_client().get("/no/such/page")
    assert response.status_code == 404 and "Not found" in response.get_data(as_text=True)
