"""The OpenAPI document: valid 3.1, complete, generated from the models, and its reference page."""

from __future__ import annotations

import re

from openapi_spec_validator import validate


def test_document_is_valid_openapi_31(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200 and r.content_type == "application/json"
    document = r.get_json()
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_endpoint_of_the_contract_is_documented(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    expected = {
        ("get", "/me"),
        ("patch", "/me"),
        ("get", "/teams"),
        ("post", "/teams"),
        ("get", "/teams/{team_id}"),
        ("patch", "/teams/{team_id}"),
        ("get", "/teams/{team_id}/members"),
        ("get", "/teams/{team_id}/invitations"),
        ("post", "/teams/{team_id}/invitations"),
        ("delete", "/invitations/{invitation_id}"),
        ("post", "/invitations/accept"),
        ("get", "/teams/{team_id}/tasks"),
        ("post", "/teams/{team_id}/tasks"),
        ("get", "/tasks/{task_id}"),
        ("patch", "/tasks/{task_id}"),
        ("delete", "/tasks/{task_id}"),
        ("post", "/tasks/{task_id}/restore"),
        ("get", "/tasks/{task_id}/time-entries"),
        ("post", "/tasks/{task_id}/time-entries"),
        ("get", "/teams/{team_id}/export"),
        ("post", "/teams/import"),
        ("post", "/teams/{team_id}/import"),
        ("get", "/openapi.json"),
    }
    documented = {(method, path) for path, methods in paths.items() for method in methods}
    assert expected <= documented


def served_operations(app, prefix: str) -> set[tuple[str, str]]:
    """(method, OpenAPI path template) for every route the app really serves under `prefix`."""
    return {
        (method.lower(), re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(prefix)))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(prefix + "/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_the_document_and_the_served_routes_agree(app, client):
    """Every API route Flask serves is documented with its methods, and every documented operation is
    served: the comparison is with the URL map, not with the list the document is generated from."""
    document = client.get("/api/v1/openapi.json").get_json()
    [server] = document["servers"]
    documented = {
        (method, path): operation
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }
    served = served_operations(app, server["url"])
    assert len(served) > 30
    assert sorted(served - set(documented)) == [], "served but not documented"
    assert sorted(set(documented) - served) == [], "documented but not served"
    for (method, path), operation in documented.items():
        in_path = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert in_path == set(re.findall(r"{(\w+)}", path)), (method, path)


def test_errors_and_headers_are_documented(client):
    document = client.get("/api/v1/openapi.json").get_json()
    patch = document["paths"]["/tasks/{task_id}"]["patch"]
    assert {"400", "401", "404", "409", "412", "415", "422", "429"} <= set(patch["responses"])
    assert patch["responses"]["409"]["content"]["application/problem+json"]["schema"]["$ref"].endswith(
        "ConflictProblem"
    )
    assert patch["responses"]["429"]["headers"]["Retry-After"]["required"] is True
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in patch["parameters"])
    create = document["paths"]["/teams/{team_id}/tasks"]["post"]
    assert {"Location", "ETag"} <= set(create["responses"]["201"]["headers"])
    listing = document["paths"]["/teams/{team_id}/tasks"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {
        "status",
        "category",
        "priority",
        "assignee",
        "label",
        "due_before",
        "due_after",
        "overdue",
        "q",
        "sort",
        "page",
        "per_page",
    } <= names
    # Vocabularies come from the models, not a second list.
    task = document["components"]["schemas"]["TaskOut"]
    assert task["properties"]["status"]["enum"] == ["todo", "in_progress", "in_review", "blocked", "done"]
    assert document["paths"]["/openapi.json"]["get"]["security"] == []


def test_reference_page_renders_the_document(client):
    r = client.get("/api/docs")
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    assert "<code>PATCH /tasks/{task_id}</code>" in page
    assert 'id="problem-validation"' in page and 'id="schema-TaskOut"' in page
    assert "If-Match" in page and "Retry-After" in page
    assert "Add idempotency keys to POST /payments" in page  # request examples are shown
    assert "<script>" not in page
