"""Single sign-on end to end, against a real OpenID Connect provider: the `oidc-provider` package (npm,
pinned in tests/oidc) started on 127.0.0.1 by tests/oidc/provider.mjs, and the app served live. A
requests.Session is the browser: it follows the redirects and fills in the provider's development login
and consent forms. One provider process and one app for the module (the provider is slow to start)."""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import add_to_team, make_team, make_user
from tests.servers import call, wait_until
from tests.support import free_port, fresh_database, need, running_app
from tracker import accounts, oidc
from tracker.extensions import db
from tracker.models import LoginSession, OidcIdentity, TeamMembership, User

PROVIDER_DIR = Path(__file__).resolve().parent / "oidc"
CLIENT_ID, CLIENT_SECRET = "tracker-tests", "tracker-tests-secret"  # nosec B105: a throwaway test client
# The provider's people: login -> claims. "alice-moved" is Alice (same subject) after her address at
# the provider changed to Bob's; "mallory" got Bob's old address recycled at the provider.
ACCOUNTS = {
    "alice": {"email": "alice@example.org", "email_verified": True, "name": "Alice Liddell"},
    "alice-moved": {"sub": "alice", "email": "bob@example.org", "email_verified": True, "name": "Alice L."},
    "bob": {"email": "Bob@Example.org", "email_verified": True, "name": "Bob at the provider"},
    "mallory": {"email": "bob@example.org", "email_verified": True, "name": "Mallory"},
    "carol": {"email": "carol@example.org", "email_verified": False, "name": "Carol"},
    "dave": {"email": "dave@example.org", "email_verified": True, "name": "Dave"},
    "erin": {"email": "erin@example.org", "email_verified": True, "name": "Erin"},
    "frank": {"email": "frank@example.org", "email_verified": True, "name": "Frank"},
    "grace": {"email": "grace@example.org", "email_verified": True, "name": "Grace Hopper"},
}


@contextmanager
def oidc_provider(port: int, redirect_uri: str, directory: Path):
    node = shutil.which("node")
    need(node is not None, "Node.js is not installed (apt-get install nodejs npm)")
    need((PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir(),
         "the test OpenID Connect provider is not installed (make install runs npm ci in tests/oidc)")
    env = {**os.environ, "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET,
           "OIDC_REDIRECT_URI": redirect_uri, "OIDC_ACCOUNTS": json.dumps(ACCOUNTS)}
    log = directory / "provider.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([node, "provider.mjs", str(port)], cwd=PROVIDER_DIR, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    issuer = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return call("GET", issuer + "/.well-known/openid-configuration", timeout=5).status == 200
        except OSError:
            return False

    try:
        wait_until(answers, f"oidc-provider; log:\n{log.read_text(errors='replace')[-2000:]}", 30, process)
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)


class Site:
    """The app served live beside the provider, its app context pushed for arranging and checking data."""

    def __init__(self, app, url: str, issuer: str) -> None:
        self.app, self.url, self.issuer = app, url, issuer

    @contextmanager
    def settings(self, **values):
        saved = {key: self.app.config[key] for key in values}
        self.app.config.update(values)
        try:
            yield
        finally:
            self.app.config.update(saved)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    directory = tmp_path_factory.mktemp("oidc")
    app_port = free_port()
    app_url = f"http://127.0.0.1:{app_port}"
    with oidc_provider(free_port(), app_url + "/login/sso/callback", directory) as issuer:
        settings = {"WTF_CSRF_ENABLED": True, "OIDC_ISSUER": issuer, "OIDC_CLIENT_ID": CLIENT_ID,
                    "OIDC_CLIENT_SECRET": CLIENT_SECRET, "OIDC_BUTTON_LABEL": "Example ID",
                    "OIDC_ALLOW_SIGNUP": False, "OIDC_AUTO_JOIN_TEAM": "", "BASE_URL": app_url}
        with fresh_database(directory) as database, running_app(database, **settings) as app:
            server = make_server("127.0.0.1", app_port, app, threaded=True)
            thread = threading.Thread(target=server.serve_forever, name="oidc-app", daemon=True)
            thread.start()
            try:
                yield Site(app, app_url, issuer)
            finally:
                server.shutdown()
                thread.join(5)


def sign_in(site: Site, login: str, browser: requests.Session | None = None, *, timezone: str = "",
            stop_at_callback: bool = False, cancel: bool = False):
    """Click "Sign in with …" and go through the provider as `login` (consenting, or cancelling), following
    every redirect by hand. Returns the app's last answer, or the callback URL when `stop_at_callback`."""
    browser = browser or requests.Session()
    url = site.url + "/login/sso" + (f"?{urlencode({'timezone': timezone})}" if timezone else "")
    response = browser.get(url, allow_redirects=False)
    for _step in range(20):
        if response.is_redirect:
            url = urljoin(response.url, response.headers["Location"])
            if stop_at_callback and url.startswith(site.url + "/login/sso/callback"):
                return url
            response = browser.get(url, allow_redirects=False)
        elif response.url.startswith(site.issuer) and response.status_code == 200:
            response = _answer_the_provider(browser, response, login, cancel)
        else:
            return response
    raise AssertionError(f"no end to the redirects at {response.url}")


def _answer_the_provider(browser: requests.Session, page, login: str, cancel: bool):
    if cancel:
        abort = re.search(r'href="([^"]+/abort)"', page.text)
        assert abort, page.text[:2000]
        return browser.get(urljoin(page.url, html.unescape(abort[1])), allow_redirects=False)
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
    prompt = re.search(r'name="prompt" value="(\w+)"', page.text)
    assert action and prompt, f"no login or consent form at {page.url}:\n{page.text[:2000]}"
    fields = {"prompt": prompt[1]}
    if prompt[1] == "login":
        fields |= {"login": login, "password": "any password"}  # the development login takes any
    return browser.post(urljoin(page.url, html.unescape(action[1])), data=fields, allow_redirects=False)


def signed_in_as(site: Site, browser: requests.Session) -> str | None:
    """Whose settings page this browser opens (None: sent to the login page)."""
    response = browser.get(site.url + "/settings", allow_redirects=False)
    if response.status_code != 200:
        return None
    return re.search(r'name="profile-name"[^>]*value="([^"]*)"', response.text)[1]


def identities_of(user: User) -> list[OidcIdentity]:
    db.session.expire_all()
    return list(db.session.scalars(select(OidcIdentity).where(OidcIdentity.user_id == user.id)))


def user_by_email(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def bob_builder() -> User:
    """Bob's password account (several tests need it; the module shares one database)."""
    return user_by_email("bob@example.org") or make_user("Bob Builder", email="bob@example.org")


def test_the_login_page_offers_the_provider_and_the_flow_uses_state_nonce_and_pkce(site):
    page = requests.get(site.url + "/login")
    assert page.status_code == 200 and "Sign in with Example ID" in page.text
    start = requests.get(site.url + "/login/sso", allow_redirects=False)
    assert start.status_code == 302
    location = urlsplit(start.headers["Location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}" == site.issuer
    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == [site.url + "/login/sso/callback"]
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 20


def test_first_sign_in_creates_the_account_joins_the_team_and_later_ones_go_by_subject(site):
    with site.app.app_context():
        team = make_team(make_user("Olga Owner"), "Platform")
        bob_id, team_id, slug = bob_builder().id, team.team_id, team.team.slug
    with site.settings(OIDC_ALLOW_SIGNUP=True, OIDC_AUTO_JOIN_TEAM=slug, OIDC_AUTO_JOIN_ROLE="manager"):
        browser = requests.Session()
        landed = sign_in(site, "alice", browser, timezone="Europe/Lisbon")
        assert landed.status_code == 200, landed.text[:2000]
        assert signed_in_as(site, browser) == "Alice Liddell"
        alice = user_by_email("alice@example.org")
        assert alice.timezone == "Europe/Lisbon"
        [identity] = identities_of(alice)
        assert (identity.issuer, identity.subject) == (site.issuer, "alice")
        memberships = select(TeamMembership).where(TeamMembership.user_id == alice.id)
        assert [(m.team_id, m.role) for m in db.session.scalars(memberships)] == [(team_id, "manager")]
        sessions = select(func.count()).select_from(LoginSession).where(LoginSession.user_id == alice.id)
        assert db.session.scalar(sessions) == 1  # the server-side session of a password login

        # Again from another browser: the same account, nothing created, the team joined once.
        again = requests.Session()
        assert sign_in(site, "alice", again).status_code == 200
        assert signed_in_as(site, again) == "Alice Liddell"
        assert db.session.scalar(select(func.count()).select_from(User).where(
            User.email == "alice@example.org")) == 1
        assert len(identities_of(alice)) == 1
        assert [m.role for m in db.session.scalars(memberships)] == ["manager"]

        # Her address at the provider is now Bob's: the subject still opens her account, not his.
        moved = requests.Session()
        assert sign_in(site, "alice-moved", moved).status_code == 200
        assert signed_in_as(site, moved) == "Alice Liddell"
        assert "alice" not in {i.subject for i in identities_of(db.session.get(User, bob_id))}


def test_an_existing_account_is_linked_by_verified_email_and_keeps_its_role(site):
    with site.app.app_context():
        team = make_team(make_user("Ola Owner"), "Linked")
        bob = bob_builder()
        add_to_team(team, bob, "member")
        bob_id, slug = bob.id, team.team.slug
    with site.settings(OIDC_AUTO_JOIN_TEAM=slug, OIDC_AUTO_JOIN_ROLE="manager"):  # sign-up is off
        browser = requests.Session()
        assert sign_in(site, "bob", browser).status_code == 200
        assert signed_in_as(site, browser) == "Bob Builder"  # his account, his name
        bob = db.session.get(User, bob_id)
        [identity] = identities_of(bob)
        assert identity.subject == "bob" and identity.email == "bob@example.org"
        roles = select(TeamMembership.role).where(TeamMembership.user_id == bob_id)
        assert set(db.session.scalars(roles)) == {"member"}

        # Another person at the provider got Bob's address (recycled): the account is Bob's identity's.
        mallory = requests.Session()
        refused = sign_in(site, "mallory", mallory)
        assert refused.status_code == 403 and "linked to another person" in refused.text
        assert signed_in_as(site, mallory) is None
        assert len(identities_of(bob)) == 1


def test_an_unverified_email_is_refused(site):
    with site.app.app_context():
        carol = make_user("Carol", email="carol@example.org")
        carol_id = carol.id
    with site.settings(OIDC_ALLOW_SIGNUP=True):
        browser = requests.Session()
        refused = sign_in(site, "carol", browser)
        assert refused.status_code == 403
        assert "is not verified at the sign-in provider" in html.unescape(refused.text)
        assert signed_in_as(site, browser) is None
        assert identities_of(db.session.get(User, carol_id)) == []


def test_without_sign_up_a_person_without_an_account_gets_a_clear_refusal(site):
    browser = requests.Session()
    refused = sign_in(site, "dave", browser)
    assert refused.status_code == 403 and "No Tracker account uses dave@example.org" in refused.text
    assert signed_in_as(site, browser) is None
    assert user_by_email("dave@example.org") is None


def test_a_tampered_state_or_another_browsers_callback_is_refused(site):
    with site.settings(OIDC_ALLOW_SIGNUP=True):
        browser = requests.Session()
        callback = sign_in(site, "erin", browser, stop_at_callback=True)
        parts = urlsplit(callback)
        query = parse_qs(parts.query)
        assert query["code"] and query["state"]
        forged = {**{k: v[0] for k, v in query.items()}, "state": query["state"][0][::-1]}
        tampered = browser.get(urlunsplit(parts._replace(query=urlencode(forged))), allow_redirects=False)
        assert tampered.status_code == 400 and "expired or was started in another browser" in tampered.text
        elsewhere = requests.get(callback, allow_redirects=False)  # the right state, another browser
        assert elsewhere.status_code == 400
        assert signed_in_as(site, browser) is None
        assert user_by_email("erin@example.org") is None


def test_a_flow_older_than_its_time_is_refused_and_only_the_latest_flow_counts(site):
    with site.settings(OIDC_ALLOW_SIGNUP=True):
        browser = requests.Session()
        first = sign_in(site, "erin", browser, stop_at_callback=True)
        with site.settings(OIDC_FLOW_SECONDS=0):  # ten minutes by default
            late = browser.get(sign_in(site, "erin", browser, stop_at_callback=True), allow_redirects=False)
        assert late.status_code == 400 and "This sign-in expired" in late.text
        # Starting again dropped the first flow: its answer from the provider no longer finishes anything.
        current = sign_in(site, "erin", browser, stop_at_callback=True)
        assert browser.get(first, allow_redirects=False).status_code == 400
        assert browser.get(current, allow_redirects=False).status_code == 302
        assert signed_in_as(site, browser) == "Erin"


def test_cancelling_at_the_provider_is_a_clear_refusal(site):
    with site.settings(OIDC_ALLOW_SIGNUP=True):
        browser = requests.Session()
        refused = sign_in(site, "frank", browser, cancel=True)
        assert refused.status_code == 403 and "cancelled or refused at the provider" in refused.text
        assert signed_in_as(site, browser) is None
        assert user_by_email("frank@example.org") is None


def test_in_chromium_the_button_signs_in_with_the_browsers_time_zone(site):
    """The same flow in a real browser: the page's script, its CSP and the provider's pages together."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(False, "playwright is not installed (pip install -r requirements.txt)")
    need(os.access(CHROMIUM, os.X_OK), f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    errors: list[str] = []
    outcome: dict[str, object] = {}

    def sign_in_with_chromium() -> None:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(timezone_id="America/Sao_Paulo").new_page()
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.goto(site.url + "/login")
                page.get_by_role("link", name="Sign in with Example ID").click()
                page.fill("input[name=login]", "grace")
                page.fill("input[name=password]", "any password")
                page.click("button[type=submit]")
                page.click("button[type=submit]")  # consent
                page.wait_for_url(site.url + "/**")
                outcome["page"] = page.content()
            except Exception as exc:  # reported to the test's thread below
                outcome["error"] = exc
            finally:
                browser.close()

    # Playwright's sync API refuses to start where an event loop runs, as it does in this thread when the
    # browser tests' session-wide Playwright has started: this browser gets a thread of its own.
    with site.settings(OIDC_ALLOW_SIGNUP=True):
        thread = threading.Thread(target=sign_in_with_chromium, name="oidc-chromium")
        thread.start()
        thread.join(120)
    assert not thread.is_alive(), "Chromium did not finish within 2 minutes"
    if "error" in outcome:
        raise outcome["error"]
    assert "Welcome, Grace Hopper!" in outcome["page"]
    assert user_by_email("grace@example.org").timezone == "America/Sao_Paulo"
    assert [e for e in errors if "Content Security Policy" in e] == []

# The linking rules on their own (no provider): claims as Authlib hands them over after its checks.

ISSUER = "https://sso.example.com/realms/acme"


def claims(sub: str, email: str, verified=True, **more) -> dict:
    return {"iss": ISSUER, "sub": sub, "email": email, "email_verified": verified, **more}


@pytest.mark.parametrize("verified, opens", [(True, True), ("true", True), (False, False), ("false", False),
                                             (None, False), ("yes", False)])
def test_only_an_email_the_provider_calls_verified_links_an_account(app, verified, opens):
    ana = make_user("Ana", email="ana@example.org")
    if opens:
        assert oidc.account_for(claims("s-ana", "ANA@example.org", verified)) == (ana, False)
    else:
        with pytest.raises(oidc.SignInRefused, match="not verified"):
            oidc.account_for(claims("s-ana", "ana@example.org", verified))
        assert identities_of(ana) == []


@pytest.mark.parametrize("email, message", [("", "did not tell Tracker your email"),
                                            ("not an address", "not one Tracker can use")])
def test_a_missing_or_unusable_email_is_refused(app, email, message):
    app.config["OIDC_ALLOW_SIGNUP"] = True
    with pytest.raises(oidc.SignInRefused, match=message):
        oidc.account_for(claims("s-x", email))
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_a_new_account_takes_name_and_zone_from_the_claims_else_the_browser_else_utc(app):
    app.config["OIDC_ALLOW_SIGNUP"] = True
    first, _ = oidc.account_for(claims("s1", "p1@example.org", given_name="Pat", family_name="Lee",
                                       zoneinfo="Asia/Tokyo"), "Europe/Paris")
    second, _ = oidc.account_for(claims("s2", "p2@example.org", zoneinfo="Mars/Base"), "Europe/Paris")
    third, created = oidc.account_for(claims("s3", "p3@example.org"), "Not/AZone")
    assert (first.name, first.timezone) == ("Pat Lee", "Asia/Tokyo")
    assert (second.name, second.timezone) == ("p2", "Europe/Paris")
    assert (third.timezone, created) == ("UTC", True)
    assert not accounts.authenticate("p3@example.org", "")  # no password opens it


def test_auto_join_is_skipped_for_an_unknown_team_and_an_unknown_role_means_member(app):
    owner = make_user("Olga")
    team = make_team(owner, "Ops")
    app.config.update(OIDC_ALLOW_SIGNUP=True, OIDC_AUTO_JOIN_TEAM="no-such-team")
    nobody, _ = oidc.account_for(claims("s1", "q1@example.org"))
    assert db.session.scalar(select(TeamMembership).where(TeamMembership.user_id == nobody.id)) is None
    app.config.update(OIDC_AUTO_JOIN_TEAM=team.team.slug, OIDC_AUTO_JOIN_ROLE="admin")
    joined, _ = oidc.account_for(claims("s2", "q2@example.org"))
    member = db.session.scalar(select(TeamMembership).where(TeamMembership.user_id == joined.id))
    assert (member.team_id, member.role) == (team.team_id, "member")


def test_an_identity_without_issuer_or_subject_is_refused(app):
    with pytest.raises(oidc.SignInFailed, match="no issuer or subject"):
        oidc.account_for({"iss": ISSUER, "sub": "", "email": "a@example.org", "email_verified": True})


def test_without_an_issuer_there_is_no_button_and_no_route(client):
    assert "Sign in with" not in client.get("/login").text
    assert client.get("/login/sso").status_code == 404
    assert client.get("/login/sso/callback?code=x&state=y").status_code == 404


def test_an_unreachable_provider_is_a_clear_page_not_an_error(make_app):
    app = make_app(OIDC_ISSUER=f"http://127.0.0.1:{free_port()}", OIDC_CLIENT_ID="x", OIDC_TIMEOUT=2)
    answer = app.test_client().get("/login/sso")
    assert answer.status_code == 502 and "cannot be reached at the moment" in answer.text
