"""What a URL path may hold, for both surfaces: the pages route `<int:…>` and the API `<id:…>` through the
one id converter here, so the two agree on which numbers can name a row."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

from .vocabulary import MAX_ID, MIN_ID


class IdConverter(IntegerConverter):
    """A row id: a whole number from MIN_ID to MAX_ID. Anything else (0, a number past the 32-bit INTEGER
    columns) names no row and is a 404 at routing, instead of an overflow in the database driver (a 500)."""

    def __init__(self, url_map, *args, **kwargs) -> None:
        kwargs.setdefault("min", MIN_ID)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)
