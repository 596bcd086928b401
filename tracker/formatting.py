"""Text for people: instants in a time zone, and one-line excerpts. Pages, emails and feeds all use
these, so a time reads the same wherever it is shown."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from . import zones

WHEN = "%a %d %b %Y %H:%M"


def local_time(instant: datetime | None, tz: str | ZoneInfo, fmt: str = WHEN, *, label: bool = False) -> str:
    """`instant` as wall-clock time in zone `tz` ("" for None); `label` appends the zone's name."""
    if instant is None:
        return ""
    zone = tz if isinstance(tz, ZoneInfo) else zones.named(tz)
    text = instant.astimezone(zone).strftime(fmt)
    return f"{text} ({zone.key})" if label else text


def one_line(text: str | None, limit: int = 200) -> str:
    """Header-safe text: no line breaks (no header injection), bounded length."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" + ("" if n == 1 else "s")


def lateness(due_at: datetime, now: datetime) -> str:
    """How long ago a deadline passed, in the largest whole unit: "3 days overdue", "5 hours overdue"."""
    late = now - due_at
    if late.days >= 1:
        return f"{_plural(late.days, 'day')} overdue"
    hours = late.seconds // 3600
    if hours >= 1:
        return f"{_plural(hours, 'hour')} overdue"
    return f"{_plural(max(1, late.seconds // 60), 'minute')} overdue"


def deadline_text(due_at: datetime | None, now: datetime, tz: str | ZoneInfo, *, time: bool = True,
                  late: bool = True) -> str:
    """A deadline as people read it, in zone `tz`: "Tue 08 Dec 17:00", with the year when it is not this
    year's ("Fri 08 Jan 2027 17:00"), and (`late`) "— 3 days overdue" once passed. "" for None."""
    if due_at is None:
        return ""
    zone = tz if isinstance(tz, ZoneInfo) else zones.named(tz)
    local = due_at.astimezone(zone)
    fmt = "%a %d %b" + (" %Y" if local.year != now.astimezone(zone).year else "") + (" %H:%M" if time else "")
    text = local.strftime(fmt)
    return f"{text} — {lateness(due_at, now)}" if late and due_at < now else text


def city(tz: str) -> str:
    """A zone's place for people: "America/Los_Angeles" → "Los Angeles"."""
    return tz.rsplit("/", 1)[-1].replace("_", " ")


def time_with_note(instant: datetime | None, viewer_tz: str | ZoneInfo, person: str | None = None,
                   person_tz: str | None = None, fmt: str = "%a %d %b %H:%M") -> str:
    """An instant in the viewer's zone, labelled with it, and the person's own wall clock as a note when it
    differs: "Mon 07 Dec 06:30 (Europe/Lisbon; 22:30 Sun for Fran, Los Angeles)". "" for None."""
    if instant is None:
        return ""
    viewer = viewer_tz if isinstance(viewer_tz, ZoneInfo) else zones.named(viewer_tz)
    shown = instant.astimezone(viewer)
    text = f"{shown.strftime(fmt)} ({viewer.key}"
    if person and person_tz:
        theirs = instant.astimezone(zones.named(person_tz))
        if theirs.utcoffset() != shown.utcoffset():
            day = "" if theirs.date() == shown.date() else theirs.strftime(" %a")
            text += f"; {theirs:%H:%M}{day} for {person}, {city(person_tz)}"
    return text + ")"
