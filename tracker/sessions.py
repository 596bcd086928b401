"""Signed-in browsers, kept server-side: a login starts a session whose random token the session and
remember-me cookies carry (User.get_id); logging out, "sign out" from the settings, a password change
and idleness delete it, after which those cookies open nothing."""
from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import joinedload

from .errors import NotFound
from .extensions import db
from .models import LoginSession, User, utcnow
from .tokens import digest

# Writing "last seen" on every request would turn each page view into a write; to within a few minutes
# is plenty for the settings page and for idleness measured in days.
TOUCH_PRECISION = timedelta(minutes=5)
TOKEN_MAX = 100  # what a cookie may carry; anything longer is not one of ours


def idle_limit() -> timedelta:
    return timedelta(days=current_app.config["SESSION_IDLE_DAYS"])


def start_session(user: User, *, user_agent: str = "", ip: str = "") -> str:
    """A new session for the user on one browser; returns its token (kept only as a digest), which is
    also set on `user` for Flask-Login to put in the cookies. Ends the user's idle sessions meanwhile."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    idle = (LoginSession.user_id == user.id) & (LoginSession.last_seen_at < now - idle_limit())
    db.session.execute(delete(LoginSession).where(idle))
    db.session.add(
        LoginSession(
            id=digest(token), user_id=user.id, created_at=now, last_seen_at=now,
            user_agent=(user_agent or "")[:200], ip=(ip or "")[:45],
        )
    )
    db.session.commit()
    user.session_token = token
    return token


def end_idle_sessions(now: datetime | None = None) -> int:
    """Delete every session unused for SESSION_IDLE_DAYS (they open nothing already); returns how many."""
    now = now or utcnow()
    ended = db.session.execute(delete(LoginSession).where(LoginSession.last_seen_at < now - idle_limit()))
    db.session.commit()
    return ended.rowcount


def user_for_session(token: str | None, now: datetime | None = None) -> User | None:
    """The user of a live session, or None for a missing, unknown, ended or idle one (an idle one is
    deleted). Notes the use, at most every TOUCH_PRECISION."""
    if not token or len(token) > TOKEN_MAX:
        return None
    session = db.session.scalar(
        select(LoginSession).options(joinedload(LoginSession.user)).where(LoginSession.id == digest(token))
    )
    if session is None:
        return None
    now = now or utcnow()
    if now - session.last_seen_at >= idle_limit():
        db.session.delete(session)
        db.session.commit()
        return None
    if now - session.last_seen_at >= TOUCH_PRECISION:
        session.last_seen_at = now
        db.session.commit()
    session.user.session_token = token
    return session.user


def current_session_id(user: User) -> str | None:
    """The id of the session `user` was loaded through (to mark "this browser" in a list)."""
    return digest(user.session_token) if user.session_token else None


def sessions_of(user: User) -> list[LoginSession]:
    """The user's live sessions, most recently used first."""
    return list(
        db.session.scalars(
            select(LoginSession)
            .where(LoginSession.user_id == user.id, LoginSession.last_seen_at >= utcnow() - idle_limit())
            .order_by(LoginSession.last_seen_at.desc(), LoginSession.created_at.desc())
        )
    )


def end_session(token: str | None) -> None:
    """Log out: the session behind this token ends, and with it both cookies that carry the token."""
    if token:
        db.session.execute(delete(LoginSession).where(LoginSession.id == digest(token)))
        db.session.commit()


def end_session_of(user: User, session_id: str) -> LoginSession:
    """Sign one of the user's own sessions out (from the settings page)."""
    session = db.session.get(LoginSession, session_id) if len(session_id) <= 64 else None
    if session is None or session.user_id != user.id:
        raise NotFound("No such session.")
    db.session.delete(session)
    db.session.commit()
    return session


def end_sessions(user: User, keep_token: str | None = None) -> int:
    """End the user's sessions but the one with `keep_token` (all of them without); returns how many
    ended. Does not commit: a password change does this as part of its own change."""
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep_token:
        query = query.where(LoginSession.id != digest(keep_token))
    return db.session.execute(query).rowcount


def sign_out_elsewhere(user: User) -> int:
    """"Sign out everywhere else": every session of the user but the one `user` was loaded through."""
    ended = end_sessions(user, keep_token=user.session_token)
    db.session.commit()
    return ended


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iOS"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def device_name(user_agent: str) -> str:
    """A short name for the browser behind a User-Agent header ("Firefox on Linux"); else the header."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in _SYSTEMS if re.search(rf"\b{mark}\b", user_agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    return user_agent[:60] or "Unknown browser"
