"""The issue's "done when": a script that knows only the OpenAPI document's URL and a token creates a
team, invites a member who accepts, creates, filters and updates tasks (with concurrency control), comments, logs
time, deletes a task and reads every view. It talks HTTP to a live server and takes every path,
method and field name from the document, by operationId."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request


class Client:
    """What a client script would write: look operations up in the document, call them."""

    def __init__(self, document_url: str, token: str) -> None:
        with urllib.request.urlopen(document_url) as response:
            self.document = json.load(response)
        self.base = urllib.parse.urljoin(document_url, self.document["servers"][0]["url"])
        self.token = token
        self.operations = {
            op["operationId"]: (method.upper(), path)
            for path, methods in self.document["paths"].items()
            for method, op in methods.items()
        }

    def call(
        self,
        operation_id: str,
        body: dict | None = None,
        headers: dict | None = None,
        query: dict | None = None,
        **path_args,
    ):
        method, template = self.operations[operation_id]
        url = self.base + template.format(**path_args)
        if query:
            url += "?" + urllib.parse.urlencode(query)
        request = urllib.request.Request(
            url,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Accept": "application/json",
                **(headers or {}),
            },
        )
        if body is not None:
            request.data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request) as response:
                raw = response.read()
                return response.status, dict(response.headers), json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), json.loads(error.read())


def test_a_script_built_from_the_document_alone(live_api):
    api = Client(live_api["base"] + "/api/v1/openapi.json", live_api["token"])
    schemas = api.document["components"]["schemas"]
    assert {"title", "category"} <= set(schemas["TaskCreate"]["required"])

    status, _, me = api.call("get_me")
    assert status == 200

    status, headers, team = api.call("create_team", {"name": "Script team"})
    assert status == 201 and team["role"] == "owner"
    category = team["categories"][0]["slug"]

    status, _, invitation = api.call(
        "invite", {"email": live_api["mate_email"], "role": "member"}, team_id=team["id"]
    )
    assert status == 202
    mate = Client(live_api["base"] + "/api/v1/openapi.json", live_api["mate_token"])
    token = invitation["accept_url"].rsplit("/", 1)[1]
    assert mate.call("accept_invitation", {"token": token})[0] == 200
    status, _, members = api.call("list_members", team_id=team["id"])
    [member] = [m for m in members["items"] if m["user_id"] != me["id"]]
    assert member["email"] == live_api["mate_email"]

    status, headers, task = api.call(
        "create_task",
        {
            "title": "Paginate the export",
            "category": category,
            "priority": "high",
            "assignee_id": member["user_id"],
            "due_at": "2030-03-01",
            "estimate_hours": 5,
            "labels": ["export"],
        },
        team_id=team["id"],
    )
    assert status == 201 and headers["ETag"] == '"1"' and headers["Location"].endswith(f"/tasks/{task['id']}")
    api.call(
        "create_task", {"title": "Unrelated", "category": category, "priority": "low"}, team_id=team["id"]
    )

    status, _, found = api.call(
        "list_tasks",
        team_id=team["id"],
        query={"priority": "high", "assignee": member["user_id"], "label": "export"},
    )
    assert status == 200 and [t["id"] for t in found["items"]] == [task["id"]]

    status, headers, _ = api.call("get_task", task_id=task["id"])
    etag = headers["ETag"]
    status, headers, task = api.call(
        "patch_task", {"status": "in_progress"}, headers={"If-Match": etag}, task_id=task["id"]
    )
    assert status == 200 and task["version"] == 2
    status, _, problem = api.call(
        "patch_task", {"status": "in_review"}, headers={"If-Match": etag}, task_id=task["id"]
    )
    assert status == 412 and problem["current"]["status"] == "in_progress"
    status, _, problem = api.call("patch_task", {"status": "in_review", "version": 1}, task_id=task["id"])
    assert status == 409 and problem["current"]["version"] == 2
    status, _, task = api.call(
        "patch_task", {"status": "in_review", "version": problem["current"]["version"]}, task_id=task["id"]
    )
    assert status == 200 and task["status"] == "in_review"

    status, _, comment = api.call("add_comment", {"body": "Looks good, one nit."}, task_id=task["id"])
    assert status == 201 and comment["body_html"].startswith("<p>")
    status, _, entry = api.call(
        "log_time", {"hours": 2.5, "spent_on": "2026-11-24", "note": "first pass"}, task_id=task["id"]
    )
    assert status == 201
    status, _, task = api.call("get_task", task_id=task["id"])
    assert task["spent_hours"] == 2.5

    for view in ("my_work", "get_calendar", "list_notifications"):
        assert api.call(view)[0] == 200, view
    for view in ("eisenhower", "deadlines", "forecast", "team_activity", "list_webhooks"):
        assert api.call(view, team_id=team["id"])[0] == 200, view
    status, _, forecast = api.call("forecast", team_id=team["id"])
    assert task["id"] in {item["task_id"] for item in forecast["items"]}
    status, _, history = api.call("task_activity", task_id=task["id"])
    assert {"created", "changed", "commented", "time_logged"} <= {h["kind"] for h in history["items"]}

    status, _, body = api.call("delete_task", task_id=task["id"])
    assert status == 204 and body is None
    assert api.call("get_task", task_id=task["id"])[0] == 404
    status, _, restored = api.call("restore_task", task_id=task["id"])
    assert status == 200 and restored["id"] == task["id"]
