"""Teams, their members and roles, and their responsibility categories."""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from . import events, two_factor
from .errors import Forbidden, Invalid, NotFound
from .extensions import db
from .models import DEFAULT_CATEGORIES, ROLES, Category, Team, TeamMembership, User

ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}


def slugify(text: str, max_length: int = 48) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_length].strip("-") or "team"


def has_role(membership: TeamMembership, role: str) -> bool:
    return ROLE_RANK[membership.role] >= ROLE_RANK[role]


def require_role(membership: TeamMembership, role: str, action: str = "do that") -> None:
    if not has_role(membership, role):
        raise Forbidden(f"Only a team {role} or above can {action}.")


def membership_for(user: User, team_id: int) -> TeamMembership:
    """The user's membership of a team; NotFound when they are not in it (or it does not exist)."""
    membership = _own_membership(user, team_id)
    two_factor.check_team_requirement(user, membership)
    return membership


def _own_membership(user: User, team_id: int) -> TeamMembership:
    membership = db.session.scalar(
        select(TeamMembership)
        .options(joinedload(TeamMembership.team))  # one statement, on every request that names a team
        .where(TeamMembership.team_id == team_id, TeamMembership.user_id == user.id)
    )
    if membership is None:
        raise NotFound("No such team.")
    return membership


def teams_of(user: User) -> list[TeamMembership]:
    """The user's teams whose data they may see now (two_factor.visible_team_ids), by name."""
    return _memberships(user, TeamMembership.team_id.in_(two_factor.visible_team_ids(user)))


def shut_out_of(user: User) -> list[TeamMembership]:
    """The user's teams that require two factors of them while they have none: the team list names them
    (to turn two factors on, or to leave), nothing more."""
    if two_factor.is_enabled(user):
        return []
    return _memberships(user, TeamMembership.team_id.not_in(two_factor.visible_team_ids(user)))


def _memberships(user: User, condition) -> list[TeamMembership]:
    return list(
        db.session.scalars(
            select(TeamMembership)
            .join(Team)
            .options(selectinload(TeamMembership.team))
            .where(TeamMembership.user_id == user.id, condition)
            .order_by(Team.name)
        )
    )


def members_of(team: Team) -> list[TeamMembership]:
    return list(
        db.session.scalars(
            select(TeamMembership)
            .join(User)
            .options(selectinload(TeamMembership.user))
            .where(TeamMembership.team_id == team.id)
            .order_by(User.name)
        )
    )


def _check_team_fields(name: str | None, urgency: int | None, errors: dict) -> None:
    if name is not None:
        if not name.strip():
            errors["name"] = ["Enter a team name."]
        elif len(name.strip()) > 120:
            errors["name"] = ["Use at most 120 characters."]
    if urgency is not None and not (1 <= urgency <= 24 * 60):
        errors["urgency_window_hours"] = ["Choose between 1 hour and 60 days (1440 hours)."]


def unique_slug(base: str) -> str:
    """`base`, or `base-2`, `base-3`… whichever no team has yet."""
    taken = set(db.session.scalars(select(Team.slug).where(Team.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_team(owner: User, name: str, slug: str | None = None) -> Team:
    """A new team with the nine default categories; the creator is its owner."""
    errors: dict[str, list[str]] = {}
    _check_team_fields(name, None, errors)
    # At most 48, so the "-2", "-3"... that keep it unique still fit the 64-character column.
    if slug is not None and not (len(slug) <= 48 and re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug)):
        errors["slug"] = ["Use at most 48 lower-case letters, digits and single hyphens."]
    if errors:
        raise Invalid(errors)
    team = Team(name=name.strip(), slug=unique_slug(slug or slugify(name)), urgency_window_hours=72)
    team.categories = [
        Category(slug=cat_slug, name=cat_name, position=i)
        for i, (cat_slug, cat_name) in enumerate(DEFAULT_CATEGORIES)
    ]
    team.memberships = [TeamMembership(user=owner, role="owner")]
    db.session.add(team)
    db.session.commit()
    return team


def update_team(
    actor: TeamMembership, *, name: str | None = None, urgency_window_hours: int | None = None,
    two_factor_required: str | None = None,
) -> Team:
    require_role(actor, "manager", "change the team's settings")
    errors: dict[str, list[str]] = {}
    _check_team_fields(name, urgency_window_hours, errors)
    if two_factor_required is not None:
        _check_two_factor_requirement(actor, two_factor_required, errors)
    if errors:
        raise Invalid(errors)
    team = actor.team
    if name is not None:
        team.name = name.strip()
    if urgency_window_hours is not None:
        team.urgency_window_hours = urgency_window_hours
    if two_factor_required is not None:
        team.two_factor_required = two_factor_required
    db.session.commit()
    return team


def _check_two_factor_requirement(actor: TeamMembership, requirement: str, errors: dict) -> None:
    if problems := two_factor.requirement_problems(requirement, actor.user, actor.role):
        errors["two_factor_required"] = problems


def _owner_count(team_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(
            TeamMembership.team_id == team_id, TeamMembership.role == "owner"
        )
    )


def _target(actor: TeamMembership, user_id: int) -> TeamMembership:
    target = db.session.scalar(
        select(TeamMembership).where(
            TeamMembership.team_id == actor.team_id, TeamMembership.user_id == user_id
        )
    )
    if target is None:
        raise NotFound("No such member.")
    return target


def change_role(actor: TeamMembership, user_id: int, role: str) -> TeamMembership:
    require_role(actor, "manager", "change roles")
    if role not in ROLES:
        raise Invalid({"role": [f"Choose one of: {', '.join(ROLES)}."]})
    target = _target(actor, user_id)
    if "owner" in (role, target.role):
        require_role(actor, "owner", "grant or take away the owner role")
    if target.role == "owner" and role != "owner" and _owner_count(actor.team_id) == 1:
        raise Invalid({"role": ["A team needs at least one owner; make someone else owner first."]})
    old, target.role = target.role, role
    if old != role:
        events.member_changed.send(actor.team, actor=actor.user, user_id=user_id, old=old, new=role)
    db.session.commit()
    return target


def remove_member(actor: TeamMembership, user_id: int) -> None:
    """Managers remove members and managers; only owners remove owners; the last owner stays."""
    target = _target(actor, user_id)
    if target.id == actor.id:
        leave_team(actor)
        return
    require_role(actor, "manager", "remove members")
    if target.role == "owner":
        require_role(actor, "owner", "remove an owner")
    events.member_removed.send(actor.team, actor=actor.user, user_id=target.user_id)
    db.session.delete(target)
    db.session.commit()


def leave(user: User, team_id: int) -> Team:
    """The user leaves a team, even one whose two-factor requirement shuts them out of it for now:
    nobody is held in a team by a setting they have not met. Returns the team left."""
    membership = _own_membership(user, team_id)
    team = membership.team
    leave_team(membership)
    return team


def leave_team(membership: TeamMembership) -> None:
    if membership.role == "owner" and _owner_count(membership.team_id) == 1:
        raise Invalid({"team": ["You are the last owner; make someone else owner before leaving."]})
    events.member_removed.send(membership.team, actor=membership.user, user_id=membership.user_id)
    db.session.delete(membership)
    db.session.commit()


# Categories ---------------------------------------------------------------------------------


def active_categories(team_id: int) -> list[Category]:
    return list(
        db.session.scalars(
            select(Category)
            .where(Category.team_id == team_id, Category.archived.is_(False))
            .order_by(Category.position, Category.id)
        )
    )


def all_categories(team_id: int) -> list[Category]:
    return list(
        db.session.scalars(
            select(Category).where(Category.team_id == team_id).order_by(Category.position, Category.id)
        )
    )


def categories_by_team(team_ids: list[int]) -> dict[int, list[Category]]:
    """All categories of several teams, in one query (for lists of teams)."""
    grouped: dict[int, list[Category]] = {team_id: [] for team_id in team_ids}
    if team_ids:
        for category in db.session.scalars(
            select(Category).where(Category.team_id.in_(team_ids)).order_by(Category.position, Category.id)
        ):
            grouped[category.team_id].append(category)
    return grouped


def _category(actor: TeamMembership, category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None or category.team_id != actor.team_id:
        raise NotFound("No such category.")
    return category


def _check_category_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid({"name": ["Enter a category name."]})
    if len(name) > 80:
        raise Invalid({"name": ["Use at most 80 characters."]})
    return name


def add_category(actor: TeamMembership, name: str) -> Category:
    require_role(actor, "manager", "add categories")
    name = _check_category_name(name)
    slug = slugify(name, 64)
    if db.session.scalar(
        select(Category).where(Category.team_id == actor.team_id, Category.slug == slug)
    ):
        raise Invalid({"name": [f"The team already has a category “{slug}”."]})
    position = db.session.scalar(
        select(func.coalesce(func.max(Category.position), -1) + 1).where(
            Category.team_id == actor.team_id
        )
    )
    category = Category(team_id=actor.team_id, slug=slug, name=name, position=position)
    db.session.add(category)
    db.session.commit()
    return category


def rename_category(actor: TeamMembership, category_id: int, name: str) -> Category:
    """Renaming keeps the slug, so saved filters, links and API clients keep working."""
    require_role(actor, "manager", "rename categories")
    category = _category(actor, category_id)
    category.name = _check_category_name(name)
    db.session.commit()
    return category


def set_category_archived(actor: TeamMembership, category_id: int, archived: bool) -> Category:
    """Archived categories keep their tasks but are no longer offered for new ones."""
    require_role(actor, "manager", "archive categories")
    category = _category(actor, category_id)
    if archived and len(active_categories(actor.team_id)) == 1 and not category.archived:
        raise Invalid({"category": ["A team needs at least one active category."]})
    category.archived = archived
    db.session.commit()
    return category
