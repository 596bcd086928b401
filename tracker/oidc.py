"""Single sign-on through OpenID Connect (#14). The provider that OIDC_ISSUER names is reached through
Authlib's Flask client (discovery, state, nonce and PKCE; the ID token's signature and claims checked);
this module decides which account a person at the provider opens: by (issuer, subject) once linked, by a
verified email address the first time, or a new account when OIDC_ALLOW_SIGNUP allows it."""
from __future__ import annotations

import secrets
import time

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app, request, session
from joserfc.errors import JoseError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from . import accounts, events
from .errors import DomainError, Invalid
from .extensions import db
from .models import OidcIdentity, Team, TeamMembership, User, utcnow
from .vocabulary import ROLES

CLIENT = "oidc"
DISCOVERY = "/.well-known/openid-configuration"
_EXTENSION = "authlib.integrations.flask_client"  # where Authlib's OAuth keeps itself on the app
STARTED = "sso_started_at"  # in the browser's session: when its sign-in flow began
EXPIRED = ("This sign-in expired or was started in another browser or tab, so it cannot be finished here. "
           "Start again from the login page.")


class SignInFailed(DomainError):
    """The sign-in did not complete: the provider refused or failed, or the flow is not this browser's."""

    status = 400
    title = "Sign-in did not complete"


class SignInRefused(SignInFailed):
    """The provider vouched for the person, but Tracker does not let them in (unverified email, no
    account and no sign-up, or the account already linked to another person at the provider)."""

    status = 403
    title = "Sign-in refused"


class ProviderUnreachable(SignInFailed):
    status = 502
    title = "Sign-in provider unreachable"


def enabled() -> bool:
    return bool(current_app.config.get("OIDC_ISSUER"))


def button_label() -> str:
    return current_app.config.get("OIDC_BUTTON_LABEL") or "single sign-on"


def init_app(app: Flask) -> None:
    """Register the provider's client on `app` when OIDC_ISSUER is set. Nothing is fetched here: the
    discovery document is read on the first sign-in (and kept by the client)."""
    oauth = OAuth(app)
    issuer = app.config.get("OIDC_ISSUER", "")
    if not issuer:
        return
    scopes = app.config.get("OIDC_SCOPES", "").split()
    oauth.register(
        CLIENT,
        client_id=app.config.get("OIDC_CLIENT_ID"),
        client_secret=app.config.get("OIDC_CLIENT_SECRET"),
        server_metadata_url=issuer.rstrip("/") + DISCOVERY,
        client_kwargs={
            "scope": " ".join(["openid", *(s for s in scopes if s != "openid")]),
            "code_challenge_method": "S256",
            "default_timeout": app.config.get("OIDC_TIMEOUT", 10),
        },
    )


def _client():
    return current_app.extensions[_EXTENSION].create_client(CLIENT)


def authorize_redirect(redirect_uri: str):
    """The redirect to the provider's sign-in page; state, nonce and PKCE verifier are kept in this
    browser's session for the callback, with the time the flow started. One flow per browser: those left
    unfinished are dropped (each would otherwise stay in the session cookie, which has a size limit)."""
    for key in [key for key in session if key.startswith(f"_state_{CLIENT}_")]:
        session.pop(key)
    session[STARTED] = time.time()
    try:
        return _client().authorize_redirect(redirect_uri)
    except requests.RequestException:
        raise ProviderUnreachable("The sign-in provider cannot be reached at the moment. Try again later, "
                                  "or log in with your password.") from None


def _provider_error(error: OAuthError) -> SignInFailed:
    if error.error == "access_denied":
        return SignInRefused("The sign-in was cancelled or refused at the provider, so you are not signed "
                             "in. Try again, or log in with your password.")
    if isinstance(error, MismatchingStateError):
        return SignInFailed(EXPIRED)
    said = ": ".join(str(part)[:200] for part in (error.error, error.description) if part)
    return SignInFailed(f"The sign-in provider did not sign you in ({said or 'no reason given'}). "
                        "Start again from the login page.")


def claims_from_callback() -> dict:
    """The claims about the person the provider sent back to this request, once Authlib has checked the
    state, exchanged the code with the PKCE verifier and verified the ID token (signature, issuer,
    audience, expiry, nonce). Providers that leave the email out of the ID token give it at userinfo."""
    _check_issuer_parameter()
    started = session.get(STARTED)
    if not isinstance(started, float) or time.time() - started > current_app.config["OIDC_FLOW_SECONDS"]:
        raise SignInFailed(EXPIRED)
    try:
        token = _client().authorize_access_token()
        session.pop(STARTED, None)
        claims = dict(token.get("userinfo") or {})
        if not claims.get("sub"):
            raise SignInFailed("The sign-in provider sent no ID token. Check that the scopes include openid.")
        if "email" not in claims:
            extra = dict(_client().userinfo(token=token))
            if extra.get("sub") != claims["sub"]:  # OpenID Connect Core 5.3.2: not about this person
                raise SignInFailed("The provider's user information is about someone else.")
            claims = {**extra, **claims}
    except OAuthError as exc:
        raise _provider_error(exc) from None
    except (AuthlibBaseError, JoseError, KeyError) as exc:  # KeyError: a discovery document without userinfo
        raise SignInFailed(f"The sign-in provider's answer did not pass the checks ({exc}). Start again "
                           "from the login page.") from None
    except requests.RequestException:
        raise ProviderUnreachable("The sign-in provider cannot be reached at the moment. Try again later.") \
            from None
    return claims


def _verified_email(claims: dict) -> str:
    email = str(claims.get("email") or "")
    if not email:
        raise SignInRefused("The sign-in provider did not tell Tracker your email address (the email scope), "
                            "which an account is found by.")
    # Some providers send the flag as a string.
    if claims.get("email_verified") is not True and str(claims.get("email_verified")).lower() != "true":
        raise SignInRefused(f"Your email address {email} is not verified at the sign-in provider, so it "
                            "cannot open a Tracker account. Verify it there, then sign in again.")
    try:
        return accounts.checked_email(email)
    except Invalid:
        raise SignInRefused(f"The sign-in provider's email address “{email[:254]}” is not one Tracker can "
                            "use.") from None


def _name(claims: dict, email: str) -> str:
    name = str(claims.get("name") or "").strip()
    if not name:
        name = " ".join(str(claims.get(k) or "").strip() for k in ("given_name", "family_name")).strip()
    return (name or email.split("@")[0])[:120]


def _new_account(claims: dict, email: str, browser_timezone: str) -> User:
    """An account for a person the provider vouches for, when sign-up through it is allowed. Its time
    zone is the provider's zoneinfo claim, else the browser's (as registration picks it), else UTC."""
    if not current_app.config.get("OIDC_ALLOW_SIGNUP"):
        raise SignInRefused(f"No Tracker account uses {email}, and accounts are not created through single "
                            "sign-on here. Ask your administrator for an account, then sign in again.")
    known = set(accounts.known_timezones())
    timezone = next((tz for tz in (claims.get("zoneinfo"), browser_timezone) if tz in known), "UTC")
    # No password: a random one nobody knows, so the account opens only through the provider.
    unusable = generate_password_hash(secrets.token_urlsafe(32), method="scrypt")
    user = User(email=email, name=_name(claims, email), timezone=timezone, password_hash=unusable)
    db.session.add(user)
    db.session.flush()
    return user


def _auto_join(user: User) -> None:
    """Add a person who signs in through the provider for the first time to OIDC_AUTO_JOIN_TEAM with
    OIDC_AUTO_JOIN_ROLE; a member already keeps their role."""
    slug = current_app.config.get("OIDC_AUTO_JOIN_TEAM")
    if not slug:
        return
    team = db.session.scalar(select(Team).where(Team.slug == slug))
    if team is None:
        current_app.logger.warning("OIDC_AUTO_JOIN_TEAM names no team: %s", slug)
        return
    role = current_app.config.get("OIDC_AUTO_JOIN_ROLE") or "member"
    role = role if role in ROLES else "member"
    member = select(TeamMembership.id).where(TeamMembership.team_id == team.id,
                                             TeamMembership.user_id == user.id)
    if db.session.scalar(member) is None:
        db.session.add(TeamMembership(team_id=team.id, user_id=user.id, role=role))
        db.session.flush()
        events.member_added.send(team, actor=None, user_id=user.id, role=role)


def _identity(issuer: str, subject: str) -> OidcIdentity | None:
    return db.session.scalar(
        select(OidcIdentity).where(OidcIdentity.issuer == issuer, OidcIdentity.subject == subject)
    )


def _link(claims: dict, issuer: str, subject: str, browser_timezone: str) -> tuple[User, bool]:
    email = _verified_email(claims)
    user = accounts.find_user_by_email(email)
    created = user is None
    if user is None:
        user = _new_account(claims, email, browser_timezone)
    elif db.session.scalar(select(OidcIdentity.id).where(OidcIdentity.issuer == issuer,
                                                         OidcIdentity.user_id == user.id)):
        # The address now belongs to another person at the provider (recycled): not theirs to open.
        raise SignInRefused(f"The Tracker account for {email} is linked to another person at the sign-in "
                            "provider. Ask your administrator.")
    db.session.add(OidcIdentity(issuer=issuer, subject=subject, user_id=user.id, email=email))
    _auto_join(user)
    db.session.commit()
    return user, created


def account_for(claims: dict, browser_timezone: str = "") -> tuple[User, bool]:
    """The account the checked `claims` open, and whether it was created now. A linked identity opens its
    account whatever the email says today; the first sign-in links by verified email (creating the
    account if allowed) and joins the configured team. Raises SignInRefused."""
    issuer, subject = str(claims.get("iss") or ""), str(claims.get("sub") or "")
    if not issuer or not subject or len(issuer) > 255 or len(subject) > 255:
        raise SignInFailed("The sign-in provider's ID token names no issuer or subject Tracker can keep.")
    identity = _identity(issuer, subject)
    if identity is None:
        try:
            return _link(claims, issuer, subject, browser_timezone)
        except IntegrityError:  # the same person's first sign-in finished meanwhile in another request
            db.session.rollback()
            identity = _identity(issuer, subject)
            if identity is None:
                raise SignInFailed("Another sign-in for this account was under way. Try again.") from None
    identity.last_login_at = utcnow()
    identity.email = str(claims.get("email") or identity.email)[:254]
    db.session.commit()
    return identity.user, False


def _check_issuer_parameter() -> None:
    """RFC 9207: a provider that names itself in the redirect (iss) must be ours (a mix-up otherwise)."""
    sent = request.args.get("iss")
    if sent is not None and sent.rstrip("/") != current_app.config["OIDC_ISSUER"].rstrip("/"):
        raise SignInFailed("The sign-in answer came from another provider than the one Tracker uses.")
