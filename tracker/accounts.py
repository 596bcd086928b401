"""User accounts: registration, authentication (with failed logins counted per email address in the
database), profile and password changes."""
from __future__ import annotations

import math
import zoneinfo
from datetime import datetime, time, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from limits import parse as parse_limit
from sqlalchemy import case, delete, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from . import events, sessions, tokens
from .errors import DomainError, Invalid
from .extensions import db
from .models import LoginFailure, User, UTCDateTime, utcnow
from .vocabulary import MIN_PASSWORD_LENGTH

# A valid hash to compare against when the email is unknown, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def known_timezones() -> list[str]:
    return sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def _check_email(email: str, errors: dict) -> str:
    email = normalise_email(email)
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        errors.setdefault("email", []).append(str(exc))
        return email


def checked_email(email: str) -> str:
    """The address as accounts keep it (normalised, lower case); Invalid when it is not an address."""
    errors: dict[str, list[str]] = {}
    email = _check_email(email, errors)
    if errors:
        raise Invalid(errors)
    return email


def _check_timezone(tz: str, errors: dict) -> None:
    # "localtime" would follow the server's clock setting and "Factory" is a placeholder: not places.
    if tz not in zoneinfo.available_timezones() or tz in ("Factory", "localtime"):
        errors.setdefault("timezone", []).append(f"Unknown time zone “{tz}”; use an IANA name such as Europe/Lisbon.")


def _check_password(password: str, errors: dict, field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        errors.setdefault(field, []).append(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    elif len(password) > 256:
        errors.setdefault(field, []).append("Use at most 256 characters.")


def _check_name(name: str, errors: dict) -> str:
    name = (name or "").strip()
    if not name:
        errors.setdefault("name", []).append("Enter your name.")
    elif len(name) > 120:
        errors.setdefault("name", []).append("Use at most 120 characters.")
    return name


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def register_user(email: str, name: str, password: str, timezone: str = "UTC") -> User:
    """Create an account; raises Invalid (email taken, bad time zone, short password...)."""
    errors: dict[str, list[str]] = {}
    email = _check_email(email, errors)
    name = _check_name(name, errors)
    _check_timezone(timezone, errors)
    _check_password(password, errors)
    if "email" not in errors and find_user_by_email(email):
        errors["email"] = ["An account with this email already exists."]
    if errors:
        raise Invalid(errors)
    user = User(
        email=email,
        name=name,
        timezone=timezone,
        password_hash=generate_password_hash(password, method="scrypt"),
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # the same email registered between our check and our insert
        db.session.rollback()
        raise Invalid({"email": ["An account with this email already exists."]}) from None
    return user


class LoginLocked(DomainError):
    """Too many failed logins for an email address lately: until `retry_after` seconds have passed, every
    login for it is refused, with the right password too, and alike whether the account exists."""

    status = 429
    title = "Too many attempts"

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            f"Too many attempts for this account. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
        )
        self.retry_after = retry_after


def failure_limit() -> tuple[int, timedelta]:
    """How many failed logins an email address may have within how long (LOGIN_RATE_LIMIT_ACCOUNT)."""
    item = parse_limit(current_app.config["LOGIN_RATE_LIMIT_ACCOUNT"])
    return item.amount, timedelta(seconds=item.get_expiry())


def authenticate(email: str, password: str, now: datetime | None = None) -> User | None:
    """The account these credentials open, or None. Raises LoginLocked while the address (known or not)
    is locked after too many failures: guessing stops, and the answer is the same for every address."""
    now = now or utcnow()
    key = tokens.digest(normalise_email(email))
    record = _refuse_if_locked(key, now)
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
    elif check_password_hash(user.password_hash, password or ""):
        # With two-factor sign-in only the second step clears the count: else knowing the password
        # would reset it between guesses of the code.
        if record is not None and user.two_factor_enabled_at is None:
            db.session.delete(record)
            db.session.commit()
        return user
    _count_failure(key, now)
    return None


def _refuse_if_locked(key: str, now: datetime) -> LoginFailure | None:
    record = db.session.get(LoginFailure, key)
    if record is not None and record.locked_until is not None and record.locked_until > now:
        raise LoginLocked(math.ceil((record.locked_until - now).total_seconds()))
    return record


def refuse_if_locked(email: str, now: datetime | None = None) -> None:
    """Raise LoginLocked while the address is locked (see authenticate): a second sign-in step too."""
    _refuse_if_locked(tokens.digest(normalise_email(email)), now or utcnow())


def count_failed_login(email: str, now: datetime | None = None) -> None:
    """One more failure for the address, as a wrong password counts (a wrong two-factor code does)."""
    _count_failure(tokens.digest(normalise_email(email)), now or utcnow())


def clear_failed_logins(email: str) -> None:
    """A complete sign-in: the address's failed attempts are forgotten."""
    key = tokens.digest(normalise_email(email))
    db.session.execute(delete(LoginFailure).where(LoginFailure.email_digest == key))
    db.session.commit()


def _count_failure(key: str, now: datetime) -> None:
    """One more failed login for an address, in one UPDATE so that failures counted at the same moment
    by several workers all count. A failure a whole period after the first of the count starts anew;
    the one that reaches the limit locks the address for a period."""
    limit, period = failure_limit()
    fresh = LoginFailure.first_failed_at <= now - period
    failures = case((fresh, 1), else_=LoginFailure.failures + 1)
    values = {
        "failures": failures,
        "first_failed_at": case((fresh, literal(now, UTCDateTime())), else_=LoginFailure.first_failed_at),
        "locked_until": case((failures >= limit, literal(now + period, UTCDateTime())), else_=None),
    }
    counted = update(LoginFailure).where(LoginFailure.email_digest == key).values(values)
    if db.session.execute(counted).rowcount == 0:
        locked_until = now + period if limit <= 1 else None
        db.session.add(
            LoginFailure(email_digest=key, failures=1, first_failed_at=now, locked_until=locked_until)
        )
        try:
            db.session.commit()
            return
        except IntegrityError:  # another worker counted this address's first failure meanwhile
            db.session.rollback()
            db.session.execute(counted)
    db.session.commit()


def forget_old_failures(now: datetime | None = None) -> int:
    """Delete failed-login counts whose period is over and that lock nothing; returns how many."""
    now = now or utcnow()
    _limit, period = failure_limit()
    over = (LoginFailure.first_failed_at <= now - period) & (
        LoginFailure.locked_until.is_(None) | (LoginFailure.locked_until <= now)
    )
    forgotten = db.session.execute(delete(LoginFailure).where(over))
    db.session.commit()
    return forgotten.rowcount


def change_password(user: User, current: str, new: str) -> int:
    """Set a new password. Whoever knew the old one may have signed in or taken a token with it: every
    session of the account ends (the web page signs its own browser in again) and every API token is
    revoked. Returns how many tokens were revoked."""
    errors: dict[str, list[str]] = {}
    if not check_password_hash(user.password_hash, current or ""):
        errors["current_password"] = ["That is not your current password."]
    _check_password(new, errors, field="new_password")
    if errors:
        raise Invalid(errors)
    user.password_hash = generate_password_hash(new, method="scrypt")
    sessions.end_sessions(user)
    revoked = tokens.revoke_all_tokens(user)
    db.session.commit()
    return revoked


def update_profile(
    user: User,
    *,
    name: str | None = None,
    timezone: str | None = None,
    work_days: list[int] | None = None,
    work_start: time | None = None,
    work_end: time | None = None,
) -> User:
    """Change name, time zone and working schedule (used by the forecast)."""
    errors: dict[str, list[str]] = {}
    if name is not None:
        name = _check_name(name, errors)
    if timezone is not None:
        _check_timezone(timezone, errors)
    if work_days is not None:
        if not work_days or any(d not in range(1, 8) for d in work_days):
            errors["work_days"] = ["Choose at least one day, as ISO weekdays 1 (Monday) to 7 (Sunday)."]
    start = work_start if work_start is not None else user.work_start
    end = work_end if work_end is not None else user.work_end
    if start >= end:
        errors["work_end"] = ["The working day must end after it starts."]
    if errors:
        raise Invalid(errors)
    if name is not None:
        user.name = name
    before = (user.timezone, user.work_days, user.work_start, user.work_end)
    if timezone is not None:
        user.timezone = timezone
    if work_days is not None:
        user.work_days = ",".join(str(d) for d in sorted(set(work_days)))
    user.work_start, user.work_end = start, end
    if (user.timezone, user.work_days, user.work_start, user.work_end) != before:
        events.working_hours_changed.send(user)
    db.session.commit()
    return user
