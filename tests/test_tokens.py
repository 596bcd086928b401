"""Personal API tokens: shown once, stored as a SHA-256, revocable, last use recorded."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import make_user
from tests.support import recorded_statements
from tracker import tokens
from tracker.errors import Invalid, NotFound
from tracker.extensions import db


def test_a_token_is_returned_once_and_stored_as_its_hash(app):
    ana = make_user("Ana")
    token, raw = tokens.create_token(ana, "  laptop  ")
    assert raw.startswith("trk_") and len(raw) > 40
    assert token.token_hash == tokens.digest(raw) and raw not in (token.token_hash, token.prefix, token.label)
    assert token.label == "laptop" and token.prefix == raw[:12]
    assert tokens.user_for_token(raw) == ana
    assert tokens.user_for_token(raw + "x") is None and tokens.user_for_token("") is None
    assert tokens.user_for_token(None) is None and tokens.user_for_token("trk_" + "a" * 300) is None


def test_last_use_is_recorded_at_most_once_every_five_minutes(app):
    ana = make_user("Ana")
    token, raw = tokens.create_token(ana)
    assert token.last_used_at is None
    tokens.user_for_token(raw)
    first = token.last_used_at
    assert first is not None
    tokens.user_for_token(raw)
    assert token.last_used_at == first
    four_minutes_ago = first - timedelta(minutes=4)
    token.last_used_at = four_minutes_ago
    db.session.commit()
    with recorded_statements() as statements:
        tokens.user_for_token(raw)
    assert token.last_used_at == four_minutes_ago and len(statements) == 1  # a read, no write
    token.last_used_at = first - timedelta(minutes=6)
    db.session.commit()
    tokens.user_for_token(raw)
    assert token.last_used_at > first - timedelta(minutes=1)


def test_revoking_stops_the_token_and_only_the_owner_can(app):
    ana, bo = make_user("Ana"), make_user("Bo")
    token, raw = tokens.create_token(ana, "ci")
    other, _ = tokens.create_token(ana, "laptop")
    with pytest.raises(NotFound):
        tokens.revoke_token(bo, token.id)
    tokens.revoke_token(ana, token.id)
    assert tokens.user_for_token(raw) is None
    assert [t.label for t in tokens.tokens_of(ana)] == ["laptop"]
    with pytest.raises(NotFound):
        tokens.revoke_token(ana, token.id)  # already revoked


def test_labels_are_short(app):
    with pytest.raises(Invalid) as exc:
        tokens.create_token(make_user("Ana"), "x" * 81)
    assert "label" in exc.value.errors
