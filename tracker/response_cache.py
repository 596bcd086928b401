"""Rendered pages and API lists kept in each process and served again while nothing has changed.

Every transaction that writes moves one number in the database on (`data_version`), in the same commit as
its writes: the engine events below see every INSERT, UPDATE and DELETE, whether it comes from the ORM,
Core, a bulk import or a command, on any host. A response is kept under that number, the minute, who asks
and everything of the request a page depends on (path and query, host, the session's contents, the other
cookies, the Authorization, Accept and If-None-Match headers). So a read after any write renders afresh,
and nothing is served from a minute before (deadlines turn overdue, "in 3 hours" moves on).

Only the views wrapped in `cached` use it, after their sign-in check; a response is kept only when it is a
200 that set no cookie, left the session as it was and wrote nothing on the way. The touches that change
no page (a login session's or a token's "last used", coarse already) do not move the number.
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from flask import Response, current_app, g, has_request_context, request, session
from flask_login import current_user
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from .extensions import db
from .models import DataVersion, utcnow

WROTE = "tracker.wrote"
_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+"?(\w+)', re.IGNORECASE)
# Writes that change nothing a page shows: the coarse "last seen" touches of sign-in.
_TOUCHES = re.compile(
    r'\s*UPDATE\s+"?(login_sessions|api_tokens)"?\s+SET\s+"?(last_seen_at|last_used_at)"?\s*=[^,]*\s+WHERE',
    re.IGNORECASE,
)
_BUMP = ("INSERT INTO data_version (id, version) VALUES (1, 1) "
         "ON CONFLICT (id) DO UPDATE SET version = data_version.version + 1")


# The number every write moves on --------------------------------------------------------------------


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(conn, _cursor, statement: str, *_args) -> None:
    match = _WRITE.match(statement)
    if match is None or _TOUCHES.match(statement):
        return
    if match[1].lower() == "alembic_version":
        conn.info[WROTE] = "migration"  # a schema upgrade: the table may not be there yet
    elif conn.info.get(WROTE) != "migration":
        conn.info[WROTE] = "data"
    if has_request_context():
        g.wrote_data = True


@event.listens_for(Engine, "commit")
def _bump(conn) -> None:
    """Right before the transaction commits, after its last write: the number moves in the same commit."""
    if conn.info.pop(WROTE, None) != "data":
        return
    cursor = conn.connection.cursor()
    try:
        cursor.execute(_BUMP)
    finally:
        cursor.close()


@event.listens_for(Engine, "rollback")
def _forget(conn) -> None:
    conn.info.pop(WROTE, None)


def data_version() -> int:
    return db.session.scalar(select(DataVersion.version).where(DataVersion.id == 1)) or 0


# The cache of one process ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Kept:
    body: bytes
    headers: list[tuple[str, str]]

    def response(self) -> Response:
        return Response(self.body, status=200, headers=self.headers)


class Responses:
    """Least recently used first out, within a budget of bytes (RESPONSE_CACHE_BYTES)."""

    def __init__(self) -> None:
        self.items: OrderedDict[bytes, Kept] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: bytes) -> Kept | None:
        with self.lock:
            kept = self.items.get(key)
            if kept is not None:
                self.items.move_to_end(key)
            return kept

    def put(self, key: bytes, kept: Kept, budget: int) -> None:
        if len(kept.body) > budget // 4:
            return
        with self.lock:
            old = self.items.pop(key, None)
            self.size += len(kept.body) - (len(old.body) if old else 0)
            self.items[key] = kept
            while self.size > budget:
                _key, dropped = self.items.popitem(last=False)
                self.size -= len(dropped.body)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.size = 0


def responses() -> Responses:
    """This app's cache (each app its own: two apps in one process may share ids and numbers)."""
    return current_app.extensions.setdefault("response_cache", Responses())


def _key(viewer_id: int) -> bytes:
    """Everything of this request a page can depend on besides the data and the minute."""
    cookie_name = current_app.config["SESSION_COOKIE_NAME"]
    parts = [
        data_version(), utcnow().isoformat(timespec="minutes"), viewer_id, request.host,
        request.full_path, sorted((k, v) for k, v in request.cookies.items() if k != cookie_name),
        [request.headers.get(name) for name in ("Authorization", "Accept", "If-None-Match")],
        dict(session),
    ]
    return hashlib.blake2b(json.dumps(parts, sort_keys=True, default=str).encode(), digest_size=20).digest()


def _keepable(response: Response) -> bool:
    return (
        response.status_code == 200 and not response.is_streamed and "Set-Cookie" not in response.headers
        and not session.modified and not g.get("wrote_data")
    )


def cached(view: Callable) -> Callable:
    """Serve the view's response from this process's cache while the data, the minute and the request are
    the same; render (and keep) it otherwise. Only GETs; wrap it inside the sign-in check."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        budget = current_app.config["RESPONSE_CACHE_BYTES"]
        viewer = g.get("api_user") or current_user
        if (not budget or request.method != "GET" or not getattr(viewer, "is_authenticated", False)
                or "_flashes" in session):  # (a POST that shows the page again with its errors calls it too)
            return view(*args, **kwargs)
        key = _key(viewer.id)
        kept = responses().get(key)
        if kept is not None:
            return kept.response()
        response = current_app.make_response(view(*args, **kwargs))
        if _keepable(response):
            headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-length"]
            responses().put(key, Kept(response.get_data(), headers), budget)
        return response

    return wrapper
