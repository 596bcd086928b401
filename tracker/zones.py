"""Time zones by name, each read from the system's files once per process.

`ZoneInfo` keeps only the eight zones used last alive by itself: a team spread over nine zones or more
read zone files again for every card of a page. The zones kept here also keep `ZoneInfo(name)` itself
answering from its cache wherever it is called. Only valid names are kept (a bad one raises), so there
are at most as many as the system knows.
"""
from __future__ import annotations

import functools
from zoneinfo import ZoneInfo


@functools.cache
def named(name: str) -> ZoneInfo:
    return ZoneInfo(name)
