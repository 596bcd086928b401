"""Text for people: instants in a time zone, and one-line excerpts. Pages, emails and feeds all use
these, so a time reads the same wherever it is shown."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

WHEN = "%a %d %b %Y %H:%M"


def local_time(instant: datetime | None, tz: str | ZoneInfo, fmt: str = WHEN, *, label: bool = False) -> str:
    """`instant` as wall-clock time in zone `tz` ("" for None); `label` appends the zone's name."""
    if instant is None:
        return ""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    text = instant.astimezone(zone).strftime(fmt)
    return f"{text} ({zone.key})" if label else text


def one_line(text: str | None, limit: int = 200) -> str:
    """Header-safe text: no line breaks (no header injection), bounded length."""
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
