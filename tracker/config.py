"""Configuration: defaults read from environment variables, plus the test configuration."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("TRACKER_INSTANCE", ROOT / "instance"))


def _development_secret() -> str:
    """A secret generated once and kept under instance/, so sessions survive restarts in development."""
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'tracker.db'}"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SECURE_COOKIES = _flag("TRACKER_HTTPS")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    TASKS_PER_PAGE = 50
    # Board columns, matrix quadrants and my-work buckets show this many tasks each (and "show more").
    BOARD_CARDS = int(os.environ.get("TRACKER_BOARD_CARDS", "50"))
    WTF_CSRF_TIME_LIMIT = None  # a form left open over lunch must still save
    # Rate limits (Flask-Limiter syntax). The default memory storage counts per process (swept-memory:
    # limits' memory:// without a thread per hit, tracker/extensions.py); give a Redis URL
    # (redis://host:6379/0, needs the `redis` package) when several app servers share them.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "swept-memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Said for every app: Flask-Limiter's one module-level Limiter keeps the previous app's setting
    # when a config is silent, so an app made without limits would switch them off for later apps.
    RATELIMIT_ENABLED = True
    API_RATE_LIMIT = os.environ.get("TRACKER_API_RATE_LIMIT", "600 per minute")  # per token
    LOGIN_RATE_LIMIT_IP = os.environ.get("TRACKER_LOGIN_RATE_LIMIT_IP", "30 per 5 minutes")
    # Failed logins per account (by email, known or not) are counted in the database, so every worker
    # and host shares the count; past the limit the account's login is locked for the period.
    LOGIN_RATE_LIMIT_ACCOUNT = os.environ.get("TRACKER_LOGIN_RATE_LIMIT_ACCOUNT", "10 per 15 minutes")
    # A signed-in browser unused for this many days is signed out (its server-side session is ended).
    SESSION_IDLE_DAYS = int(os.environ.get("TRACKER_SESSION_IDLE_DAYS", "14"))
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto to trust: behind one, the client's
    # address (which the login limits count by) is in that header, not in the connection.
    PROXY_HOPS = int(os.environ.get("TRACKER_PROXY_HOPS", "0"))
    # Pages and API lists kept per process while no write has happened (tracker/response_cache.py):
    # this many MB per worker; 0 turns the cache off.
    RESPONSE_CACHE_BYTES = int(float(os.environ.get("TRACKER_RESPONSE_CACHE_MB", "32")) * 1024 * 1024)
    # While the database cannot be reached, pages and API answers are 503 with this Retry-After (seconds).
    DATABASE_RETRY_AFTER = 5

    # Email over SMTP; off while MAIL_SERVER is empty. Links in emails and feeds start with BASE_URL.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USE_TLS = _flag("MAIL_USE_TLS", True)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_SENDER = os.environ.get("MAIL_SENDER", "Tracker <tracker@localhost>")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "10"))
    MAIL_CA_FILE = os.environ.get("MAIL_CA_FILE", "")  # a private CA for the SMTP server's certificate
    BASE_URL = os.environ.get("TRACKER_BASE_URL", "")
    # Outgoing webhooks may not call loopback, private, link-local or metadata addresses unless this is on.
    WEBHOOKS_ALLOW_PRIVATE = _flag("WEBHOOKS_ALLOW_PRIVATE")
    WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "5"))
    # After a commit, queued emails and webhook calls are sent by a background thread ("background"),
    # in the committing thread ("inline", the default under TESTING) or only by `flask deliver` ("cron").
    DELIVERY = os.environ.get("TRACKER_DELIVERY", "")

    # Single sign-on through OpenID Connect (tracker/oidc.py); off while OIDC_ISSUER is empty. The
    # provider's settings come from ISSUER/.well-known/openid-configuration. Accounts are linked by a
    # verified email; OIDC_ALLOW_SIGNUP creates missing ones; OIDC_AUTO_JOIN_TEAM (a team's slug) adds
    # people signing in for the first time to that team with OIDC_AUTO_JOIN_ROLE.
    OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "")
    OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
    OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
    OIDC_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
    OIDC_BUTTON_LABEL = os.environ.get("OIDC_BUTTON_LABEL", "single sign-on")
    OIDC_ALLOW_SIGNUP = _flag("OIDC_ALLOW_SIGNUP")
    OIDC_AUTO_JOIN_TEAM = os.environ.get("OIDC_AUTO_JOIN_TEAM", "")
    OIDC_AUTO_JOIN_ROLE = os.environ.get("OIDC_AUTO_JOIN_ROLE", "member")
    OIDC_TIMEOUT = float(os.environ.get("OIDC_TIMEOUT", "10"))  # seconds per call to the provider
    OIDC_FLOW_SECONDS = int(os.environ.get("OIDC_FLOW_SECONDS", "600"))  # to sign in at the provider

    def __init__(self) -> None:
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or _development_secret()
        self.SESSION_COOKIE_SECURE = self.REMEMBER_COOKIE_SECURE = self.SECURE_COOKIES


class TestConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = False  # tests that check CSRF switch it back on

    def __init__(self, database_uri: str, **overrides) -> None:
        # The tests' own key; a deployment's comes from SECRET_KEY or instance/ (Config above).
        self.SECRET_KEY = "test-secret"  # nosec B105
        self.SQLALCHEMY_DATABASE_URI = database_uri
        self.SESSION_COOKIE_SECURE = self.REMEMBER_COOKIE_SECURE = False
        for key, value in overrides.items():
            setattr(self, key, value)
