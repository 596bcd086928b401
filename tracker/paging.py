"""One page of a list: its items, the total and where it stands; every paged list returns one."""
from __future__ import annotations

import math
from dataclasses import dataclass

# The last page number a list is asked for (the API's `page`, the pages' ?page=): far past any real list,
# and small enough that the row offset it makes fits every database's integer.
MAX_PAGE = 100_000


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def bounds(page: int, per_page: int, most: int = 200) -> tuple[int, int]:
    """A page number of at least 1 and a page size between 1 and `most`."""
    return max(page, 1), min(max(per_page, 1), most)
