"""The caller's own account: GET and PATCH /me, and the caller's reminders (/me/reminders)."""

from __future__ import annotations

from datetime import datetime

from .. import accounts, reminders
from .core import caller, operation, reply
from .schemas import LeadTimeOut, ProfilePatch, RemindersOut, RemindersPut, UserOut


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


def _reminders_out(lead_times) -> RemindersOut:
    return RemindersOut(lead_times=[LeadTimeOut.model_validate(lead) for lead in lead_times])


@operation("GET", "/me/reminders", summary="Your reminder lead times", tag="Me", response=RemindersOut)
def get_reminders():
    """How long before your deadlines you are reminded (24 hours before until you choose)."""
    return reply(_reminders_out(reminders.lead_times(caller())))


@operation("PUT", "/me/reminders", summary="Choose your reminder lead times", tag="Me", response=RemindersOut,
           body=RemindersPut)
def put_reminders(body: RemindersPut):
    """Replace your lead times: 1 to 5, each hours or days before a deadline, in calendar or working time
    (e.g. 3 days, and 2 working hours). `flask scan-deadlines` sends each once."""
    chosen = reminders.set_lead_times(caller(), [lead.model_dump() for lead in body.lead_times])
    return reply(_reminders_out(chosen))
