"""Two-factor sign-in (TOTP): enrolment with a QR code and a confirming code, recovery codes shown once
and spent once, the login's second step (clock skew of one step, no replay, the account's lockout and
the address's limit), turning it off, the administrator's reset, and a team's requirement on its pages
and its API."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from sqlalchemy import func, select

from tests.factories import PASSWORD, add_to_team, login, make_team, make_task, make_user
from tracker import accounts, tokens, two_factor
from tracker.cli import commands
from tracker.errors import Invalid
from tracker.extensions import db
from tracker.models import LoginFailure, LoginSession, RecoveryCode, Task, Team, User

# A moment at the start of a 30-second step: T0 is step S0 exactly.
T0 = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
S0 = int(T0.timestamp()) // 30
CODE_PATTERN = re.compile(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>")


def code_at(user: User, when: datetime, steps: int = 0) -> str:
    """The code the user's app shows `steps` steps after (or before) `when`."""
    return pyotp.TOTP(user.totp_secret).at(when, counter_offset=steps)


def enrolled(user: User, when: datetime = T0) -> list[str]:
    """Turn two factors on for `user` in the domain, at `when`; returns the recovery codes."""
    two_factor.pending_secret(user)
    return two_factor.enable(user, code_at(user, when), now=when)


def reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def enrol_through_pages(client, user: User) -> list[str]:
    """Set two factors up as a person does: open the page, scan (read the secret), confirm a code."""
    page = client.get("/settings/two-factor")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    secret = reload(user).totp_secret
    html = page.get_data(as_text=True)
    assert "<svg" in html and secret in html and "otpauth://totp/" in html
    response = client.post("/settings/two-factor/enable", data={"code-code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200, response.get_data(as_text=True)
    return CODE_PATTERN.findall(response.get_data(as_text=True))


def password_step(client, user: User, **fields):
    return client.post("/login", data={"email": user.email, "password": PASSWORD, **fields})


# Enrolment --------------------------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_and_turns_on_only_with_a_right_code(client):
    ana = make_user("Ana")
    login(client, ana)
    page = client.get("/settings/two-factor").get_data(as_text=True)
    secret = reload(ana).totp_secret
    assert re.search(r"<svg[^>]*class=\"qr-code\"", page)  # the QR code is drawn on the server
    assert "<script" not in page.split("<main", 1)[-1].split("</main>")[0]
    uri = pyotp.parse_uri(re.search(r"otpauth://totp/[^<\s]+", page).group(0).replace("&amp;", "&"))
    assert uri.secret == secret and uri.issuer == "Tracker" and uri.name == ana.email
    assert client.get("/settings/two-factor").get_data(as_text=True).count(secret) >= 1  # the same secret
    assert reload(ana).totp_secret == secret

    wrong = client.post("/settings/two-factor/enable", data={"code-code": "000000"
                        if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert wrong.status_code == 422 and "not right" in wrong.get_data(as_text=True)
    assert reload(ana).two_factor_enabled_at is None

    right = client.post("/settings/two-factor/enable", data={"code-code": pyotp.TOTP(secret).now()})
    codes = CODE_PATTERN.findall(right.get_data(as_text=True))
    assert right.status_code == 200 and right.headers["Cache-Control"] == "no-store"
    assert len(codes) == 10 == len(set(codes))
    ana = reload(ana)
    assert ana.two_factor_enabled_at is not None
    # Stored hashed: no code appears in the table, each one's SHA-256 does.
    hashes = set(db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == ana.id)))
    assert hashes == {tokens.digest(c.replace("-", "")) for c in codes}
    # Shown once: the page afterwards says how many are left, not which.
    after = client.get("/settings/two-factor").get_data(as_text=True)
    assert "10 unused recovery codes left" in after and not CODE_PATTERN.search(after)
    assert "On since" in client.get("/settings").get_data(as_text=True)


def test_a_new_secret_replaces_the_one_shown(client):
    ana = make_user("Ana")
    login(client, ana)
    client.get("/settings/two-factor")
    first = reload(ana).totp_secret
    assert client.post("/settings/two-factor/new-secret").status_code == 302
    second = reload(ana).totp_secret
    assert second and second != first
    stale = client.post("/settings/two-factor/enable", data={"code-code": pyotp.TOTP(first).now()})
    if pyotp.TOTP(first).now() != pyotp.TOTP(second).now():
        assert stale.status_code == 422


def test_confirming_without_a_secret_shown_writes_nothing(client):
    ana = make_user("Ana")
    login(client, ana)
    response = client.post("/settings/two-factor/enable", data={"code-code": "123456"})
    assert response.status_code == 302 and reload(ana).totp_secret is None


def test_enabling_ends_the_other_sessions_and_keeps_this_one(app):
    ana = make_user("Ana")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, ana)
    login(elsewhere, ana)
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 2
    enrol_through_pages(here, ana)
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 1
    assert here.get("/settings").status_code == 200
    assert elsewhere.get("/settings").status_code == 302  # to the login page


# The second login step --------------------------------------------------------------------------------


def test_login_with_a_code_signs_in_only_after_the_code(client):
    ana = make_user("Ana")
    login(client, ana)
    enrol_through_pages(client, ana)
    client.post("/logout")
    first = password_step(client, ana, remember="y")
    assert first.status_code == 302 and first.headers["Location"].startswith("/login/two-factor")
    assert client.get("/settings").status_code == 302  # not signed in yet
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 0
    page = client.get("/login/two-factor")
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.get_data(as_text=True)
    ana = reload(ana)
    done = client.post("/login/two-factor", data={"code": code_at(ana, datetime.now(UTC), 1)})
    assert done.status_code == 302
    assert client.get("/settings").status_code == 200
    assert "remember_token" in {c.key for c in client._cookies.values()}  # "remember me" was kept
    assert db.session.scalar(select(func.count()).select_from(LoginSession)) == 1


def test_the_next_page_survives_the_second_step(client):
    ana = make_user("Ana")
    enrolled(ana, datetime.now(UTC) - timedelta(minutes=5))
    first = client.post("/login?next=/my-work", data={"email": ana.email, "password": PASSWORD})
    assert "next=/my-work" in first.headers["Location"].replace("%2F", "/")
    done = client.post(first.headers["Location"], data={"code": code_at(ana, datetime.now(UTC))})
    assert done.headers["Location"] == "/my-work"


def test_the_second_step_without_a_password_step_goes_back_to_the_login(client):
    ana = make_user("Ana")
    enrolled(ana, datetime.now(UTC) - timedelta(minutes=5))
    response = client.post("/login/two-factor", data={"code": code_at(ana, datetime.now(UTC))})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get("/settings").status_code == 302


def test_the_pending_login_expires_after_five_minutes(app):
    ana = make_user("Ana")
    enrolled(ana)
    marker = two_factor.pending_login(ana, remember=False, now=T0)
    assert two_factor.pending_user(marker, now=T0 + timedelta(minutes=4, seconds=59)) == ana
    assert two_factor.pending_user(marker, now=T0 + timedelta(minutes=5)) is None
    for forged in (None, "x", {"user_id": "1", "since": T0.timestamp()}, {"user_id": ana.id}):
        assert two_factor.pending_user(forged, now=T0) is None
    # Through the pages: the marker the browser keeps stops working too.
    client = app.test_client()
    client.post("/login", data={"email": ana.email, "password": PASSWORD})
    with client.session_transaction() as session:
        session["two_factor_login"] = {**session["two_factor_login"], "since": T0.timestamp()}
    assert client.get("/login/two-factor").status_code == 302


def test_a_user_without_two_factor_logs_in_with_the_password_alone(client):
    ana = make_user("Ana")
    assert password_step(client, ana).headers["Location"] == "/"
    assert client.get("/settings").status_code == 200


@pytest.mark.parametrize("steps", [-1, 0, 1])
def test_a_code_one_step_off_is_accepted(app, steps):
    ana = make_user("Ana")
    enrolled(ana)
    later = T0 + timedelta(minutes=10)
    assert two_factor.verify(ana, code_at(ana, later, steps), now=later) == "app"


@pytest.mark.parametrize("steps", [-2, 2, -10])
def test_a_code_two_steps_off_is_refused(app, steps):
    ana = make_user("Ana")
    enrolled(ana)
    later = T0 + timedelta(minutes=10)
    code = code_at(ana, later, steps)
    if code in {code_at(ana, later, s) for s in (-1, 0, 1)}:
        pytest.skip("the far step's code happens to equal a near one's (one in 200,000)")
    with pytest.raises(Invalid):
        two_factor.verify(ana, code, now=later)


def test_a_code_cannot_be_used_twice(app):
    ana = make_user("Ana")
    enrolled(ana)
    later = T0 + timedelta(minutes=10)
    code = code_at(ana, later)
    assert two_factor.verify(ana, code, now=later) == "app"
    for moment in (later + timedelta(seconds=5), later + timedelta(seconds=30)):  # same step; next step
        with pytest.raises(Invalid):
            two_factor.verify(ana, code, now=moment)
    # An older step's code is refused as well once a later one was used.
    with pytest.raises(Invalid):
        two_factor.verify(ana, code_at(ana, later, -1), now=later)
    assert two_factor.verify(ana, code_at(ana, later, 1), now=later) == "app"
    # The code that turned two factors on does not sign in either.
    bo = make_user("Bo")
    enrolled(bo)
    with pytest.raises(Invalid):
        two_factor.verify(bo, code_at(bo, T0), now=T0 + timedelta(seconds=10))


def test_a_replayed_code_is_refused_at_the_login(app):
    ana = make_user("Ana")
    enrolled(ana, datetime.now(UTC) - timedelta(minutes=5))
    code = code_at(ana, datetime.now(UTC), 1)
    first, second = app.test_client(), app.test_client()
    for browser in (first, second):
        password_step(browser, ana)
    assert first.post("/login/two-factor", data={"code": code}).status_code == 302
    replay = second.post("/login/two-factor", data={"code": code})
    assert replay.status_code == 422 and "used already" in replay.get_data(as_text=True)
    assert second.get("/settings").status_code == 302


def test_a_recovery_code_signs_in_once(client):
    ana = make_user("Ana")
    codes = enrolled(ana)
    password_step(client, ana)
    used = client.post("/login/two-factor", data={"code": codes[3].upper().replace("-", " ")})
    assert used.status_code == 302
    assert "9 left" in client.get("/", follow_redirects=True).get_data(as_text=True)
    client.post("/logout")
    password_step(client, ana)
    again = client.post("/login/two-factor", data={"code": codes[3]})
    assert again.status_code == 422 and client.get("/settings").status_code == 302
    assert two_factor.remaining_recovery_codes(ana) == 9
    with pytest.raises(Invalid):
        two_factor.verify(ana, "abcd-efgh-jkmn-pqrs", now=T0)


def test_wrong_codes_count_towards_the_accounts_lockout(client):
    ana = make_user("Ana")
    enrolled(ana, datetime.now(UTC) - timedelta(minutes=5))
    password_step(client, ana)
    current = {code_at(ana, datetime.now(UTC), s) for s in (-1, 0, 1)}
    wrong = next(c for c in ("111111", "222222", "333333", "444444") if c not in current)
    assert [client.post("/login/two-factor", data={"code": wrong}).status_code for _ in range(10)] == [422] * 10
    locked = client.post("/login/two-factor", data={"code": code_at(ana, datetime.now(UTC), 1)})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 800
    assert "Too many attempts" in locked.get_data(as_text=True)
    assert client.get("/settings").status_code == 302
    # The password step is locked as well: the code's failures are the account's.
    assert password_step(client, ana).status_code == 429


def test_the_right_password_does_not_reset_the_count_between_guesses_of_the_code(client):
    ana = make_user("Ana")
    enrolled(ana, datetime.now(UTC) - timedelta(minutes=5))
    current = {code_at(ana, datetime.now(UTC), s) for s in (-1, 0, 1)}
    wrong = next(c for c in ("111111", "222222", "333333", "444444") if c not in current)
    for _ in range(5):
        password_step(client, ana)
        client.post("/login/two-factor", data={"code": wrong})
    password_step(client, ana)
    for _ in range(5):
        client.post("/login/two-factor", data={"code": wrong})
    assert password_step(client, ana).status_code == 429


def test_a_complete_login_clears_the_count(client):
    ana = make_user("Ana")
    enrolled(ana, datetime.now(UTC) - timedelta(minutes=5))
    password_step(client, ana)
    client.post("/login/two-factor", data={"code": "12345"})
    key = tokens.digest(accounts.normalise_email(ana.email))
    assert db.session.get(LoginFailure, key).failures == 1
    assert client.post("/login/two-factor", data={"code": code_at(ana, datetime.now(UTC), 1)}).status_code == 302
    db.session.expire_all()
    assert db.session.get(LoginFailure, key) is None


def test_wrong_codes_count_towards_the_addresss_limit(make_app):
    client = make_app(LOGIN_RATE_LIMIT_IP="3 per minute").test_client()
    ana, bo = make_user("Ana"), make_user("Bo")
    enrolled(ana, datetime.now(UTC) - timedelta(minutes=5))
    assert client.post("/login", data={"email": bo.email, "password": "nope nope"}).status_code == 422
    assert password_step(client, ana).status_code == 302  # a right password is not a failure
    statuses = [client.post("/login/two-factor", data={"code": "12345"}).status_code for _ in range(3)]
    assert statuses == [422, 422, 429]
    assert client.post("/login", data={"email": bo.email, "password": PASSWORD}).status_code == 429


# Managing it ------------------------------------------------------------------------------------------


def test_new_recovery_codes_need_a_code_and_replace_the_old(client):
    ana = make_user("Ana")
    login(client, ana)
    old = enrol_through_pages(client, ana)
    refused = client.post("/settings/two-factor/recovery-codes", data={"code-code": "12345"})
    assert refused.status_code == 422
    assert client.post("/settings/two-factor/recovery-codes", data={}).status_code == 422
    made = client.post("/settings/two-factor/recovery-codes", data={"code-code": old[0]})
    new = CODE_PATTERN.findall(made.get_data(as_text=True))
    assert made.status_code == 200 and len(new) == 10 and not set(new) & set(old)
    with pytest.raises(Invalid):
        two_factor.verify(reload(ana), old[1])
    assert two_factor.verify(reload(ana), new[1]) == "recovery"


def test_turning_it_off_needs_the_password_and_a_code(client):
    ana = make_user("Ana")
    login(client, ana)
    codes = enrol_through_pages(client, ana)
    no_password = client.post("/settings/two-factor/disable",
                              data={"disable-password": "wrong one", "disable-code": codes[0]})
    assert no_password.status_code == 422 and "not your password" in no_password.get_data(as_text=True)
    no_code = client.post("/settings/two-factor/disable",
                          data={"disable-password": PASSWORD, "disable-code": "12345"})
    assert no_code.status_code == 422
    assert client.post("/settings/two-factor/disable", data={"disable-password": PASSWORD}).status_code == 422
    assert reload(ana).two_factor_enabled_at is not None
    assert two_factor.remaining_recovery_codes(ana) == 10  # the refused attempt spent no code
    off = client.post("/settings/two-factor/disable", data={"disable-password": PASSWORD,
                                                            "disable-code": codes[0]})
    assert off.status_code == 302
    ana = reload(ana)
    assert ana.two_factor_enabled_at is None and ana.totp_secret is None
    assert two_factor.remaining_recovery_codes(ana) == 0
    client.post("/logout")
    assert password_step(client, ana).headers["Location"] == "/"


def test_the_administrators_reset_turns_it_off_and_ends_the_sessions(app):
    ana = make_user("Ana")
    client = app.test_client()
    login(client, ana)
    enrol_through_pages(client, ana)
    runner = app.test_cli_runner()
    result = runner.invoke(commands.commands["reset-two-factor"], [ana.email.upper()])
    assert result.exit_code == 0, result.output
    assert f"Two-factor authentication for {ana.email} is turned off; ended 1 session(s)." in result.output
    ana = reload(ana)
    assert ana.two_factor_enabled_at is None and two_factor.remaining_recovery_codes(ana) == 0
    assert client.get("/settings").status_code == 302
    assert password_step(client, ana).headers["Location"] == "/"
    unknown = runner.invoke(commands.commands["reset-two-factor"], ["nobody@example.com"])
    assert unknown.exit_code == 1 and "error: no account uses nobody@example.com" in unknown.output


# A team's requirement ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("requirement", "role", "covered"), [
    ("nobody", "owner", False), ("managers", "member", False), ("managers", "manager", True),
    ("managers", "owner", True), ("everyone", "member", True),
])
def test_who_a_requirement_covers(requirement, role, covered):
    assert two_factor.required_for(requirement, role) is covered


@pytest.fixture
def strict_team(app):
    """A team whose owner has two factors and requires them of everyone; a member without them."""
    owner, member = make_user("Olga"), make_user("Mia")
    enrolled(owner, datetime.now(UTC) - timedelta(minutes=5))
    owner_m = make_team(owner, "Strict")
    add_to_team(owner_m, member)
    task = make_task(owner_m, "Rotate the keys")
    team = db.session.get(Team, owner_m.team_id)
    team.two_factor_required = "everyone"
    db.session.commit()
    return {"owner": owner, "member": member, "team_id": team.id, "task_id": task.id}


def test_a_member_who_must_is_sent_to_set_it_up_from_the_teams_pages(client, strict_team):
    member, team_id = strict_team["member"], strict_team["team_id"]
    login(client, member)
    for url in (f"/teams/{team_id}/tasks", f"/tasks/{strict_team['task_id']}", f"/teams/{team_id}/board"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/settings/two-factor?next=")
    page = client.get(f"/teams/{team_id}/tasks", follow_redirects=True).get_data(as_text=True)
    assert "The team “Strict” requires two-factor authentication of every member" in page
    assert client.get("/teams").status_code == 200  # not a page of that team
    codes = client.post(f"/settings/two-factor/enable?next=/teams/{team_id}/tasks",
                        data={"code-code": pyotp.TOTP(reload(member).totp_secret).now()})
    assert f'href="/teams/{team_id}/tasks"' in codes.get_data(as_text=True)
    assert client.get(f"/teams/{team_id}/tasks").status_code == 200


def test_a_script_on_the_teams_pages_gets_403_json_and_nothing_changes(client, strict_team):
    login(client, strict_team["member"])
    response = client.post(f"/tasks/{strict_team['task_id']}/status", headers={"Accept": "application/json"},
                           data={"status": "done", "version": "1"})
    assert response.status_code == 403 and "requires two-factor" in response.get_json()["error"]
    assert db.session.get(Task, strict_team["task_id"]).status == "todo"


def test_the_api_answers_403_problem_details_on_that_teams_endpoints(client, strict_team):
    member, team_id = strict_team["member"], strict_team["team_id"]
    _token, raw = tokens.create_token(member, "script")  # made before the requirement: still refused
    headers = {"Authorization": f"Bearer {raw}"}
    for url in (f"/api/v1/teams/{team_id}", f"/api/v1/teams/{team_id}/tasks",
                f"/api/v1/tasks/{strict_team['task_id']}"):
        response = client.get(url, headers=headers)
        assert response.status_code == 403, url
        assert response.content_type == "application/problem+json"
        problem = response.get_json()
        assert problem["title"] == "Two-factor authentication required"
        assert problem["type"].endswith("#problem-two-factor-required")
        assert "requires two-factor authentication" in problem["detail"]
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    enrolled(member, datetime.now(UTC) - timedelta(minutes=5))
    assert client.get(f"/api/v1/teams/{team_id}", headers=headers).status_code == 200  # the same token


def test_managers_only_leaves_members_alone(client, strict_team):
    team = db.session.get(Team, strict_team["team_id"])
    team.two_factor_required = "managers"
    db.session.commit()
    login(client, strict_team["member"])
    assert client.get(f"/teams/{team.id}/tasks").status_code == 200


def test_a_manager_sets_the_requirement_on_the_settings_page(client):
    owner = make_user("Olga")
    team_id = make_team(owner, "Backend").team_id
    login(client, owner)
    form = {"name": "Backend", "urgency_window_hours": "72", "two_factor_required": "everyone"}
    refused = client.post(f"/teams/{team_id}/settings", data=form)
    assert refused.status_code == 422 and "this requirement covers you" in refused.get_data(as_text=True)
    assert db.session.get(Team, team_id).two_factor_required == "nobody"
    bad = client.post(f"/teams/{team_id}/settings", data={**form, "two_factor_required": "robots"})
    assert bad.status_code == 422
    enrol_through_pages(client, owner)
    assert client.post(f"/teams/{team_id}/settings", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Team, team_id).two_factor_required == "everyone"
    page = client.get(f"/teams/{team_id}/settings").get_data(as_text=True)
    assert '<option selected value="everyone">' in page or 'value="everyone" selected' in page
    # A form without the field (an older page) leaves it as it is.
    client.post(f"/teams/{team_id}/settings", data={"name": "Backend", "urgency_window_hours": "72"})
    db.session.expire_all()
    assert db.session.get(Team, team_id).two_factor_required == "everyone"


# CSRF -------------------------------------------------------------------------------------------------


def test_every_two_factor_form_needs_its_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    ana = make_user("Ana")
    client = app.test_client()

    def token_of(html: str) -> str:
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    login_page = client.get("/login").get_data(as_text=True)
    assert client.post("/login", data={"email": ana.email, "password": PASSWORD,
                                       "csrf_token": token_of(login_page)}).status_code == 302
    token = token_of(client.get("/settings/two-factor").get_data(as_text=True))
    secret = reload(ana).totp_secret
    for path, data in (("/settings/two-factor/new-secret", {}),
                       ("/settings/two-factor/enable", {"code-code": pyotp.TOTP(secret).now()})):
        assert client.post(path, data=data).status_code == 400, path
    assert reload(ana).two_factor_enabled_at is None and reload(ana).totp_secret == secret
    codes = CODE_PATTERN.findall(client.post("/settings/two-factor/enable", data={
        "code-code": pyotp.TOTP(secret).now(), "code-csrf_token": token}).get_data(as_text=True))
    assert len(codes) == 10
    for path, data in (("/settings/two-factor/recovery-codes", {"code-code": codes[0]}),
                       ("/settings/two-factor/disable", {"disable-password": PASSWORD, "disable-code": codes[1]})):
        assert client.post(path, data=data).status_code == 400, path
    assert two_factor.remaining_recovery_codes(ana) == 10
    client.post("/logout", data={"csrf_token": token})
    other = app.test_client()
    page = other.get("/login").get_data(as_text=True)
    other.post("/login", data={"email": ana.email, "password": PASSWORD, "csrf_token": token_of(page)})
    assert other.post("/login/two-factor", data={"code": codes[2]}).status_code == 400
    step = other.get("/login/two-factor").get_data(as_text=True)
    assert other.post("/login/two-factor", data={"code": codes[2], "csrf_token": token_of(step)}).status_code == 302


def test_a_manager_sets_the_requirement_through_the_api(client):
    owner = make_user("Olga")
    team_id = make_team(owner, "Backend").team_id
    headers = {"Authorization": f"Bearer {tokens.create_token(owner, 'script')[1]}"}
    assert client.get(f"/api/v1/teams/{team_id}", headers=headers).get_json()["two_factor_required"] == "nobody"
    refused = client.patch(f"/api/v1/teams/{team_id}", headers=headers, json={"two_factor_required": "managers"})
    assert refused.status_code == 422 and "two_factor_required" in refused.get_json()["errors"]
    bad = client.patch(f"/api/v1/teams/{team_id}", headers=headers, json={"two_factor_required": "robots"})
    assert bad.status_code == 422
    assert db.session.get(Team, team_id).two_factor_required == "nobody"
    enrolled(owner, datetime.now(UTC) - timedelta(minutes=5))
    done = client.patch(f"/api/v1/teams/{team_id}", headers=headers, json={"two_factor_required": "managers"})
    assert done.status_code == 200 and done.get_json()["two_factor_required"] == "managers"
