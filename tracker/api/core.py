"""The API's plumbing. One decorator, `operation`, declares an endpoint once: it routes the request,
validates the body and query with pydantic models, and records everything the OpenAPI document says
about it. Also here: bearer-token authentication, the per-token rate limit and problem details.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, current_app, g, request, url_for
from flask_limiter.util import get_remote_address
from pydantic import BaseModel, ValidationError

from .. import tokens
from ..errors import Invalid
from ..extensions import limiter
from ..models import User

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_BODY_BYTES = 1_000_000


# Operations ------------------------------------------------------------------------------------


@dataclass
class Operation:
    method: str
    rule: str
    endpoint: str
    summary: str
    description: str
    tag: str
    status: int
    response: type[BaseModel] | None
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    errors: set[int]
    headers: dict[str, str] = field(default_factory=dict)  # response header -> description
    request_headers: dict[str, str] = field(default_factory=dict)
    auth: bool = True
    media_type: str = "application/json"
    alternatives: dict[str, dict] = field(default_factory=dict)  # other media types of the answer: schema

    @property
    def path(self) -> str:
        """The rule in OpenAPI's notation: /teams/{team_id}."""
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", bp.url_prefix + self.rule)[len(bp.url_prefix) :]


OPERATIONS: dict[str, Operation] = {}
TAGS: dict[str, str] = {}


def _expected_errors(rule: str, errors: Iterable[int], auth: bool, body: type | None, query: type | None) -> set[int]:
    """The error statuses an operation can answer, for its OpenAPI entry."""
    # Any request can be malformed (400: NUL characters anywhere, bad JSON), over the rate limit, or
    # arrive while the database is unreachable (503).
    expected = set(errors) | {400, 429, 503}
    if auth:
        expected.add(401)
    if body is not None:
        expected |= {400, 413, 415, 422}
    if query is not None:
        expected.add(422)
    if "<" in rule:
        # A team's object: another team's is 404; a team that requires two-factor authentication of a
        # caller without it answers 403 (two-factor-required).
        expected |= {403, 404}
    return expected


def operation(
    method: str,
    rule: str,
    *,
    summary: str,
    tag: str,
    response: type[BaseModel] | None = None,
    status: int = 200,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    errors: Iterable[int] = (),
    headers: dict[str, str] | None = None,
    request_headers: dict[str, str] | None = None,
    auth: bool = True,
    media_type: str = "application/json",
) -> Callable:
    """Declare an endpoint. The view receives the path arguments, plus `body` and `query` (validated
    models) when the operation has them, and returns a Response (see `reply`)."""

    def decorate(func: Callable) -> Callable:
        op = Operation(
            method=method.upper(),
            rule=rule,
            endpoint=f"{bp.name}.{func.__name__}",
            summary=summary,
            description=inspect.cleandoc(func.__doc__ or ""),
            tag=tag,
            status=status,
            response=response,
            body=body,
            query=query,
            errors=_expected_errors(rule, errors, auth, body, query),
            headers=headers or {},
            request_headers=request_headers or {},
            auth=auth,
            media_type=media_type,
        )
        OPERATIONS[op.endpoint] = op

        @functools.wraps(func)
        def view(**kwargs: Any) -> Response:
            if query is not None:
                kwargs["query"] = parse_query(query)
            if body is not None:
                kwargs["body"] = parse_body(body)
            return func(**kwargs)

        bp.add_url_rule(rule, endpoint=func.__name__, view_func=view, methods=[op.method])
        return func

    return decorate


# Requests --------------------------------------------------------------------------------------


class ProblemResponse(Exception):
    """Stop handling the request and answer with this problem."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers, self.extra = status, detail, headers or {}, extra


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _unstorable(value: Any, path: str, found: dict[str, list[str]]) -> None:
    """Strings no database can store: NUL characters and unpaired surrogates."""
    if isinstance(value, str):
        if "\x00" in value:
            found.setdefault(path, []).append("Text cannot contain NUL characters.")
        else:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                found.setdefault(path, []).append("Text must be valid Unicode.")
    elif isinstance(value, dict):
        for key, item in value.items():
            _unstorable(item, path or str(key), found)
    elif isinstance(value, list):
        for item in value:
            _unstorable(item, path, found)


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    """pydantic's errors as the contract's {"field": ["message", ...]}."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False):
        loc = [part for part in error["loc"] if isinstance(part, str)]
        name = loc[0] if loc else "body"
        message = error["msg"]
        if message not in errors.setdefault(name, []):
            errors[name].append(message)
    return errors


def parse_body(model: type[BaseModel]) -> BaseModel:
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise ProblemResponse(413, f"Send at most {MAX_BODY_BYTES} bytes.")
    if not request.is_json:
        raise ProblemResponse(415, "Send the body as application/json.")
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ProblemResponse(400, "Send a JSON object in the request body.")
    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ProblemResponse(400, f"The body is not valid JSON: {exc}") from None
    bad: dict[str, list[str]] = {}
    _unstorable(data, "", bad)
    if bad:
        raise Invalid({name or "body": messages for name, messages in bad.items()})
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise Invalid(field_errors(exc)) from None


def parse_query(model: type[BaseModel]) -> BaseModel:
    args = request.args.to_dict()
    bad: dict[str, list[str]] = {}
    for name, value in args.items():
        _unstorable(value, name, bad)
    if bad:
        raise Invalid(bad)
    try:
        return model.model_validate(args)
    except ValidationError as exc:
        raise Invalid(field_errors(exc)) from None


def caller() -> User:
    """The user whose token authenticated this request."""
    return g.api_user


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_fails(version: int) -> bool:
    """True when the request has an If-Match that does not match the given version."""
    if "If-Match" not in request.headers:
        return False
    return not request.if_match.contains(str(version))


# Responses -------------------------------------------------------------------------------------


def reply(model: BaseModel | None, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    if model is None:
        response = current_app.response_class(status=status)
    else:
        response = current_app.response_class(
            model.model_dump_json(), status=status, mimetype="application/json"
        )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


PROBLEM_TYPES = {
    409: "conflict",
    412: "precondition-failed",
    422: "validation",
    429: "rate-limited",
}


def problem_type(status: int, name: str | None = None) -> str:
    """A URI for the kind of problem (`name`, else the status's): a section of the API reference, or
    about:blank."""
    name = name or PROBLEM_TYPES.get(status)
    if name is None:
        return "about:blank"
    return url_for("api_docs.reference", _external=True) + "#problem-" + name


def problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    body = {"type": problem_type(status), "title": title, "status": status, "detail": detail, **extra}
    response = current_app.response_class(
        json.dumps(body), status=status, mimetype="application/problem+json"
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


# Authentication and the rate limit --------------------------------------------------------------


def _bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def rate_limit_key() -> str:
    """Each token has its own budget; requests without one share their address's."""
    token = _bearer_token()
    return "token:" + tokens.digest(token) if token else "ip:" + get_remote_address()


limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_limit_key)(bp)


@bp.before_request
def authenticate() -> Response | None:
    op = OPERATIONS.get(request.endpoint or "")
    if op is None or not op.auth:
        return None
    user = tokens.user_for_token(_bearer_token())
    if user is None:
        detail = (
            "Send a personal API token as `Authorization: Bearer <token>`; create one in your settings."
            if _bearer_token() is None
            else "The token is unknown or was revoked."
        )
        return problem(401, "Unauthorized", detail, {"WWW-Authenticate": 'Bearer realm="tracker"'})
    g.api_user = user
    return None
