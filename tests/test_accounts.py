"""Accounts: registering, logging in and out, remember me, changing password and profile."""

from __future__ import annotations

from datetime import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from tests.factories import PASSWORD, change_password, login, make_user
from tracker import accounts
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import User


def register(client, **overrides):
    data = {
        "email": "ana@example.com",
        "name": "Ana Costa",
        "password": "long enough",
        "confirm": "long enough",
        "timezone": "Europe/Lisbon",
    }
    data.update(overrides)
    return client.post("/register", data=data)


def user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


# Registration ---------------------------------------------------------------------------------


def test_register_creates_the_account_logs_in_and_hashes_the_password(client):
    response = register(client, email="  Ana@Example.COM ")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/teams")
    user = db.session.scalar(select(User))
    assert (user.email, user.name, user.timezone) == ("ana@example.com", "Ana Costa", "Europe/Lisbon")
    assert user.password_hash.startswith("scrypt:") and "long enough" not in user.password_hash
    page = client.get("/teams").get_data(as_text=True)
    assert "Welcome, Ana Costa!" in page and "Log out" in page


def test_register_duplicate_email_is_refused_case_insensitively(client, app):
    make_user("Ana", email="ana@example.com")
    response = register(client, email="ANA@example.com")
    assert response.status_code == 422
    assert "An account with this email already exists." in response.get_data(as_text=True)
    assert user_count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "Not a valid choice"),
        ({"password": "short", "confirm": "short"}, "Use at least 8 characters."),
        ({"confirm": "something else"}, "The passwords differ."),
        ({"email": "not-an-email"}, "An email address must have an @-sign."),
        ({"name": "   "}, "This field is required."),
        ({"name": "x" * 121}, "Use at most 120 characters."),
    ],
)
def test_register_bad_input_shows_the_message_and_creates_nothing(client, overrides, message):
    response = register(client, **overrides)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert user_count() == 0


def test_register_domain_rejects_unknown_time_zone_and_short_password(app):
    with pytest.raises(Invalid) as exc:
        accounts.register_user("a@example.com", "A", "short", "Not/AZone")
    assert set(exc.value.errors) == {"password", "timezone"}
    assert "Not/AZone" in exc.value.errors["timezone"][0]
    assert user_count() == 0


def test_register_page_offers_time_zones_and_labels_every_field(client):
    page = client.get("/register").get_data(as_text=True)
    assert '<option value="Pacific/Tongatapu">' in page
    for field in ("email", "name", "password", "confirm", "timezone"):
        assert f'<label for="{field}">' in page


# Login and logout -----------------------------------------------------------------------------


def test_login_with_the_right_password_and_email_in_any_case(client, app):
    user = make_user("Ana", email="ana@example.com")
    response = client.post("/login", data={"email": "ANA@example.com ", "password": PASSWORD})
    assert response.status_code == 302
    assert "Ana" in client.get("/teams").get_data(as_text=True)
    assert user.name == "Ana"


@pytest.mark.parametrize("email", ["ana@example.com", "nobody@example.com"])
def test_login_wrong_password_or_unknown_email_gives_the_same_message(client, app, email):
    make_user("Ana", email="ana@example.com")
    response = client.post("/login", data={"email": email, "password": "wrong password"})
    assert response.status_code == 422
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/teams").status_code == 302  # still anonymous: sent to the login page


def test_pages_need_login_and_login_returns_to_the_page(client, app):
    user = make_user("Ana")
    response = client.get("/teams/1/tasks?status=open")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]
    response = client.post(
        "/login?next=/teams/1/tasks%3Fstatus%3Dopen", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/teams/1/tasks?status=open"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "evil.example",
    ],
)
def test_login_refuses_to_redirect_off_site(client, app, target):
    user = make_user("Ana")
    response = client.post(
        "/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    # Either the start page, or a path on this site (Werkzeug percent-encodes a backslash).
    assert location == "/" or (location.startswith("/%5C") and urlsplit(location).netloc == "")


def test_remember_me_sets_a_remember_cookie_and_plain_login_does_not(client, app):
    user = make_user("Ana")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert client.get_cookie("remember_token") is None
    client.post("/logout")
    client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only
    session = client.get_cookie("session")
    assert session.http_only and session.same_site == "Lax"


def test_remember_cookie_logs_a_returning_user_back_in(client, app):
    user = make_user("Ana")
    client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    remember = client.get_cookie("remember_token").value
    client.delete_cookie("session")
    client.set_cookie("remember_token", remember)
    assert client.get("/teams").status_code == 200


def test_logout_is_a_post_and_ends_the_session(client, app):
    login(client, make_user("Ana"))
    assert client.get("/logout").status_code == 405
    assert client.get("/teams").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert client.get("/teams").status_code == 302


def test_logged_in_user_visiting_login_or_register_goes_to_their_teams(client, app):
    login(client, make_user("Ana"))
    assert client.get("/login").status_code == 302
    assert client.get("/register").status_code == 302


# Password and profile -------------------------------------------------------------------------


def test_change_password_then_log_in_with_the_new_one(client, app):
    user = make_user("Ana")
    login(client, user)
    assert change_password(client, "a brand new one").status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 422
    login(client, user, "a brand new one")


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("wrong password", "a brand new one", "a brand new one", "That is not your current password."),
        (PASSWORD, "short", "short", "Use at least 8 characters."),
        (PASSWORD, "a brand new one", "another new one", "The passwords differ."),
    ],
)
def test_change_password_refusals_keep_the_old_password(client, app, current, new, confirm, message):
    user = make_user("Ana")
    login(client, user)
    response = change_password(client, new, current, confirm)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.refresh(user)
    assert check_password_hash(user.password_hash, PASSWORD)


def test_profile_settings_change_zone_and_working_hours(client, app):
    user = make_user("Ana")
    login(client, user)
    assert client.get("/settings").status_code == 200
    response = client.post(
        "/settings",
        data={
            "profile-name": "Ana C.",
            "profile-timezone": "Pacific/Honolulu",
            "profile-work_days": ["1", "2", "3"],
            "profile-work_start": "08:00",
            "profile-work_end": "12:30",
        },
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.timezone, user.work_days) == ("Ana C.", "Pacific/Honolulu", "1,2,3")
    assert (user.work_start, user.work_end) == (time(8), time(12, 30))
    assert user.capacity_hours_per_week == 13.5


def test_profile_settings_refuse_a_day_that_ends_before_it_starts(client, app):
    user = make_user("Ana")
    login(client, user)
    response = client.post(
        "/settings",
        data={
            "profile-name": "Ana",
            "profile-timezone": "UTC",
            "profile-work_days": ["1"],
            "profile-work_start": "17:00",
            "profile-work_end": "09:00",
        },
    )
    assert response.status_code == 422
    assert "The working day must end after it starts." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert (user.work_start, user.work_end) == (time(9), time(17))


@pytest.mark.parametrize("zone", ["localtime", "Factory", "", "europe/lisbon"])
def test_only_real_places_are_time_zones(app, zone):
    with pytest.raises(Invalid) as exc:
        accounts.register_user("a@example.com", "A", "long enough", zone)
    assert list(exc.value.errors) == ["timezone"]
    user = make_user("Ana")
    with pytest.raises(Invalid):
        accounts.update_profile(user, timezone=zone)
    assert user.timezone == "UTC"


def test_changing_the_password_signs_out_every_other_browser(app):
    user = make_user("Ana")
    here, laptop, phone = app.test_client(), app.test_client(), app.test_client()
    here.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    login(laptop, user)
    phone.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    old_remember = phone.get_cookie("remember_token").value
    assert all(c.get("/teams").status_code == 200 for c in (here, laptop, phone))

    assert change_password(here, "a brand new one").status_code == 302
    assert here.get("/teams").status_code == 200  # this browser stays signed in
    assert laptop.get("/teams").status_code == 302 and phone.get("/teams").status_code == 302
    # The old remember-me cookie no longer signs anyone in; this browser's renewed one does.
    thief = app.test_client()
    thief.set_cookie("remember_token", old_remember)
    assert thief.get("/teams").status_code == 302
    renewed = app.test_client()
    renewed.set_cookie("remember_token", here.get_cookie("remember_token").value)
    assert renewed.get("/teams").status_code == 200


def test_a_registration_racing_another_for_the_same_email_is_invalid_not_a_500(app, monkeypatch):
    make_user("Ana", email="ana@example.com")
    # The other registration commits between our check and our insert: the check sees nobody.
    monkeypatch.setattr(accounts, "find_user_by_email", lambda email: None)
    with pytest.raises(Invalid) as exc:
        accounts.register_user("ana@example.com", "Ana Two", "long enough", "UTC")
    assert exc.value.errors == {"email": ["An account with this email already exists."]}
    assert user_count() == 1


def test_registration_never_falls_back_to_utc_by_accident(client):
    page = client.get("/register").get_data(as_text=True)
    # The browser's zone is picked by a module script (no inline script); without it, the person picks.
    assert 'data-browser-timezone="" id="timezone" name="timezone" required>' in page
    assert '<option selected value="">Choose your time zone</option>' in page
    assert '<script type="module" src="/static/js/timezone.js"></script>' in page
    response = register(client, timezone="")
    assert response.status_code == 422 and "Choose your time zone." in response.get_data(as_text=True)
    assert user_count() == 0
