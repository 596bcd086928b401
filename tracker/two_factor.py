"""Two-factor sign-in with time-based one-time codes (TOTP, RFC 6238, through pyotp): enrolment with a QR
code, the second login step, recovery codes, and the team setting that requires it of managers or all."""
from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pyotp
import segno
from sqlalchemy import ColumnElement, Select, and_, delete, func, or_, select, update
from sqlalchemy.orm import aliased
from werkzeug.security import check_password_hash

from . import accounts, sessions, tokens
from .errors import Forbidden, Invalid
from .extensions import db
from .models import RecoveryCode, Team, TeamMembership, User, utcnow
from .vocabulary import ROLES

ISSUER = "Tracker"  # the name authenticator apps show beside the account
VALID_WINDOW = 1  # the code of the step before or after the current one is accepted too (clock skew)
RECOVERY_CODE_COUNT = 10
PENDING_LOGIN = timedelta(minutes=5)  # how long the password step waits for the code
REQUIREMENTS = ("nobody", "managers", "everyone")
# Recovery codes: 16 characters from 31 that cannot be mistaken for each other (no 0/o, 1/l/i), about
# 79 bits each, so their SHA-256 is as safe to keep as an API token's.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_WRONG_CODE = ("That code is not right, or was used already. Enter the code your app shows now, or an unused "
               "recovery code.")


class TwoFactorRequired(Forbidden):
    """The team requires two-factor sign-in of this member, who has not turned it on."""

    title = "Two-factor authentication required"

    def __init__(self, team: Team) -> None:
        who = "its managers" if team.two_factor_required == "managers" else "every member"
        super().__init__(f"The team “{team.name}” requires two-factor authentication of {who}: turn it on "
                         "in your settings to use the team.")
        self.team = team


def is_enabled(user: User) -> bool:
    return user.two_factor_enabled_at is not None


def required_for(requirement: str, role: str) -> bool:
    """Whether a team's requirement ("nobody", "managers", "everyone") covers a member with `role`."""
    if requirement == "everyone":
        return True
    return requirement == "managers" and ROLES.index(role) >= ROLES.index("manager")


def requirement_problems(requirement: str, user: User, role: str) -> list[str]:
    """Why a team where `user` has `role` cannot take this requirement: an unknown one, or one that covers
    the user, who has not turned two factors on (they would shut themselves out). Empty if it can."""
    if requirement not in REQUIREMENTS:
        return [f"Choose one of: {', '.join(REQUIREMENTS)}."]
    if required_for(requirement, role) and not is_enabled(user):
        return ["Turn on two-factor authentication for your own account first: this requirement covers you."]
    return []


def check_team_requirement(user: User, membership: TeamMembership) -> None:
    """Raise TwoFactorRequired when the membership's team requires two factors of `user`, who has none."""
    if not is_enabled(user) and required_for(membership.team.two_factor_required, membership.role):
        raise TwoFactorRequired(membership.team)


def usable_membership(membership=TeamMembership, team=Team, user=User) -> ColumnElement[bool]:
    """SQL: a membership row (joined with its team and user; aliases may be given) gives access to the
    team's data now — the member has two factors on, or the team's requirement does not cover their role.
    The SQL twin of `check_team_requirement`, for queries that span teams."""
    covered = or_(team.two_factor_required == "everyone",
                  and_(team.two_factor_required == "managers",
                       membership.role.in_([r for r in ROLES if required_for("managers", r)])))
    return or_(user.two_factor_enabled_at.is_not(None), ~covered)


def visible_team_ids(user: User | int | ColumnElement[int]) -> Select:
    """The one rule for every view that spans teams (my work and its plan, calendar and iCal feeds,
    notifications, time, digests and reminders, the team list): a subquery of the ids of the teams whose
    data `user` may see now — the teams they are in, less those that require two factors of them while
    they have none. `user` may be a column holding a user id, for queries over many users; aliases keep
    the subquery from correlating with the caller's own joins. Use as `X.team_id.in_(visible_team_ids(u))`."""
    user_id = user.id if isinstance(user, User) else user
    membership, team, member = aliased(TeamMembership), aliased(Team), aliased(User)
    return (select(membership.team_id)
            .join(team, team.id == membership.team_id)
            .join(member, member.id == membership.user_id)
            .where(membership.user_id == user_id, usable_membership(membership, team, member)))


# Enrolment ------------------------------------------------------------------------------------------


def pending_secret(user: User) -> str:
    """The secret being enrolled (a new one if there is none yet); Invalid once two factors are on."""
    if is_enabled(user):
        raise Invalid({"code": ["Two-factor authentication is already on."]})
    if user.totp_secret is None:
        user.totp_secret = pyotp.random_base32()
        db.session.commit()
    return user.totp_secret


def new_secret(user: User) -> str:
    """Start the enrolment over with a new secret (the one shown before may have been seen by others)."""
    if not is_enabled(user):
        user.totp_secret = None
    return pending_secret(user)


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code, black on white whatever the page's theme."""
    code = segno.make(uri, error="m")
    return code.svg_inline(scale=4, dark="#000", light="#fff", svgclass="qr-code", lineclass=None,
                           title="QR code of the two-factor secret, to scan with an authenticator app")


def _matching_steps(secret: str, code: str, now: datetime) -> list[int]:
    """The time steps within the window whose code is `code` (compared in constant time)."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    return [current + offset for offset in range(-VALID_WINDOW, VALID_WINDOW + 1)
            if pyotp.utils.strings_equal(totp.at(now, counter_offset=offset), code)]


def enable(user: User, code: str, now: datetime | None = None) -> list[str]:
    """Turn two factors on once `code` proves the app has the pending secret; returns the recovery codes
    (shown once). The user's other sessions end: whoever signed in with the password alone is out."""
    now = now or utcnow()
    steps = _matching_steps(_enrolling_secret(user), _digits(code), now)
    if not steps:
        raise Invalid({"code": ["That code is not right. Check the time on your phone and enter the code "
                                "the app shows now."]})
    user.two_factor_enabled_at = now
    user.totp_last_step = max(steps)  # the code that enabled it cannot sign in as well
    codes = _replace_recovery_codes(user, now)
    sessions.end_sessions(user, keep_token=user.session_token)
    db.session.commit()
    return codes


def _enrolling_secret(user: User) -> str:
    """The pending secret; Invalid (and nothing written) when there is none to confirm."""
    if is_enabled(user):
        raise Invalid({"code": ["Two-factor authentication is already on."]})
    if user.totp_secret is None:
        raise Invalid({"code": ["Open the two-factor page again to get a QR code, then enter its code."]})
    return user.totp_secret


def _digits(code: str | None) -> str:
    return "".join((code or "").split())


def _normal_recovery_code(code: str | None) -> str:
    return "".join(c for c in (code or "").lower() if c not in " -")


def _replace_recovery_codes(user: User, now: datetime) -> list[str]:
    """New recovery codes instead of the user's old ones (not committed); returns them."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
             for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=tokens.digest(code), created_at=now) for code in codes
    )
    return ["-".join(c[i:i + 4] for i in range(0, 16, 4)) for c in codes]


def remaining_recovery_codes(user: User) -> int:
    return db.session.scalar(
        select(func.count()).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


# Checking a code ------------------------------------------------------------------------------------


def _spend_step(user: User, steps: list[int]) -> bool:
    """Record the latest matching step as used, in one UPDATE, unless a step as late was used already:
    the same code (or an older one) cannot be replayed, even by two requests at once."""
    step = max(steps)
    spent = db.session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(user)
    return spent.rowcount == 1


def _spend_recovery_code(user: User, code: str, now: datetime) -> bool:
    spent = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == tokens.digest(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return spent.rowcount == 1


def verify(user: User, code: str | None, now: datetime | None = None) -> str:
    """Check a second factor: a TOTP code of the current step (± VALID_WINDOW) not used before, or an
    unused recovery code, which is then spent. Returns "app" or "recovery". A wrong code counts as a
    failed login of the account (and raises Invalid); while the account is locked, LoginLocked."""
    now = now or utcnow()
    accounts.refuse_if_locked(user.email, now)
    if is_enabled(user):
        digits = _digits(code)
        if len(digits) == 6 and digits.isdigit():
            last = user.totp_last_step if user.totp_last_step is not None else -1
            steps = [step for step in _matching_steps(user.totp_secret, digits, now) if step > last]
            if steps and _spend_step(user, steps):
                return "app"
        elif _spend_recovery_code(user, _normal_recovery_code(code), now):
            return "recovery"
    accounts.count_failed_login(user.email, now)
    raise Invalid({"code": [_WRONG_CODE]})


def complete_login(user: User, code: str | None, now: datetime | None = None) -> str:
    """The second login step: `verify`, then the account's failed attempts are forgotten."""
    used = verify(user, code, now)
    accounts.clear_failed_logins(user.email)
    return used


def regenerate_recovery_codes(user: User, code: str | None, now: datetime | None = None) -> list[str]:
    """New recovery codes (the old ones stop working) for a valid second factor; returns them."""
    if not is_enabled(user):
        raise Invalid({"code": ["Turn two-factor authentication on first."]})
    now = now or utcnow()
    verify(user, code, now)
    codes = _replace_recovery_codes(user, now)
    db.session.commit()
    return codes


def disable(user: User, password: str | None, code: str | None, now: datetime | None = None) -> None:
    """Turn two factors off: it takes the password and a valid second factor."""
    if not is_enabled(user):
        raise Invalid({"code": ["Two-factor authentication is not on."]})
    if not check_password_hash(user.password_hash, password or ""):
        raise Invalid({"password": ["That is not your password."]})
    verify(user, code, now)
    _turn_off(user)
    db.session.commit()


def _turn_off(user: User) -> None:
    user.totp_secret = user.two_factor_enabled_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def reset(user: User) -> int:
    """For an administrator (`flask reset-two-factor`), when someone lost their app and their codes: two
    factors off, recovery codes deleted, every session of the account ended. Returns the sessions ended."""
    _turn_off(user)
    ended = sessions.end_sessions(user)
    db.session.commit()
    return ended


# The pending login ----------------------------------------------------------------------------------


def pending_login(user: User, remember: bool, now: datetime | None = None) -> dict:
    """What the browser keeps (in its signed session) between the password and the code: nobody is
    signed in until the code is right, and the marker is worth nothing after PENDING_LOGIN."""
    return {"user_id": user.id, "since": (now or utcnow()).timestamp(), "remember": bool(remember)}


def pending_user(marker: object, now: datetime | None = None) -> User | None:
    """The user a pending-login marker is for, or None when it is missing, malformed or expired."""
    if not isinstance(marker, dict):
        return None
    since, user_id = marker.get("since"), marker.get("user_id")
    if not isinstance(since, (int, float)) or not isinstance(user_id, int):
        return None
    started = datetime.fromtimestamp(since, UTC)
    now = now or utcnow()
    if not now - PENDING_LOGIN < started < now + timedelta(minutes=1):  # a minute of clock skew between hosts
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and is_enabled(user) else None
