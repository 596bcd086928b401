"""Saved filters: a list or board filter kept under a name, personal or shared with the team."""
from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy import or_, select

from .errors import Forbidden, Invalid, NotFound
from .extensions import db
from .models import SavedFilter, TeamMembership
from .tasks import TaskFilter
from .teams import has_role, require_role

VIEWS = ("list", "board", "eisenhower", "calendar")


def saved_filters(member: TeamMembership) -> list[SavedFilter]:
    """The member's own filters and those shared with the team, shared first."""
    return list(
        db.session.scalars(
            select(SavedFilter)
            .where(
                SavedFilter.team_id == member.team_id,
                or_(SavedFilter.user_id == member.user_id, SavedFilter.shared.is_(True)),
            )
            .order_by(SavedFilter.shared.desc(), SavedFilter.name, SavedFilter.id)
        )
    )


def save_filter(member: TeamMembership, name: str, view: str, task_filter: TaskFilter, shared: bool = False) -> SavedFilter:
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Give the filter a name."]
    elif len(name) > 80:
        errors["name"] = ["Use at most 80 characters."]
    if view not in VIEWS:
        errors["view"] = [f"Choose one of: {', '.join(VIEWS)}."]
    if errors:
        raise Invalid(errors)
    if shared:
        require_role(member, "manager", "share filters with the team")
    saved = SavedFilter(
        team_id=member.team_id, user_id=member.user_id, name=name, view=view,
        query=urlencode(task_filter.to_args()), shared=shared,
    )
    db.session.add(saved)
    db.session.commit()
    return saved


def delete_filter(member: TeamMembership, filter_id: int) -> None:
    """Owners of a filter delete it; managers also delete shared ones."""
    saved = db.session.get(SavedFilter, filter_id)
    if saved is None or saved.team_id != member.team_id or not (saved.shared or saved.user_id == member.user_id):
        raise NotFound("No such filter.")
    if saved.user_id != member.user_id and not has_role(member, "manager"):
        raise Forbidden("Only a manager can delete a filter shared by someone else.")
    db.session.delete(saved)
    db.session.commit()
