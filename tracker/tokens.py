"""Personal API tokens: shown once when created, stored only as a SHA-256 digest, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from .errors import Invalid, NotFound
from .extensions import db
from .models import ApiToken, User, utcnow

# The public prefix that marks a Tracker token (for secret scanners), not a secret.
TOKEN_PREFIX = "trk_"  # nosec B105
LABEL_MAX = 80
# Recording every use would turn each API read into a write (and a commit); to within five minutes is
# plenty for "last used", which tells people whether a token is still in use before they revoke it.
LAST_USED_PRECISION = timedelta(minutes=5)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_token(user: User, label: str = "") -> tuple[ApiToken, str]:
    """A new token for the user; returns the record and the token itself, which is not kept."""
    label = (label or "").strip()
    if len(label) > LABEL_MAX:
        raise Invalid({"label": [f"Use at most {LABEL_MAX} characters."]})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, label=label, token_hash=digest(raw), prefix=raw[:12])
    db.session.add(token)
    db.session.commit()
    return token, raw


def user_for_token(raw: str | None) -> User | None:
    """The owner of a live token, or None for a missing, unknown or revoked one."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = db.session.scalar(
        select(ApiToken)
        .options(joinedload(ApiToken.user))
        .where(ApiToken.token_hash == digest(raw), ApiToken.revoked_at.is_(None))
    )
    if token is None:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        token.last_used_at = now
        db.session.commit()
    return token.user


def tokens_of(user: User) -> list[ApiToken]:
    """The user's live tokens, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; it stops working at once."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound("No such token.")
    token.revoked_at = utcnow()
    db.session.commit()
    return token


def revoke_all_tokens(user: User) -> int:
    """Revoke every live token of the user (a password change does, in case the password leaked with
    them); returns how many. Does not commit: it is part of the caller's change."""
    return db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    ).rowcount
