"""The board page's remembered view, swimlanes and work-in-progress limits (tracker/boards.py), as the
context the board route renders."""
from __future__ import annotations

from flask import request

from .. import boards, tasks
from ..errors import Invalid
from ..models import OPEN_STATUSES
from .query import list_filter


def board_filter(member):
    """The board's filter, lanes and query arguments: those asked for (remembered when valid), or the
    ones remembered; a remembered filter that no longer parses (a category archived since) is forgotten.
    Returns (task_filter, lanes, args, from_memory, error)."""
    # The values, not only the arguments: a refused "save this filter" (a POST) shows the board it filters.
    args, from_memory = boards.board_args(member, request.values.to_dict())
    task_filter, error = list_filter(tasks.parse_task_filter, tasks.TaskFilter(), args)
    try:
        lanes = boards.parse_lanes(args.get("lanes"))
    except Invalid as exc:
        lanes, error = None, Invalid({**(error.errors if error else {}), **exc.errors})
        task_filter = tasks.TaskFilter()
    # Only a GET of the board remembers or forgets: a refused form shown with the board (a POST) writes
    # nothing but what it was for, and its fields are not a filter chosen.
    looking = request.method == "GET"
    if error is not None and from_memory:
        if looking:
            boards.remember(member, {})
        return tasks.TaskFilter(), None, {}, False, None
    if looking and error is None and not from_memory and boards.worth_remembering(args):
        boards.remember(member, args)
    return task_filter, lanes, args, from_memory, error


def board_extras(member, columns, lanes: str | None) -> dict:
    """Swimlanes over the cards shown, and the columns over their WIP limit."""
    limits = boards.wip_limits(member.team_id)
    counts = boards.work_in_progress(member.team_id, [s for s in OPEN_STATUSES if s in limits])
    shown = [card for cards in columns.values() for card in cards]
    titles = boards.feature_titles(member.team_id, shown) if lanes == "feature" else {}
    return {
        "lanes": lanes,
        "swimlanes": boards.lanes(dict(columns.items()), lanes, titles) if lanes else None,
        "wip_limits": limits,
        "wip_counts": counts,
        "over_limit": {s for s, n in limits.items() if counts.get(s, 0) > n},
    }
