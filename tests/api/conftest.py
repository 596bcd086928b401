"""API test fixtures: tokens for the usual cast, and a client that checks every response it receives
against the app's own OpenAPI document (documented status, media type, body schema, headers)."""

from __future__ import annotations

import re
import threading

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.factories import add_to_team, make_task, make_team, make_user
from tracker import checklists, comments, features, timelog, tokens
from tracker.api.spec import openapi_document
from tracker.extensions import db
from tracker.tasks import move_to_trash

BASE = "/api/v1"


def token_for(user, label: str = "tests") -> str:
    return tokens.create_token(user, label)[1]


class ContractViolation(AssertionError):
    pass


class DocumentedResponses:
    """Finds the documented response for (method, path, status) and validates a response against it."""

    def __init__(self, document: dict) -> None:
        self.document = document
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry = Registry().with_resource("urn:tracker-openapi", resource)
        self.routes = [
            (re.compile("^" + re.sub(r"{\w+}", r"[^/]+", path) + "$"), path) for path in document["paths"]
        ]

    def operation(self, method: str, path: str) -> dict | None:
        for pattern, template in self.routes:
            if pattern.match(path):
                return self.document["paths"][template].get(method.lower())
        return None

    def check(self, method: str, path: str, response) -> None:
        op = self.operation(method, path)
        if op is None:
            # Unknown paths and methods are answered with problem details, not documented per path.
            if response.status_code in (404, 405):
                assert response.content_type == "application/problem+json"
                return
            raise ContractViolation(f"{method} {path} is not in the OpenAPI document")
        documented = op["responses"].get(str(response.status_code))
        if documented is None:
            raise ContractViolation(
                f"{method} {path} answered {response.status_code}, which the document does not list "
                f"({', '.join(op['responses'])}): {response.get_data(as_text=True)[:300]}"
            )
        for name, header in documented.get("headers", {}).items():
            if header.get("required") and name not in response.headers:
                raise ContractViolation(f"{method} {path} {response.status_code} lacks the {name} header")
        content = documented.get("content")
        if not content:
            if response.get_data():
                raise ContractViolation(f"{method} {path} {response.status_code} should have no body")
            return
        media_type = response.mimetype
        if media_type not in content:
            raise ContractViolation(
                f"{method} {path} {response.status_code} sent {media_type}, not {list(content)}"
            )
        schema = content[media_type]["schema"]
        validator = Draft202012Validator(
            {"$ref": "urn:tracker-openapi#" + schema["$ref"][1:]} if "$ref" in schema else schema,
            registry=self.registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        errors = sorted(validator.iter_errors(response.get_json()), key=lambda e: list(e.path))
        if errors:
            details = "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
            raise ContractViolation(f"{method} {path} {response.status_code} breaks its schema: {details}")


class Api:
    """The test client with a bearer token, validating every response against the document."""

    def __init__(self, client, token: str | None, contract: DocumentedResponses) -> None:
        self.client, self.token, self.contract = client, token, contract

    def as_(self, token: str | None) -> Api:
        return Api(self.client, token, self.contract)

    def request(self, method: str, path: str, *, headers: dict | None = None, **kwargs):
        headers = dict(headers or {})
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        response = self.client.open(BASE + path, method=method, headers=headers, **kwargs)
        self.contract.check(method, path.split("?", 1)[0], response)
        return response

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture
def contract(app) -> DocumentedResponses:
    with app.test_request_context():
        return DocumentedResponses(openapi_document())


@pytest.fixture
def cast(team_of_three):
    """team_of_three plus a token for each of them."""
    return {
        **team_of_three,
        **{
            f"{who}_token": token_for(team_of_three[who])
            for who in ("owner", "manager", "member", "outsider")
        },
    }


@pytest.fixture
def api(client, contract, cast) -> Api:
    """Acting as the team's owner; `api.as_(cast["member_token"])` acts as someone else."""
    return Api(client, cast["owner_token"], contract)


def assert_problem(response, status: int, *fields: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    for field in fields:
        assert field in body.get("errors", {}), body
    return body


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # thousands of lines would drown a failure's report
        pass


@pytest.fixture
def live_api(make_app):
    """The app on 127.0.0.1 (a thread), with a seeded team and a token for its owner. Webhook calls
    are only queued (DELIVERY=cron): a fuzzer's webhooks point at random addresses."""
    app = make_app(API_RATE_LIMIT="100000 per minute", DELIVERY="cron")
    owner, mate = make_user("Olga", timezone="Europe/Lisbon"), make_user("Mia", timezone="Asia/Tokyo")
    member = make_team(owner, "Backend")
    add_to_team(member, mate)
    tasks = [make_task(member, f"Task {i}", assignee_id=mate.id, due_at=None) for i in range(5)]
    entry = timelog.log_time(member, tasks[0], 1.5, tasks[0].created_at.date(), "seed")
    comment = comments.add_comment(member, tasks[0], "Seeded, @Mia")
    move_to_trash(member, tasks[4])
    feature = features.create_feature(member, {"title": "Seeded feature"})
    item = checklists.add_item(member, tasks[1], "Seeded item")
    token = tokens.create_token(owner, "live")[1]
    seeded = {
        "mate_email": mate.email,
        "mate_token": tokens.create_token(mate, "live")[1],
        "team_id": member.team_id,
        "task_id": tasks[0].id,
        "user_id": mate.id,
        "entry_id": entry.id,
        "comment_id": comment.id,
        "feature_id": feature.id,
        "item_id": item.id,
        "category_id": member.team.categories[0].id,
    }
    db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"base": f"http://127.0.0.1:{server.server_port}", "token": token, **seeded}
    finally:
        server.shutdown()
        thread.join()
