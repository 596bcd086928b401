"""The caller's own account: GET and PATCH /me."""

from __future__ import annotations

from datetime import datetime

from .. import accounts
from .core import caller, operation, reply
from .schemas import ProfilePatch, UserOut


@operation("GET", "/me", summary="The caller", tag="Me", response=UserOut)
def get_me():
    """The account the token belongs to, with the working schedule the forecast uses."""
    return reply(UserOut.of(caller()))


def _clock(value: str | None):
    return datetime.strptime(value, "%H:%M").time() if value is not None else None


@operation("PATCH", "/me", summary="Change your profile", tag="Me", response=UserOut, body=ProfilePatch)
def patch_me(body: ProfilePatch):
    """Change name, time zone, working days and hours. The weekly capacity follows from the days and
    hours, so it is not set directly."""
    data = body.model_dump(exclude_unset=True)
    user = accounts.update_profile(
        caller(),
        name=data.get("name"),
        timezone=data.get("timezone"),
        work_days=data.get("work_days"),
        work_start=_clock(data.get("work_start")),
        work_end=_clock(data.get("work_end")),
    )
    return reply(UserOut.of(user))
