"""The API reference page (/api/docs): the OpenAPI document rendered by the app's own template."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, render_template

from .spec import STATUS_TEXT, openapi_document

bp = Blueprint("api_docs", __name__)
METHOD_ORDER = ("get", "post", "put", "patch", "delete")


def describe_type(schema: dict) -> str:
    """A short human name for a JSON schema: `string (date-time)`, `array of Task`, `one of: a, b`."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "enum" in schema:
        return "one of: " + ", ".join(str(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    if "anyOf" in schema:
        return " or ".join(describe_type(option) for option in schema["anyOf"])
    kind = schema.get("type", "any")
    if kind == "array":
        return "array of " + describe_type(schema.get("items", {}))
    if (
        kind == "object"
        and "additionalProperties" in schema
        and isinstance(schema["additionalProperties"], dict)
    ):
        return "object of " + describe_type(schema["additionalProperties"])
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    if "pattern" in schema:
        return f"{kind} matching {schema['pattern']}"
    return str(kind)


def _constraints(schema: dict) -> str:
    parts = []
    for key, text in (
        ("minimum", "≥ {}"),
        ("maximum", "≤ {}"),
        ("minLength", "at least {} characters"),
        ("maxLength", "at most {} characters"),
        ("default", "default {}"),
    ):
        if key in schema and not (key == "default" and schema[key] is None):
            parts.append(text.format(schema[key]))
    return ", ".join(parts)


def fields_of(schema: dict) -> list[dict[str, Any]]:
    required = set(schema.get("required", ()))
    return [
        {
            "name": name,
            "type": describe_type(prop),
            "required": name in required,
            "description": prop.get("description", ""),
            "constraints": _constraints(prop),
        }
        for name, prop in schema.get("properties", {}).items()
    ]


def _example(document: dict, schema: dict | None) -> str:
    """The first example of a request body's schema, as indented JSON (empty without one)."""
    if not schema or "$ref" not in schema:
        return ""
    examples = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]].get("examples")
    return json.dumps(examples[0], indent=2, ensure_ascii=False) if examples else ""


def reference_model() -> dict[str, Any]:
    """The document reshaped for the template: operations grouped by tag, schemas as field tables."""
    document = openapi_document()
    groups: dict[str, list] = {tag["name"]: [] for tag in document["tags"]}
    for path, methods in document["paths"].items():
        for method in sorted(methods, key=METHOD_ORDER.index):
            op = methods[method]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            responses = []
            for status, response in op["responses"].items():
                schema = next(iter(response.get("content", {}).values()), {}).get("schema")
                responses.append(
                    {
                        "status": status,
                        "description": response["description"],
                        "type": describe_type(schema) if schema else "",
                        "headers": list(response.get("headers", {})),
                    }
                )
            groups[op["tags"][0]].append(
                {
                    "id": op["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "summary": op["summary"],
                    "description": op.get("description", ""),
                    "auth": op.get("security") != [],
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "type": describe_type(p["schema"]),
                            "required": p["required"],
                            "description": p.get("description", ""),
                            "constraints": _constraints(p["schema"]),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": describe_type(body) if body else "",
                    "example": _example(document, body),
                    "responses": responses,
                }
            )
    schemas = {name: fields_of(schema) for name, schema in document["components"]["schemas"].items()}
    return {"document": document, "groups": groups, "schemas": schemas, "status_text": STATUS_TEXT}


@bp.get("/api/docs")
def reference():
    return render_template("api/reference.html", **reference_model())
