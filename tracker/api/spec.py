"""GET /api/v1/openapi.json: the OpenAPI 3.1 document, built from the declared operations and the
pydantic models that validate their requests and build their responses."""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

from flask import jsonify
from pydantic import BaseModel

from ..vocabulary import MAX_ID, MIN_ID
from .core import OPERATIONS, Operation, operation
from .schemas import ConflictProblem, Problem, ValidationProblem

REF = "#/components/schemas/{model}"
STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No content",
    400: "Malformed request: invalid JSON, an empty body, or NUL characters",
    401: "Missing, unknown or revoked token",
    403: "Your role in the team does not allow this, or the team requires two-factor authentication of you "
         "(type two-factor-required)",
    404: "No such object, or it belongs to a team you are not in",
    409: "The version you sent is stale",
    412: "The If-Match ETag is stale",
    413: "The body is too large",
    415: "The body is not JSON",
    422: "Invalid input; errors lists the messages per field",
    429: "Rate limit exceeded; see Retry-After",
    503: "The database cannot be reached for a moment; nothing was saved. Retry after Retry-After",
}
TAG_TEXT = {
    "Me": "The caller's account and working schedule.",
    "Teams": "Teams the caller belongs to.",
    "Members": "Who is in a team, with which role.",
    "Tasks": "Tasks, their filters and concurrency control.",
    "Time": "Time tracking on tasks.",
    "Views": "Prioritisation views: my work, Eisenhower, deadlines, forecast.",
    "Features": "Features: their required categories, coverage, shipping and forecast.",
    "Collaboration": "Comments, activity, notifications, webhooks and calendar feeds.",
    "Meta": "This document.",
}
DESCRIPTION = """\
The Tracker JSON API. Every endpoint except this document needs a personal API token, created in
your settings page or with `flask --app tracker create-token EMAIL`, sent as
`Authorization: Bearer <token>`.

* **Errors** are `application/problem+json` (RFC 9457) with `type`, `title`, `status` and `detail`.
  Validation errors are 422 with `errors: {field: [message, ...]}`; malformed JSON is 400. Another
  team's object, or one that does not exist, is 404; a role that does not allow an action is 403.
* **Times** are RFC 3339; the server answers in UTC with a `Z`. A date alone given as a deadline means
  the end of that day (23:59:59) in the assignee's time zone (else the caller's).
* **Lists** are `{"items": [...], "total": N, "page": P, "per_page": K}`; `page` from 1, `per_page`
  at most 200 (default 50).
* **Concurrency**: a task has an integer `version`, sent as the `ETag`. A PATCH or DELETE whose
  `If-Match` is stale gets 412; a PATCH whose body carries a stale `version` gets 409 with the task as
  it now is in `current`.
* **Rate limits** are per token; beyond them you get 429 with `Retry-After` (seconds).
* **Two-factor authentication**: tokens are not a second factor's substitute nor its victim. Turning two
  factors on or off leaves your tokens working (revoke them in the settings if in doubt). A team that
  requires two factors of you while your account has them off answers every one of its endpoints with
  403 and the type `#problem-two-factor-required`, with any of your tokens, until you turn them on.
"""


def _strip_titles(schema: Any) -> Any:
    """pydantic adds a `title` to every property; the names say as much, so drop them."""
    if isinstance(schema, dict):
        return {
            k: v if k in ("examples", "default", "enum", "const") else _strip_titles(v)
            for k, v in schema.items()
            if not (k == "title" and isinstance(v, str) and "properties" not in schema)
        }
    if isinstance(schema, list):
        return [_strip_titles(v) for v in schema]
    return schema


class _Builder:
    def __init__(self) -> None:
        self.schemas: dict[str, Any] = {}

    def ref(self, model: type[BaseModel], mode: str) -> dict:
        name = model.__name__
        if name not in self.schemas:
            schema = model.model_json_schema(ref_template=REF, mode=mode)
            for def_name, definition in schema.pop("$defs", {}).items():
                self.schemas.setdefault(def_name, _strip_titles(definition))
            self.schemas[name] = _strip_titles(schema)
        return {"$ref": REF.format(model=name)}

    def query_parameters(self, model: type[BaseModel]) -> list[dict]:
        schema = _strip_titles(model.model_json_schema(mode="validation"))
        required = set(schema.get("required", ()))
        parameters = []
        for name, prop in schema["properties"].items():
            prop = copy.deepcopy(prop)
            description = prop.pop("description", None)
            if "anyOf" in prop:  # `X | None`: a query argument is absent rather than null
                options = [o for o in prop.pop("anyOf") if o != {"type": "null"}]
                prop.update(options[0] if len(options) == 1 else {"anyOf": options})
            if prop.get("default", 0) is None:
                prop.pop("default")
            parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if description:
                parameter["description"] = description
            parameters.append(parameter)
        return parameters

    def problem(self, status: int) -> dict:
        model = {422: ValidationProblem, 409: ConflictProblem, 412: ConflictProblem}.get(status, Problem)
        response: dict[str, Any] = {
            "description": STATUS_TEXT.get(status, "Error"),
            "content": {"application/problem+json": {"schema": self.ref(model, "serialization")}},
        }
        headers = {
            401: ("WWW-Authenticate", "The authentication scheme: Bearer."),
            429: ("Retry-After", "Seconds to wait before trying again."),
            503: ("Retry-After", "Seconds to wait before trying again."),
        }
        if status in headers:
            name, text = headers[status]
            response["headers"] = {
                name: {"description": text, "required": True, "schema": {"type": "string"}}
            }
        return response

    def operation(self, op: Operation) -> dict:
        parameters = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": MIN_ID, "maximum": MAX_ID},
            }
            for name in re.findall(r"{(\w+)}", op.path)
        ]
        if op.query is not None:
            parameters += self.query_parameters(op.query)
        for name, text in op.request_headers.items():
            parameters.append(
                {
                    "name": name,
                    "in": "header",
                    "required": False,
                    "description": text,
                    "schema": {"type": "string"},
                }
            )
        success: dict[str, Any] = {"description": STATUS_TEXT.get(op.status, "OK")}
        if op.status != 204:
            schema = self.ref(op.response, "serialization") if op.response else {"type": "object"}
            success["content"] = {op.media_type: {"schema": schema}}
            success["content"] |= {media: {"schema": other} for media, other in op.alternatives.items()}
        if op.headers:
            success["headers"] = {
                name: {"description": text, "required": True, "schema": {"type": "string"}}
                for name, text in op.headers.items()
            }
        document: dict[str, Any] = {
            "operationId": op.endpoint.split(".", 1)[1],
            "summary": op.summary,
            "tags": [op.tag],
            "responses": {str(op.status): success}
            | {str(status): self.problem(status) for status in sorted(op.errors)},
        }
        if op.description:
            document["description"] = op.description
        if parameters:
            document["parameters"] = parameters
        if op.body is not None:
            document["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": self.ref(op.body, "validation")}},
            }
        if not op.auth:
            document["security"] = []
        return document


@functools.cache
def openapi_document() -> dict:
    """The whole document (built once per process: the operations are fixed at import time)."""
    builder = _Builder()
    paths: dict[str, dict] = {}
    for op in OPERATIONS.values():
        paths.setdefault(op.path, {})[op.method.lower()] = builder.operation(op)
    tags = sorted({op.tag for op in OPERATIONS.values()}, key=list(TAG_TEXT).index)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Tracker API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "tags": [{"name": tag, "description": TAG_TEXT[tag]} for tag in tags],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token from your settings page or `create-token`.",
                }
            },
            "schemas": dict(sorted(builder.schemas.items())),
        },
    }


@operation("GET", "/openapi.json", summary="This OpenAPI 3.1 document", tag="Meta", auth=False)
def get_openapi():
    """The machine-readable description of every endpoint; no token needed."""
    return jsonify(openapi_document())
