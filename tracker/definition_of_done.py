"""A team's definition of done and its category templates, both edited by managers.

The definition of done is the set of categories (responsibilities) a new feature requires unless its
creator chooses others: until a manager sets it, DEFAULT_DEFINITION_OF_DONE. A category's template is
how the task that covers the category for a feature starts (a title pattern, and a description whose
"- [ ] …" lines become the task's checklist): the team's own, else a built-in one."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select

from .errors import Invalid, NotFound
from .extensions import db
from .models import Category, CategoryTemplate, TeamMembership, utcnow
from .models import definition_of_done as done_table
from .teams import active_categories, require_role
from .vocabulary import (
    DEFAULT_DEFINITION_OF_DONE,
    DEFAULT_TEMPLATE_TITLE,
    DEFAULT_TEMPLATES,
    DESCRIPTION_MAX,
    ESTIMATE_MAX,
    GAP_DEFAULT_ESTIMATE_HOURS,
    GAP_ESTIMATE_HOURS,
    TITLE_MAX,
    is_id,
)


def definition_of_done(team_id: int) -> list[Category]:
    """The categories a new feature of the team requires, in the team's order."""
    stored = list(
        db.session.scalars(
            select(Category)
            .join(done_table, done_table.c.category_id == Category.id)
            .where(done_table.c.team_id == team_id)
            .order_by(Category.position, Category.id)
        )
    )
    if stored:
        return stored
    return list(
        db.session.scalars(
            select(Category)
            .where(Category.team_id == team_id, Category.slug.in_(DEFAULT_DEFINITION_OF_DONE),
                   Category.archived.is_(False))
            .order_by(Category.position, Category.id)
        )
    )


def categories_named(
    team_id: int, slugs: Iterable[str], field: str, allowed: Iterable[int] = ()
) -> list[Category]:
    """The team's categories with these slugs, in the team's order; an unknown slug, or an archived
    category not among `allowed` (ids already chosen), is an Invalid on `field`."""
    slugs = list(dict.fromkeys(str(s) for s in slugs))
    found = {
        c.slug: c
        for c in db.session.scalars(
            select(Category).where(Category.team_id == team_id, Category.slug.in_(slugs))
        )
    }
    errors = [f"Unknown category “{slug}”." for slug in slugs if slug not in found]
    errors += [f"The category “{c.name}” is archived." for c in found.values()
               if c.archived and c.id not in set(allowed)]
    if errors:
        raise Invalid({field: errors})
    return sorted(found.values(), key=lambda c: (c.position, c.id))


def set_definition_of_done(member: TeamMembership, slugs: Iterable[str]) -> list[Category]:
    """Replace the team's definition of done (features already created keep their own requirements)."""
    require_role(member, "manager", "change the definition of done")
    categories = categories_named(member.team_id, slugs, "categories")
    if not categories:
        raise Invalid({"categories": ["Choose at least one category that every feature needs."]})
    db.session.execute(delete(done_table).where(done_table.c.team_id == member.team_id))
    rows = [{"team_id": member.team_id, "category_id": c.id} for c in categories]
    db.session.execute(insert(done_table), rows)
    db.session.commit()
    return categories


# Templates ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    category: Category
    title_pattern: str
    description: str
    customised: bool  # the team's own, rather than the built-in one
    assignee_id: int | None = None  # who does the task (None: the feature's owner)
    estimate_hours: float | None = None  # None: the built-in estimate of the category

    @property
    def hours(self) -> float:
        """The task's estimate: the template's, else the built-in one of its category."""
        if self.estimate_hours is not None:
            return self.estimate_hours
        return GAP_ESTIMATE_HOURS.get(self.category.slug, GAP_DEFAULT_ESTIMATE_HOURS)

    def title_for(self, feature_title: str) -> str:
        """The title with {feature} and {category} filled in (no other braces are read, so a title may
        hold any text)."""
        title = self.title_pattern.replace("{feature}", feature_title)
        title = title.replace("{category}", self.category.name)
        return " ".join(title.split())[:TITLE_MAX]


def _template(category: Category, stored: CategoryTemplate | None) -> Template:
    if stored is not None:
        return Template(category, stored.title_pattern, stored.description, True, stored.assignee_id,
                        stored.estimate_hours)
    title, description = DEFAULT_TEMPLATES.get(category.slug, (DEFAULT_TEMPLATE_TITLE, ""))
    return Template(category, title, description, False)


def templates_of(team_id: int, categories: list[Category] | None = None) -> list[Template]:
    """The template of each of the team's active categories (or of `categories`), in two queries."""
    if categories is None:
        categories = active_categories(team_id)
    stored = {
        t.category_id: t
        for t in db.session.scalars(
            select(CategoryTemplate).where(CategoryTemplate.category_id.in_([c.id for c in categories]))
        )
    }
    return [_template(c, stored.get(c.id)) for c in categories]


def _category(member: TeamMembership, category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None or category.team_id != member.team_id:
        raise NotFound("No such category.")
    return category


TEMPLATE_FIELDS = ("title_pattern", "description", "assignee_id", "estimate_hours")


def _check_template(member: TeamMembership, data: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(TEMPLATE_FIELDS))
    errors: dict[str, list[str]] = {name: ["This field cannot be set."] for name in unknown}
    title_pattern = " ".join(str(data.get("title_pattern") or "").split())
    description = str(data.get("description") or "")
    assignee_id, estimate = data.get("assignee_id"), data.get("estimate_hours")
    if not title_pattern:
        errors["title_pattern"] = ["Enter a title; {feature} stands for the feature's title."]
    elif len(title_pattern) > TITLE_MAX:
        errors["title_pattern"] = [f"Use at most {TITLE_MAX} characters."]
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = [f"Use at most {DESCRIPTION_MAX} characters."]
    if assignee_id is not None and not (is_id(assignee_id) and db.session.scalar(
            select(TeamMembership.id).where(TeamMembership.team_id == member.team_id,
                                            TeamMembership.user_id == assignee_id))):
        errors["assignee_id"] = ["Choose a member of this team, or nobody (the feature's owner)."]
    if estimate is not None and (isinstance(estimate, bool) or not isinstance(estimate, (int, float))
                                 or not 0 < estimate <= ESTIMATE_MAX):
        errors["estimate_hours"] = [f"Give hours above 0 and at most {ESTIMATE_MAX}, or nothing."]
    if errors:
        raise Invalid(errors)
    return {"title_pattern": title_pattern, "description": description, "assignee_id": assignee_id,
            "estimate_hours": float(estimate) if estimate is not None else None}


def set_template(member: TeamMembership, category_id: int, data: Mapping[str, Any]) -> Template:
    """Store the team's template for a category: `title_pattern` (required), `description`, and who does
    the task (`assignee_id`, a member; none: the feature's owner) in how long (`estimate_hours`)."""
    require_role(member, "manager", "edit the task templates")
    category = _category(member, category_id)
    clean = _check_template(member, data)
    stored = db.session.get(CategoryTemplate, category.id) or CategoryTemplate(category_id=category.id)
    for name, value in clean.items():
        setattr(stored, name, value)
    stored.updated_at = utcnow()
    db.session.add(stored)
    db.session.commit()
    return _template(category, stored)


def reset_template(member: TeamMembership, category_id: int) -> Template:
    """Go back to the built-in template of a category."""
    require_role(member, "manager", "edit the task templates")
    category = _category(member, category_id)
    db.session.execute(delete(CategoryTemplate).where(CategoryTemplate.category_id == category.id))
    db.session.commit()
    return _template(category, None)
