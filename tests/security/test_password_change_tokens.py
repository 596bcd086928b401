"""A password change revokes the account's API tokens: whoever knew the old password may have made one."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories import PASSWORD, login, make_user
from tracker import accounts, tokens
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import ApiToken

NEW = "a brand new one"


def api_status(client, raw: str) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code


def test_changing_the_password_on_the_page_revokes_every_token_and_says_so(client):
    ana, bo = make_user("Ana"), make_user("Bo")
    _, script = tokens.create_token(ana, "deploy script")
    _, ci = tokens.create_token(ana, "CI")
    _, bos = tokens.create_token(bo, "Bo's")
    assert api_status(client, script) == 200
    login(client, ana)
    r = client.post("/settings/password", data={
        "password-current_password": PASSWORD, "password-new_password": NEW, "password-confirm": NEW,
    })
    assert r.status_code == 302
    page = client.get("/settings").get_data(as_text=True)
    assert "Your API tokens (2) are revoked" in page and "You have no API tokens." in page
    assert api_status(client, script) == 401 and api_status(client, ci) == 401
    assert api_status(client, bos) == 200  # another account's token is untouched
    revoked = db.session.scalars(select(ApiToken.revoked_at).where(ApiToken.user_id == ana.id)).all()
    assert len(revoked) == 2 and all(revoked)


def test_a_refused_password_change_revokes_nothing(app):
    ana = make_user("Ana")
    _, raw = tokens.create_token(ana)
    with pytest.raises(Invalid):
        accounts.change_password(ana, "not my password", NEW)
    assert tokens.user_for_token(raw) == ana


def test_a_token_made_after_the_change_works(app):
    ana = make_user("Ana")
    tokens.create_token(ana)
    assert accounts.change_password(ana, PASSWORD, NEW) == 1
    _, fresh = tokens.create_token(ana, "after")
    assert tokens.user_for_token(fresh) == ana
