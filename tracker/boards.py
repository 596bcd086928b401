"""The board as each person leaves it: the last filter and swimlanes they chose (the board opens on them),
the team's work-in-progress limits per column, and the swimlanes' grouping of the cards shown."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import delete, func, select

from .errors import Invalid
from .extensions import db
from .models import OPEN_STATUSES, BoardView, Feature, Task, TeamMembership, WipLimit, utcnow
from .teams import require_role

# The query arguments a board remembers: its filter and its swimlanes (not the "show more" limits).
REMEMBERED = ("q", "category", "priority", "assignee", "label", "feature", "overdue", "lanes")
LANES = ("assignee", "feature")
WIP_MAX = 999
_ARG_MAX = 200  # a remembered value is a filter's, never longer


def board_args(member: TeamMembership, given: Mapping[str, str]) -> tuple[dict[str, str], bool]:
    """The arguments the board shows: those given, or with none at all (the board's plain address) the
    ones remembered. Also whether they came from memory."""
    if given:
        return dict(given), False
    view = db.session.get(BoardView, (member.user_id, member.team_id))
    return (dict(view.args) if view else {}), bool(view and view.args)


def worth_remembering(args: Mapping[str, str]) -> bool:
    """A choice of filter or swimlanes (an empty one included), not a "show more" link alone."""
    return any(name in args for name in REMEMBERED)


def remember(member: TeamMembership, args: Mapping[str, str]) -> None:
    """Keep the filter and swimlanes just used (valid ones: the page checked them), when they changed."""
    kept = {name: str(args[name])[:_ARG_MAX] for name in REMEMBERED if args.get(name)}
    view = db.session.get(BoardView, (member.user_id, member.team_id))
    if view is not None and view.args == kept:
        return
    if view is None:
        view = BoardView(user_id=member.user_id, team_id=member.team_id)
        db.session.add(view)
    view.args, view.updated_at = kept, utcnow()
    db.session.commit()


def parse_lanes(raw: str | None) -> str | None:
    if raw in (None, ""):
        return None
    if raw not in LANES:
        raise Invalid({"lanes": [f"Swimlanes by {' or '.join(LANES)}, or none."]})
    return raw


# Work-in-progress limits ----------------------------------------------------------------------------


def wip_limits(team_id: int) -> dict[str, int]:
    """The team's limit per open status that has one."""
    rows = db.session.execute(select(WipLimit.status, WipLimit.wip_limit).where(WipLimit.team_id == team_id))
    return dict(rows.all())


def set_wip_limits(member: TeamMembership, given: Mapping[str, str]) -> dict[str, int]:
    """Replace the team's limits from `given` (status -> a whole number 1..WIP_MAX, or blank for none);
    managers and owners only. Invalid names each bad field and writes nothing."""
    require_role(member, "manager", "set work-in-progress limits")
    limits, errors = {}, {}
    for status in OPEN_STATUSES:
        raw = (given.get(status) or "").strip()
        if not raw:
            continue
        if raw.isdecimal() and len(raw) <= 3 and 1 <= int(raw) <= WIP_MAX:
            limits[status] = int(raw)
        else:
            errors[status] = [f"A whole number from 1 to {WIP_MAX}, or empty for no limit."]
    if errors:
        raise Invalid(errors)
    db.session.execute(delete(WipLimit).where(WipLimit.team_id == member.team_id))
    db.session.add_all(WipLimit(team_id=member.team_id, status=s, wip_limit=n) for s, n in limits.items())
    db.session.commit()
    return limits


def work_in_progress(team_id: int, statuses) -> dict[str, int]:
    """How many of the team's tasks are in each of `statuses`, whatever the board's filter (a limit is on
    the column, not on what one person filters it to); one grouped count."""
    if not statuses:
        return {}
    rows = db.session.execute(
        select(Task.status, func.count())
        .where(Task.team_id == team_id, Task.deleted_at.is_(None), Task.status.in_(sorted(statuses)))
        .group_by(Task.status)
    )
    return {status: 0 for status in statuses} | dict(rows.all())


# Swimlanes ------------------------------------------------------------------------------------------


@dataclass
class Lane:
    key: int | None
    label: str
    cards: dict[str, list[Task]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(len(cards) for cards in self.cards.values())


def feature_titles(team_id: int, tasks) -> dict[int, str]:
    """The titles of the features of these tasks, in one query."""
    ids = {t.feature_id for t in tasks if t.feature_id is not None}
    if not ids:
        return {}
    found = db.session.execute(select(Feature.id, Feature.title).where(Feature.team_id == team_id,
                                                                       Feature.id.in_(ids)))
    return dict(found.all())


def lanes(columns: Mapping[str, list[Task]], by: str, titles: Mapping[int, str] | None = None) -> list[Lane]:
    """The cards of each column split into swimlanes by assignee or feature: named lanes by name, the
    lane of cards with none last."""
    found: dict[int | None, Lane] = {}
    for status, cards in columns.items():
        for card in cards:
            if by == "assignee":
                key, label = card.assignee_id, card.assignee.name if card.assignee else "Unassigned"
            else:
                key = card.feature_id
                label = (titles or {}).get(key, f"Feature {key}") if key is not None else "No feature"
            lane = found.setdefault(key, Lane(key, label, {name: [] for name in columns}))
            lane.cards[status].append(card)
    return sorted(found.values(), key=lambda lane: (lane.key is None, lane.label.casefold(), lane.key or 0))
