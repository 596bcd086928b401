"""What pages read from the request besides their forms: query-string arguments and the `next` address.
Arguments get the bounds the API gives its own: a bad one is an `Invalid` naming it (a 422 page that says
what to fix), never a number or date that overflows further down (a 500)."""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import TypeVar
from urllib.parse import urlsplit

from flask import request, url_for

from ..errors import Invalid
from ..paging import MAX_PAGE
from ..timelog import FIRST_DAY, LAST_DAY
from ..vocabulary import is_id

Filter = TypeVar("Filter")
NUMBER = re.compile(r"[0-9]{1,10}")  # ASCII digits only: int() also reads "١٢", and a long one is slow
TRUE, FALSE = ("1", "true", "on", "yes"), ("", "0", "false", "off", "no")


def _args(args: Mapping[str, str] | None) -> Mapping[str, str]:
    return request.args if args is None else args


def _text(name: str, args: Mapping[str, str] | None) -> str:
    return (_args(args).get(name) or "").strip()


def page_number(args: Mapping[str, str] | None = None) -> int:
    """`?page=`: 1 when absent, else a whole number from 1 to MAX_PAGE."""
    raw = _text("page", args)
    if not raw:
        return 1
    if not (NUMBER.fullmatch(raw) and 1 <= int(raw) <= MAX_PAGE):
        raise Invalid({"page": [f"Use a page number from 1 to {MAX_PAGE}."]})
    return int(raw)


def flag(name: str, args: Mapping[str, str] | None = None) -> bool:
    """A yes/no argument: 1, true, on or yes; absent, 0, false, off or no."""
    raw = _text(name, args).lower()
    if raw not in TRUE + FALSE:
        raise Invalid({name: ["Use 1 or 0."]})
    return raw in TRUE


def day(name: str, default: date, args: Mapping[str, str] | None = None) -> date:
    """A day of this century (as deadlines and time entries), written 2026-11-23; `default` when absent."""
    raw = _text(name, args)
    if not raw:
        return default
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        value = None
    if value is None or not FIRST_DAY <= value <= LAST_DAY:
        raise Invalid({name: [f"Use a day from {FIRST_DAY} to {LAST_DAY}, written like {default}."]})
    return value


def list_filter(parse: Callable[[Mapping[str, str]], Filter], unfiltered: Filter,
                args: Mapping[str, str] | None = None, user_ids: tuple[str, ...] = ()) -> tuple[Filter, Invalid | None]:
    """A list page's filter from the query string (or a form: a refused "save this filter" shows the page
    again) and the Invalid it raised, if any: the page then shows the messages above the unfiltered list,
    with status 422. The `user_ids` arguments are checked to be ids first, as the API's query models
    check them before the domain reads them."""
    args = request.values if args is None else args
    errors = {name: ["Use a user id."] for name in user_ids
              if (raw := _text(name, args)) and not (NUMBER.fullmatch(raw) and is_id(int(raw)))}
    try:
        parsed = parse({name: value for name, value in args.items() if name not in errors})
    except Invalid as exc:
        errors = {**exc.errors, **errors}
    return (unfiltered, Invalid(errors)) if errors else (parsed, None)


def wants_json() -> bool:
    """Whether a script (fetch) asks for JSON rather than a page."""
    return request.accept_mimetypes.best == "application/json"


def safe_next(target: str | None, fallback: str = "main.index") -> str:
    """Redirect only to a path on this site (no open redirect); else to the fallback endpoint."""
    if target and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for(fallback)
