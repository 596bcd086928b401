"""User accounts: registration, authentication, profile and password changes."""
from __future__ import annotations

import zoneinfo
from datetime import time

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from .errors import Invalid
from .extensions import db
from .models import User

MIN_PASSWORD_LENGTH = 8
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


def authenticate(email: str, password: str) -> User | None:
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    return user if check_password_hash(user.password_hash, password or "") else None


def change_password(user: User, current: str, new: str) -> None:
    errors: dict[str, list[str]] = {}
    if not check_password_hash(user.password_hash, current or ""):
        errors["current_password"] = ["That is not your current password."]
    _check_password(new, errors, field="new_password")
    if errors:
        raise Invalid(errors)
    user.password_hash = generate_password_hash(new, method="scrypt")
    db.session.commit()


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
    if timezone is not None:
        user.timezone = timezone
    if work_days is not None:
        user.work_days = ",".join(str(d) for d in sorted(set(work_days)))
    user.work_start, user.work_end = start, end
    db.session.commit()
    return user
