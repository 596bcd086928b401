"""Authorisation matrix from the URL map: every route of the HTML pages and the API × anonymous, an
outsider (who owns a team of their own), a member, a manager and the owner; on the team's own objects,
on another team's objects, and with another team's objects inside the team's URLs.

Expected: anonymous → the login page (HTML) or 401 (API); outsider → 404; a role too low → 403; never a
success on another team's object; and a refused request changes nothing in the database. A route that
ROUTES does not classify fails `test_every_route_is_classified`: classify it there.

One database, seeded once for the module; the test client, no server. Each allowed request may use up
an object (a deleted task, a removed member); `Side.repair` puts it back before the next case."""
from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.factories import make_user
from tests.figures import report
from tests.security.world import HOOK_URL, TODAY, Side, seed_side, sign_in, url_for_rule
from tests.snapshot import database_digest
from tests.support import fresh_database, running_app
from tracker import tokens
from tracker.extensions import db
from tracker.models import Feature, Task
from tracker.teams import ROLE_RANK

ACTORS = ("anonymous", "outsider", "member", "manager", "owner")


# Request bodies: each builder gets the side whose URL is asked for. --------------------------------


def fresh_email(_side: Side) -> str:
    return make_user("Newcomer").email


def task_version(side: Side) -> str:
    return str(db.session.get(Task, side.task_id).version)


def feature_version(side: Side) -> str:
    return str(db.session.get(Feature, side.feature_id).version)


TASK_FORM = {"title": "Live task", "category": "database", "status": "todo", "priority": "medium"}
Body = Callable[[Side], dict]


@dataclass(frozen=True)
class Route:
    """How a route is guarded. scope: public (anyone), capability (a secret in the URL), account (any
    signed-in user, on their own account), own (an object of the owner's account: others get 404), team
    (an object of a team), invitee (only the address an invitation went to, which nobody here has: 404).
    who: the lowest role allowed in a team, or "author" (only who made it)."""

    scope: str
    who: str = "member"
    body: Body | None = None
    objects: tuple[tuple[str, str], ...] = ()  # URL argument -> Side attribute, where not the default
    relogin: bool = False  # the request signs the caller out


def form(**fields) -> Body:
    return lambda side: {k: (v(side) if callable(v) else v) for k, v in fields.items()}


TRASHED = (("task_id", "trashed_id"),)
ROUTES: dict[str, Route] = {
    # Public pages and files
    "static": Route("public"),
    "main.index": Route("public"),
    "main.favicon": Route("public"),
    "main.set_theme": Route("public", body=form(theme="dark")),
    "auth.login": Route("public", body=form()),
    "auth.register": Route("public", body=form()),
    "sso.start": Route("public"),  # single sign-on: 404 unless OIDC_ISSUER is set (tests/test_oidc.py)
    "sso.callback": Route("public"),
    "api_docs.reference": Route("public"),
    "api.get_openapi": Route("public"),
    "calendar.feed": Route("capability"),
    # The signed-in user's own account
    "auth.logout": Route("account", relogin=True),
    "auth.settings": Route("account", body=form()),
    "auth.change_password": Route("account", body=form(current_password="wrong", new_password="x",
                                                       confirm="y")),
    "auth.create_token": Route("account", body=form(label="matrix")),
    "auth.revoke_token": Route("own"),
    "auth.end_session": Route("own"),
    "auth.sign_out_elsewhere": Route("account"),
    "two_factor.settings": Route("account"),
    "two_factor.new_secret": Route("account"),
    "two_factor.enable": Route("account", body=form(**{"code-code": "000000"})),
    "two_factor.regenerate": Route("account", body=form(**{"code-code": "000000"})),
    "two_factor.disable": Route("account", body=form(**{"disable-password": "wrong",
                                                        "disable-code": "000000"})),
    "two_factor.login": Route("public", body=form(code="000000")),  # only after the password step
    "calendar.settings": Route("account"),
    "calendar.rotate": Route("account"),
    "notifications.index": Route("account"),
    "notifications.unread": Route("account"),
    "notifications.mark_read": Route("account", body=form()),
    "notifications.settings": Route("account", body=form()),
    "timelog.my_time": Route("account"),
    "views.my_work": Route("account"),
    "agenda.plan": Route("account"),
    "teams.index": Route("account"),
    "teams.create": Route("account", body=form(name="Matrix team")),
    "api.get_me": Route("account"),
    "api.patch_me": Route("account", body=form(timezone="UTC")),
    "api.get_reminders": Route("account"),
    "api.put_reminders": Route("account", body=form(lead_times=[{"amount": 3, "unit": "days"}])),
    "reminders.settings": Route("account", body=form(**{"rows-0-amount": "3", "rows-0-unit": "days",
                                                        "rows-0-counted": "working"})),
    "api.get_calendar": Route("account"),
    "api.rotate_calendar": Route("account"),
    "api.my_work": Route("account"),
    "api.get_plan": Route("account"),
    "api.list_notifications": Route("account"),
    "api.mark_notifications_read": Route("account", body=form()),
    "api.list_teams": Route("account"),
    "api.create_team": Route("account", body=form(name="Matrix team")),
    # A team and its members
    "teams.show": Route("team"),
    "teams.members": Route("team"),
    "teams.leave": Route("team"),
    "teams.invite": Route("team", "manager", form(email=fresh_email, role="member")),
    "teams.revoke_invitation": Route("team", "manager"),
    "invitations.show": Route("capability"),
    "invitations.accept": Route("invitee"),
    "teams.change_role": Route("team", "manager", form(role="manager")),
    "teams.remove_member": Route("team", "manager"),
    "teams.settings": Route("team", "manager", form(name="Team", urgency_window_hours="72")),
    "teams.add_category": Route("team", "manager", form(name=lambda s: "Category " + uuid.uuid4().hex[:6])),
    "teams.update_category": Route("team", "manager", form(action="rename", name="Renamed")),
    "api.get_team": Route("team"),
    "api.patch_team": Route("team", "manager", form(name="Team")),
    "api.list_members": Route("team"),
    "api.get_member": Route("team"),
    "api.list_invitations": Route("team", "manager"),
    "api.invite": Route("team", "manager", form(email=fresh_email, role="member")),
    "api.revoke_invitation": Route("team", "manager"),
    "api.accept_invitation": Route("invitee", body=form(token=lambda side: side.invitation_token)),
    "api.patch_member": Route("team", "manager", form(role="manager")),
    "api.remove_member": Route("team", "manager"),
    # Tasks and the team's views
    "tasks.index": Route("team"),
    "tasks.create": Route("team", body=form(**{**TASK_FORM, "title": "Matrix task"})),
    "tasks.show": Route("team"),
    "tasks.edit": Route("team", body=form(**TASK_FORM, version=task_version)),
    "tasks.delete": Route("team"),
    "tasks.trash": Route("team", "manager"),
    "tasks.restore": Route("team", "manager", objects=TRASHED),
    "views.change_status": Route("team", body=form(status="in_progress", version=task_version)),
    "views.move_quadrant": Route("team", body=form(quadrant="schedule", priority="high", version=task_version)),
    "views.set_wip_limits": Route("team", "manager", form(in_progress="3")),
    "inline.change": Route("team", body=form(priority="high", version=task_version)),
    "inline.card_edit": Route("team"),
    "inline.bulk_change": Route("team", body=form(ids=lambda side: str(side.task_id), priority="low")),
    "inline.take_back": Route("own"),
    "api.bulk_tasks": Route("team", body=form(ids=lambda side: [side.task_id], set={"priority": "low"})),
    "views.board": Route("team"),
    "views.eisenhower": Route("team"),
    "views.calendar": Route("team"),
    "views.dashboard": Route("team"),
    "views.forecast": Route("team"),
    "views.save_filter": Route("team", body=form(name="Mine", view="list")),
    "views.delete_filter": Route("team", "manager"),  # shared by the owner: a member may not delete it
    "activity.feed": Route("team"),
    "api.list_tasks": Route("team"),
    "api.create_task": Route("team", body=form(title="Matrix task", category="database")),
    "api.get_task": Route("team"),
    "api.task_proposals": Route("team"),
    "rebalance.proposals": Route("team"),
    "rebalance.apply": Route("team", body=form(kind="move_deadline", due_at="2026-12-24",
                                               version=task_version)),
    "api.patch_task": Route("team", body=form(title="Live task")),
    "api.delete_task": Route("team"),
    "api.restore_task": Route("team", "manager", objects=TRASHED),
    "api.team_activity": Route("team"),
    "api.task_activity": Route("team"),
    "api.deadlines": Route("team"),
    # Features and checklists
    "api.list_features": Route("team"),
    "api.create_feature": Route("team", body=form(title="Matrix feature")),
    "api.get_feature": Route("team"),
    "api.patch_feature": Route("team", body=form(title="Feature")),
    "api.delete_feature": Route("team", "manager"),
    "api.get_definition_of_done": Route("team"),
    "api.put_definition_of_done": Route("team", "manager", form(categories=["testing"])),
    "api.list_templates": Route("team"),
    "api.put_template": Route("team", "manager", form(title_pattern="Matrix {feature}")),
    "api.reset_template": Route("team", "manager"),
    "api.fill_gaps": Route("team"),
    "api.add_checklist_item": Route("team", body=form(text="Item")),
    "api.patch_checklist_item": Route("team", body=form(done=True)),
    "api.delete_checklist_item": Route("team"),
    "api.promote_checklist_item": Route("team"),
    "features.index": Route("team"),
    "features.create": Route("team", body=form(title="Matrix feature", state="planned")),
    "features.show": Route("team"),
    "features.edit": Route("team", body=form(title="Feature", state="planned", required_categories="security",
                                             version=feature_version)),
    # The world's feature has work left: shipping it takes a manager and a reason.
    "features.ship": Route("team", "manager", form(reason="Matrix", version=feature_version)),
    "features.fill_gaps": Route("team"),
    "features.delete": Route("team", "manager"),
    "features.coverage": Route("team"),
    "features.releases": Route("team"),
    "features.settings": Route("team", "manager", form(categories="testing")),
    "features.template": Route("team", "manager", form(action="reset")),
    "checklists.add": Route("team", body=form(text="Item")),
    "checklists.change": Route("team", body=form(action="toggle")),
    "api.eisenhower": Route("team"),
    "api.forecast": Route("team"),
    # Comments, time, watching, webhooks
    "comments.create": Route("team", body=form(body="A comment")),
    "comments.mention_suggestions": Route("team"),
    "comments.edit": Route("team", "author", form(body="Edited")),
    "comments.delete": Route("team", "manager"),  # the author or a manager
    "comments.watch": Route("team", body=form(watch="1")),
    "timelog.log": Route("team", body=form(hours="1", spent_on=TODAY, note="n")),
    "timelog.delete": Route("team", "manager"),  # who logged it, or a manager
    "webhooks.index": Route("team", "manager", form(url=HOOK_URL, events="task.created")),
    "webhooks.delete": Route("team", "manager"),
    "api.list_comments": Route("team"),
    "api.add_comment": Route("team", body=form(body="A comment")),
    "api.get_comment": Route("team"),
    "api.edit_comment": Route("team", "author", form(body="Edited")),
    "api.delete_comment": Route("team", "manager"),
    "api.list_time_entries": Route("team"),
    "api.log_time": Route("team", body=form(hours=1, spent_on=TODAY)),
    "api.get_time_entry": Route("team"),
    "api.delete_time_entry": Route("team", "manager"),
    "api.list_webhooks": Route("team", "manager"),
    "api.create_webhook": Route("team", "manager", form(url=HOOK_URL, events=["task.created"])),
    "api.get_webhook": Route("team", "manager"),
    "api.delete_webhook": Route("team", "manager"),
    # Data in and out: a team's export and CSV import are a manager's; anyone may restore an export into a
    # new team of their own (an empty body is refused: 422).
    "transfer.index": Route("team", "manager"),
    "transfer.export_json": Route("team", "manager"),
    "transfer.export_csv": Route("team", "manager"),
    "transfer.import_csv": Route("team", "manager", form(csv="title\nMatrix row\n", **{"mapping-title": "title"},
                                                         default_category="database", estimate_unit="hours")),
    "transfer.import_team": Route("account", body=form()),
    "api.export_team": Route("team", "manager"),
    "api.import_team": Route("account", body=form()),
    "api.import_csv": Route("team", "manager", form(csv="title\nMatrix row\n")),
}
# Objects of the owner's account, and the team objects a team URL can carry: the cross-team cases.
CHILD_ARGUMENTS = {"category_id", "filter_id", "webhook_id", "user_id", "invitation_id"}


# The world -------------------------------------------------------------------------------------------


@dataclass
class World:
    app: object
    a: Side
    b: Side
    clients: dict
    tokens: dict

    def url(self, rule, side: Side, route: Route, overrides: dict | None = None) -> str:
        params = side.params()
        for argument, attribute in route.objects:
            params[argument] = getattr(side, attribute)
        params.update(overrides or {})
        return url_for_rule(self.app, rule, params)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    settings, directory = {"RATELIMIT_ENABLED": False, "DELIVERY": "cron"}, tmp_path_factory.mktemp("matrix")
    with fresh_database(directory) as database, running_app(database, **settings) as app:
        a, b = seed_side("A", with_staff=True), seed_side("B", with_staff=False)
        people = {"outsider": b.owner, "member": a.member, "manager": a.manager, "owner": a.owner}
        clients = {"anonymous": app.test_client()}
        for actor, user in people.items():
            clients[actor] = app.test_client()
            sign_in(clients[actor], user)
        api_tokens = {actor: tokens.create_token(user, "matrix")[1] for actor, user in people.items()}
        api_tokens["anonymous"] = None
        yield World(app, a, b, clients, api_tokens)


def routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


# Expectations ----------------------------------------------------------------------------------------


def expectation(route: Route, actor: str, own_side: bool) -> str:
    """What `actor` should get: login, 404, 403, allowed (anything but those and 5xx), or any (< 500)."""
    if route.scope == "public":
        return "any"
    if route.scope == "capability":
        return "allowed"
    if actor == "anonymous":
        return "login"
    if route.scope == "account":
        return "allowed"
    if route.scope == "invitee":
        return "404"
    if route.scope == "own":
        return "allowed" if actor == "owner" and own_side else "404"
    if actor == "outsider" or not own_side:
        return "404"
    if route.who == "author":
        return "allowed" if actor == "owner" else "403"
    return "allowed" if ROLE_RANK[actor] >= ROLE_RANK[route.who] else "403"


def meets(expected: str, response, api: bool) -> bool:
    status = response.status_code
    if expected == "login":
        return status == 401 if api else status == 302 and "/login" in response.headers.get("Location", "")
    if expected in ("404", "403"):
        return status == int(expected)
    if expected == "allowed":
        return status not in (401, 403, 404) and status < 500
    return status < 500


def send(world: World, actor: str, rule, method: str, url: str, body: dict | None):
    api = rule.endpoint.startswith("api.")
    if api:
        token = world.tokens[actor]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return world.clients["anonymous"].open(url, method=method, headers=headers,
                                               json=body if body is not None else None)
    return world.clients[actor].open(url, method=method, data=body)


class Tally:
    """Runs cases and keeps what went wrong, so one run reports every hole at once."""

    def __init__(self, world: World) -> None:
        self.world, self.cases, self.failures, self.outcomes = world, 0, [], Counter()
        self.dirty = True
        world.b.repair()

    def run(self, actor: str, rule, method: str, side: Side, expected: str, overrides=None) -> None:
        route = ROUTES[rule.endpoint]
        if self.dirty:  # the last request may have used up an object that this one names
            self.world.a.repair()
        # Only an allowed change uses things up; refused ones are proven to change nothing. Team B is
        # only ever refused.
        self.dirty = expected in ("allowed", "any") and method != "GET"
        url = self.world.url(rule, side, route, overrides)
        body = route.body(side) if route.body and method != "GET" else None
        refused = expected in ("login", "404", "403")
        before = database_digest() if refused and method != "GET" else None
        response = send(self.world, actor, rule, method, url, body)
        self.cases += 1
        self.outcomes[expected] += 1
        if not meets(expected, response, rule.endpoint.startswith("api.")):
            self.failures.append(f"{actor:9} {method:6} {url}: expected {expected}, got "
                                 f"{response.status_code} {response.get_data(as_text=True)[:160]!r}")
        elif before is not None and database_digest() != before:
            self.failures.append(f"{actor:9} {method:6} {url}: refused ({response.status_code}) but the "
                                 "database changed")
        if route.relogin and expected == "allowed" and not rule.endpoint.startswith("api."):
            person = {"outsider": self.world.b.owner, "member": self.world.a.member,
                      "manager": self.world.a.manager, "owner": self.world.a.owner}[actor]
            sign_in(self.world.clients[actor], person)

    def check(self) -> None:
        assert not self.failures, f"{len(self.failures)} of {self.cases} cases failed:\n" + "\n".join(
            self.failures[:60])


# Tests -----------------------------------------------------------------------------------------------


def test_every_route_is_classified(world):
    endpoints = {rule.endpoint for rule, _method in routes(world.app)}
    unclassified = sorted(endpoints - set(ROUTES))
    stale = sorted(set(ROUTES) - endpoints)
    assert not unclassified, (
        f"classify this new route in ROUTES of {__file__} (who may call it?): {unclassified}")
    assert not stale, f"ROUTES names routes that no longer exist: {stale}"


def test_every_route_and_role_on_the_teams_own_objects(world):
    tally = Tally(world)
    for rule, method in routes(world.app):
        if rule.endpoint in ROUTES:
            for actor in ACTORS:
                tally.run(actor, rule, method, world.a, expectation(ROUTES[rule.endpoint], actor, True))
    report("authorisation matrix, own team", cases=tally.cases, **tally.outcomes)
    tally.check()


def test_another_teams_objects_are_404_for_every_role(world):
    tally = Tally(world)
    for rule, method in routes(world.app):
        route = ROUTES.get(rule.endpoint)
        if route is not None and route.scope in ("team", "own"):
            for actor in ("member", "manager", "owner"):
                tally.run(actor, rule, method, world.b, "404")
    report("authorisation matrix, another team's objects", cases=tally.cases)
    tally.check()


def test_another_teams_objects_inside_the_teams_urls_are_404(world):
    """/teams/A/categories/<B's category>, /teams/A/members/<B's member>…: A's owner may do anything in
    team A, and still nothing to B's objects through A's URLs."""
    tally = Tally(world)
    for rule, method in routes(world.app):
        route = ROUTES.get(rule.endpoint)
        children = CHILD_ARGUMENTS & set(rule.arguments)
        if route is None or route.scope != "team" or "team_id" not in rule.arguments or not children:
            continue
        world.b.repair()
        for actor in ("manager", "owner"):
            tally.run(actor, rule, method, world.a, "404",
                      overrides={name: world.b.params()[name] for name in children})
    report("authorisation matrix, child objects of another team in the team's URLs", cases=tally.cases)
    assert tally.cases >= 10
    tally.check()


def test_a_capability_url_needs_the_exact_secret(world):
    client = world.clients["anonymous"]
    world.a.repair()
    assert client.get(f"/calendar/{world.a.secret}.ics").status_code == 200
    for wrong in (world.a.secret[:-1], world.a.secret + "x", "x" * 43, world.a.secret.upper()):
        assert client.get(f"/calendar/{wrong}.ics").status_code == 404, wrong


def test_references_to_another_teams_objects_inside_a_body_are_refused(world):
    """Ids in a form or JSON body (an assignee, a blocker) must belong to the team too: 4xx, nothing
    written."""
    a, b = world.a, world.b
    a.repair()
    b.repair()
    owner = world.clients["owner"]
    token = {"Authorization": f"Bearer {world.tokens['owner']}"}
    attempts = [
        lambda: owner.post(f"/teams/{a.team_id}/tasks/new",
                           data={**TASK_FORM, "title": "Planted", "blocked_by": str(b.task_id)}),
        lambda: owner.post(f"/tasks/{a.task_id}/edit",
                           data={**TASK_FORM, "blocked_by": str(b.task_id), "version": task_version(a)}),
        lambda: owner.post(f"/api/v1/teams/{a.team_id}/tasks", headers=token,
                           json={"title": "Planted", "category": "database", "assignee_id": b.owner.id}),
        lambda: owner.post(f"/api/v1/teams/{a.team_id}/tasks", headers=token,
                           json={"title": "Planted", "category": "database", "blocked_by": [b.task_id]}),
        lambda: owner.patch(f"/api/v1/tasks/{a.task_id}", headers=token, json={"blocked_by": [b.task_id]}),
        lambda: owner.patch(f"/api/v1/tasks/{a.task_id}", headers=token, json={"assignee_id": b.target.id}),
        lambda: owner.patch(f"/api/v1/tasks/{a.task_id}", headers=token, json={"feature_id": b.feature_id}),
        lambda: owner.post(f"/api/v1/teams/{a.team_id}/tasks", headers=token,
                           json={"title": "Planted", "category": "database", "feature_id": b.feature_id}),
        lambda: owner.post("/api/v1/invitations/accept", headers=token, json={"token": b.invitation_token}),
        lambda: owner.post(f"/invitations/{b.invitation_token}/accept"),
    ]
    failures = []
    for attempt in attempts:
        before = database_digest()
        response = attempt()
        if not 400 <= response.status_code < 500 or database_digest() != before:
            failures.append(f"{response.request.method} {response.request.path}: {response.status_code}")
    report("authorisation matrix, ids of another team in bodies", cases=len(attempts))
    assert not failures, failures
